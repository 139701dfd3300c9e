"""The bank queue's pages: reading by role, importing by upload (once), matching, ignoring, and hostile input."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from cli.invoke import run
from tests.web.conftest import EXAMPLES, csrf, login

STATEMENT = EXAMPLES / "bank" / "riverside-2025-04-a.camt053.xml"
ACCOUNT = "riverside-current"


def cli(backend, *argv):
    ran = run(backend.url, [*argv, "--json"])
    assert ran.ok, ran.error
    return orjson.loads(ran.stdout)


def head(backend) -> int:
    return cli(backend, "verify")["head_position"]


def upload(client, data: bytes = STATEMENT.read_bytes(), name: str = STATEMENT.name, account: str = ACCOUNT,
           token: str | None = None):
    return client.post("/bank/import", data={"account": account, "csrf": csrf(client) if token is None else token},
                       files={"statement": (name, data)})


@pytest.mark.parametrize("role", ["clerk", "treasurer", "auditor"])
def test_the_bank_page_shows_the_queue_to_every_reader(examples, client, role):
    login(client, role)
    response = client.get("/bank")
    assert response.status_code == 200 and "Unmatched lines (0)" in response.text
    assert ("Import a statement" in response.text) == (role != "auditor")


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 404), ("board", 403)])
def test_the_bank_page_is_refused_to_admins_members_and_the_board(examples, client, role, status):
    login(client, role, member="alice" if role == "member" else None)
    assert client.get("/bank").status_code == status


def test_an_uploaded_statement_writes_its_lines_once(examples, client):
    login(client, "clerk")
    first = upload(client)
    assert first.status_code == 200, first.text
    queue = cli(examples, "bank", "unmatched", "--account", ACCOUNT)
    assert len(queue) == 7 and all(r["line_id"] in first.text for r in queue)
    before = head(examples)
    second = upload(client)
    assert second.status_code == 200 and head(examples) == before


def test_an_auditor_may_not_import(examples, client):
    login(client, "auditor")
    before = head(examples)
    assert upload(client).status_code == 403 and head(examples) == before


def test_an_import_without_the_csrf_token_is_refused_and_writes_nothing(examples, client):
    login(client, "clerk")
    before = head(examples)
    response = client.post("/bank/import", data={"account": ACCOUNT}, files={"statement": (STATEMENT.name,
                                                                                           STATEMENT.read_bytes())})
    assert response.status_code == 403 and head(examples) == before


@pytest.mark.parametrize(("data", "field"), [(b"x" * (10 * 1024 * 1024), "statement"),
                                             (b"\xff\xfe caf\xe9 \x00", "statement"), (b"", "statement")])
def test_a_hostile_upload_is_refused_naming_the_field_and_writes_nothing(examples, client, data, field):
    login(client, "clerk")
    before = head(examples)
    response = upload(client, data=data, name="evil.csv")
    assert response.status_code == 400 and f"{field}:" in response.text
    assert head(examples) == before


def test_an_import_to_a_bad_account_id_names_the_option(examples, client):
    login(client, "clerk")
    before = head(examples)
    response = upload(client, account="no such\naccount")
    assert response.status_code == 400 and "--account" in response.text and head(examples) == before


def test_a_match_moves_the_line_out_of_the_queue_and_pays_the_member(examples, client):
    login(client, "treasurer")
    upload(client)
    line = next(r for r in cli(examples, "bank", "unmatched") if r["reference"] == "SO-alice-2025-04")
    paid = Decimal(cli(examples, "member", "show", "alice")["payments_received"])
    response = client.post("/bank/match", data={"line": line["line_id"], "member": "alice", "csrf": csrf(client)})
    assert response.status_code == 200, response.text
    assert line["line_id"] not in [r["line_id"] for r in cli(examples, "bank", "unmatched")]
    assert line["line_id"] not in response.text.split('id="queue"')[1].split("</table>")[0]
    assert Decimal(cli(examples, "member", "show", "alice")["payments_received"]) == paid + Decimal(line["amount"])


def test_an_ignore_with_a_newline_in_its_reason_is_refused_and_writes_nothing(examples, client):
    login(client, "clerk")
    upload(client)
    line = cli(examples, "bank", "unmatched")[0]
    before = head(examples)
    response = client.post("/bank/ignore", data={"line": line["line_id"], "reason": "bank\ncharges",
                                                 "csrf": csrf(client)})
    assert response.status_code == 400 and "reason:" in response.text and head(examples) == before
    done = client.post("/bank/ignore", data={"line": line["line_id"], "reason": "bank charges", "csrf": csrf(client)})
    assert done.status_code == 200 and head(examples) > before


def test_a_reconciliation_is_shown_for_one_account(examples, client):
    from projections.documents.render import money

    login(client, "auditor")
    run(examples.url, ["bank", "import", str(STATEMENT), "--account", ACCOUNT, "--actor", "t"])
    response = client.get("/bank", params={"account": ACCOUNT, "as_of": "2025-04-30"})
    data = cli(examples, "bank", "reconcile", "--account", ACCOUNT, "--as-of", "2025-04-30")
    assert response.status_code == 200 and money(data["statement_balance"]) in response.text


@pytest.mark.parametrize(("form", "field"), [({"line": "--no-learn", "member": "alice"}, "line"),
                                             ({"line": "bl-1", "member": "--help"}, "member")])
def test_a_match_value_that_looks_like_an_option_is_refused_naming_the_field(examples, client, form, field):
    login(client, "clerk")
    before = head(examples)
    response = client.post("/bank/match", data={**form, "csrf": csrf(client)})
    assert response.status_code == 400 and f"{field}:" in response.text and head(examples) == before
