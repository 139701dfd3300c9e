"""A clerk keeps the register of people with `mutual person`; an erasure leaves the books verified and unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


def run(backend, *args: str):
    return CliRunner().invoke(cli, ["--db", backend.url, *args])


def ok(backend, *args: str):
    result = run(backend, *args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def test_after_an_erasure_the_books_still_verify_and_audit_and_every_figure_is_unchanged(backend):
    ok(backend, "import", str(EXAMPLE))
    ok(backend, "person", "add", "alice", "--name", "Alice Smith", "--email", "alice@example.org",
       "--sort-code", "12-34-56", "--account-number", "12345678", "--account-name", "A SMITH",
       "--net-salary", "17089.23", "--actor", "clerk")
    ok(backend, "person", "add", "riverside", "--name", "Jo Clerk", "--phone", "0113 496 0000")
    before = {m: ok(backend, "member", "show", m, "--as-of", "2025-03-31", "--json").output
              for m in ("alice", "bob", "carol")}
    coop = ok(backend, "coop", "show", "riverside", "--as-of", "2025-03-31", "--json").output
    head = ok(backend, "verify").output

    erased = ok(backend, "person", "erase", "alice", "--reason", "erasure requested, ref E-1", "--actor", "dpo")
    assert "erased member alice: name, email, sort_code, account_number, account_name, net_salary" in erased.output

    assert ok(backend, "verify").output == head
    audit = json.loads(ok(backend, "audit", "--json").output)
    assert audit["discrepancies"] == [] and audit["chain"]["intact"]
    assert {m: ok(backend, "member", "show", m, "--as-of", "2025-03-31", "--json").output
            for m in ("alice", "bob", "carol")} == before
    assert ok(backend, "coop", "show", "riverside", "--as-of", "2025-03-31", "--json").output == coop
    shown = json.loads(ok(backend, "person", "show", "alice", "--json").output)
    assert shown["name"] is None and shown["display_name"] == "erased at the person's request"
    assert [c["action"] for c in shown["changes"]] == ["add", "erase"] and shown["changes"][-1]["actor"] == "dpo"
    text = ok(backend, "person", "show", "alice").output
    assert "erased at the person's request on" in text and "Alice" not in text
    assert json.loads(ok(backend, "person", "show", "riverside", "--json").output)["kind"] == "contact"


def test_bad_input_names_the_field_and_changes_nothing(backend):
    ok(backend, "import", str(EXAMPLE))
    ok(backend, "person", "add", "bob", "--name", "Bob Jones")
    for args, message in [
        (("person", "update", "bob", "--sort-code", "12-34-5", "--account-number", "12345678"), "error: sort_code:"),
        (("person", "update", "bob", "--account-number", "1234567"), "error: account_number:"),
        (("person", "update", "bob", "--email", "bob at example"), "error: email:"),
        (("person", "update", "bob", "--name", "Bob\nJones"), "error: name:"),
        (("person", "update", "bob", "--clear", "colour"), "error: colour: is not a field"),
        (("person", "add", "zed", "--name", "Zed"), "error: id: zed is not in the books"),
        (("person", "add", "riverside", "--name", "X", "--kind", "member"), "error: kind: riverside is a contact"),
        (("person", "show", "nobody"), "error: id: nobody is not in the register"),
        (("person", "erase", "bob", "--reason", "a\nb"), "error: reason:"),
    ]:
        result = run(backend, *args)
        assert result.exit_code == 1 and message in result.stderr, (args, result.output, result.stderr)
        assert "Traceback" not in result.output + result.stderr
    shown = json.loads(ok(backend, "person", "show", "bob", "--json").output)
    assert shown["name"] == "Bob Jones" and [c["action"] for c in shown["changes"]] == ["add"]


def test_a_person_about_to_be_admitted_is_added_with_a_kind_and_updated_later(backend):
    ok(backend, "person", "add", "m9", "--kind", "member", "--name", "New Member", "--net-salary", "21000")
    ok(backend, "person", "update", "m9", "--sort-code", "123456", "--account-number", "87654321", "--clear", "net-salary")
    shown = json.loads(ok(backend, "person", "show", "m9", "--json").output)
    assert (shown["sort_code"], shown["account_number"], shown["net_salary"]) == ("12-34-56", "87654321", None)
    assert [c["fields"] for c in shown["changes"]] == [["name", "net_salary"],
                                                       ["sort_code", "account_number", "net_salary"]]
