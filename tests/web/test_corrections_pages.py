"""Corrections and period closes as pages: who may read and write, and what a bad form writes (nothing)."""

from __future__ import annotations

import orjson
import pytest

from cli.invoke import run
from tests.web.conftest import csrf, login


def cli(backend, *argv):
    ran = run(backend.url, [*argv, "--json"])
    assert ran.ok, ran.error
    return orjson.loads(ran.stdout)


def head(backend) -> int:
    return cli(backend, "verify")["head_position"]


def a_payment(backend) -> int:
    return cli(backend, "log", "--member", "alice", "--type", "PaymentReceived", "--limit", "1")[0]["position"]


@pytest.mark.parametrize("role", ["clerk", "treasurer", "auditor"])
def test_the_corrections_and_periods_pages_render_for_every_reader(examples, client, role):
    login(client, role)
    assert client.get("/corrections").status_code == 200
    periods = client.get("/periods")
    assert periods.status_code == 200 and "riverside-clt" in periods.text and "app6" in periods.text


@pytest.mark.parametrize(("role", "status"), [("admin", 403), ("member", 404), ("board", 403)])
def test_the_corrections_and_periods_pages_are_refused_to_others(examples, client, role, status):
    login(client, role, member="alice" if role == "member" else None)
    assert client.get("/corrections").status_code == status
    assert client.get("/periods").status_code == status


def _approve(client, pid: str, role: str, username: str):
    """A different user approves the proposal through the approvals page, as a browser does."""
    login(client, role, username=username)
    page = client.get("/approvals")
    assert page.status_code == 200 and f"/approvals/{pid}/approve" in page.text
    done = client.post(f"/approvals/{pid}/approve", data={"csrf": csrf(client)}, follow_redirects=False)
    assert done.status_code == 303, done.text


def _pending(backend) -> list[dict]:
    from ledger.commands import approvals

    return [p.to_json(with_argv=False) for p in approvals.listed(backend.store()) if p.status == "pending"]


def test_a_clerks_correction_is_proposed_and_done_once_a_treasurer_approves_it(examples, client):
    login(client, "clerk", username="clerk1")
    position = a_payment(examples)
    response = client.post("/corrections", data={"position": str(position), "reason": "entered twice",
                                                  "csrf": csrf(client)})
    assert response.status_code == 202 and "awaiting approval" in response.text, response.text
    assert cli(examples, "log", "--type", "EventReversed") == []
    [proposal] = _pending(examples)
    assert proposal["command"] == "correct" and proposal["proposer"] == "clerk1"
    _approve(client, proposal["proposal_id"], "treasurer", "treasurer1")
    reversals = cli(examples, "log", "--type", "EventReversed")
    assert [e["payload"]["position"] for e in reversals] == [position]
    assert reversals[0]["metadata"]["actor"] == "treasurer1"
    listed = client.get("/corrections")
    assert f'id="c{reversals[0]["position"]}"' in listed.text and "entered twice" in listed.text


@pytest.mark.parametrize(("form", "field"), [({"position": "0", "reason": "x"}, "position"),
                                             ({"position": "12", "reason": "two\nlines"}, "reason"),
                                             ({"position": "12", "reason": ""}, "reason"),
                                             ({"position": "12", "reason": "x", "on": "2020-02-30"}, "--on"),
                                             ({"position": "12", "reason": "x", "replacement_payload": "[1"},
                                              "--replacement-payload")])
def test_a_bad_correction_names_the_field_and_writes_nothing(examples, client, form, field):
    login(client, "treasurer")
    before = head(examples)
    response = client.post("/corrections", data={**form, "csrf": csrf(client)})
    assert response.status_code == 400 and field in response.text
    assert head(examples) == before


def test_a_correction_without_the_csrf_token_is_refused_and_writes_nothing(examples, client):
    login(client, "clerk")
    before = head(examples)
    response = client.post("/corrections", data={"position": str(a_payment(examples)), "reason": "x"})
    assert response.status_code == 403 and head(examples) == before


def test_an_auditor_may_not_correct(examples, client):
    login(client, "auditor")
    before = head(examples)
    response = client.post("/corrections", data={"position": "12", "reason": "x", "csrf": csrf(client)})
    assert response.status_code == 403 and head(examples) == before


def test_a_correction_that_becomes_a_proposal_says_it_awaits_approval(examples, client, monkeypatch):
    import web.writes

    monkeypatch.setattr(web.writes, "_propose_if_needed",
                        lambda request, viewer, argv: web.writes.Outcome(True, proposal={"id": "p1"}))
    login(client, "clerk")
    before = head(examples)
    response = client.post("/corrections", data={"position": str(a_payment(examples)), "reason": "x",
                                                 "csrf": csrf(client)})
    assert response.status_code == 202 and "awaiting approval" in response.text and head(examples) == before


def test_a_treasurers_period_close_is_proposed_and_done_once_the_board_approves_it(examples, client):
    login(client, "treasurer", username="treasurer1")
    response = client.post("/periods", data={"society": "riverside", "start": "2015-01-01", "end": "2015-12-31",
                                             "csrf": csrf(client)})
    assert response.status_code == 202 and "awaiting approval" in response.text, response.text
    assert cli(examples, "period", "list", "riverside") == []
    [proposal] = _pending(examples)
    assert proposal["command"] == "period close" and proposal["proposer"] == "treasurer1"
    _approve(client, proposal["proposal_id"], "board", "board1")
    assert cli(examples, "period", "list", "riverside")[0]["end"] == "2015-12-31"
    login(client, "treasurer", username="treasurer1")
    assert "2015-12-31" in client.get("/periods").text


@pytest.mark.parametrize("role", ["clerk", "auditor"])
def test_only_a_treasurer_closes_a_period(examples, client, role):
    login(client, role)
    before = head(examples)
    response = client.post("/periods", data={"society": "riverside", "start": "2015-01-01", "end": "2015-12-31",
                                             "csrf": csrf(client)})
    assert response.status_code == 403 and head(examples) == before


def test_a_period_close_with_a_bad_date_names_the_option_and_writes_nothing(examples, client):
    login(client, "treasurer")
    before = head(examples)
    response = client.post("/periods", data={"society": "riverside", "start": "2015-13-01", "end": "2015-12-31",
                                             "csrf": csrf(client)})
    assert response.status_code == 400 and "--start" in response.text and head(examples) == before
