"""The security review of logins, sessions and four-eyes approval (brief B4), as an attacker would try them: each
test is a way in that must stay shut (both engines)."""

from __future__ import annotations

import asyncio

import pytest

from tests.web.conftest import csrf, login

SPEND = ["reserve", "spend", "riverside", "--purpose", "boiler", "--on", "2026-02-10", "--amount", "900.00"]


def _propose(client, argv, role="clerk", username="clerk1"):
    login(client, role, username=username)
    return client.post("/api/proposals", json={"argv": argv}, headers={"X-CSRF-Token": csrf(client)})


def _second_coop_with_a_high_limit(url):
    from cli.invoke import run

    for argv in (["society", "register", "hillside", "--kind", "coop", "--name", "Hillside Co-op", "--clt",
                  "riverside-clt", "--on", "2015-01-01"],
                 ["policy", "set", "approval-limit", "hillside", "--reserve-spending-limit", "1000000",
                  "--on", "2026-01-01"],
                 ["policy", "set", "approval-limit", "riverside", "--reserve-spending-limit", "500",
                  "--on", "2026-01-01"]):
        done = run(url, argv)
        assert done.ok, done.error


def test_a_prior_period_reason_cannot_borrow_another_coops_approval_limit(examples, client):
    """`--prior-period REASON` takes a value in `reserve spend`: the reason must not be read as the co-op whose
    limit applies, or 900 from riverside (limit 500) runs at once under hillside's limit of a million."""
    _second_coop_with_a_high_limit(examples.url)
    head = examples.store().head().position
    argv = ["reserve", "spend", "--prior-period", "hillside", *SPEND[2:]]
    answer = _propose(client, argv)
    assert answer.status_code == 202, answer.text
    assert [e.type for e in examples.store().read(after=head)] == ["ProposalMade"]
    assert answer.json()["proposal"]["summary"].startswith("reserve spend riverside")


def test_the_summary_an_approver_reads_names_the_member_who_is_paid_out(examples, client):
    answer = _propose(client, ["member", "leave", "--prior-period", "alice", "carol", "--on", "2026-10-01"])
    assert answer.status_code == 202, answer.text
    assert answer.json()["proposal"]["summary"].startswith("member leave carol")


def test_a_proposal_holding_a_double_dash_is_refused_for_the_approvers_actor_would_be_an_argument(examples, client):
    answer = _propose(client, ["member", "leave", "--on", "2026-10-01", "--", "carol"])
    assert answer.status_code == 400 and "--" in answer.json()["error"]


def test_the_login_checks_the_password_off_the_event_loop(examples, client, monkeypatch):
    """argon2 takes tens of milliseconds: run on the event loop, every login would stall every other request."""
    import web.auth

    on_loop = []
    real = web.auth.log_in

    def spy(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(web.auth, "log_in", spy)
    form = client.get("/login")
    token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "nobody", "password": "wrong-password-here", "csrf": token})
    assert on_loop == [False]


def test_a_forged_forwarded_for_header_does_not_reset_the_address_throttle(examples, client):
    form = client.get("/login")
    token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for n in range(5):
        client.post("/login", data={"username": f"guess{n}", "password": "wrong-password-here", "csrf": token})
    answer = client.post("/login", data={"username": "guess9", "password": "wrong-password-here", "csrf": token},
                         headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.status_code == 429


def test_the_name_throttle_is_not_bypassed_by_case_or_spaces(examples, client):
    form = client.get("/login")
    token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for n, name in enumerate(["bob", "BOB", " bob", "Bob ", "bOb"]):
        client.post("/login", data={"username": name, "password": "wrong-password-here", "csrf": token},
                    headers={"X-Forwarded-For": f"203.0.113.{n}"})
    from ledger.clock import utc_now
    from ledger.commands.users import login_throttled

    assert login_throttled(examples.store(), "bob", "another-address", utc_now()) is not None


def test_every_post_route_checks_the_csrf_token_and_no_get_route_writes(app):
    from web.sessions import csrf_checked

    for route in app.routes:
        methods = getattr(route, "methods", set()) or set()
        if "POST" in methods and route.path != "/login":
            calls = {d.call for d in route.dependant.dependencies}
            assert csrf_checked in calls, route.path
        if methods & {"PUT", "PATCH", "DELETE"}:
            raise AssertionError(f"{route.path}: a write method without a review")


def test_an_amount_hidden_in_another_options_value_does_not_pass_as_within_the_limit(examples, client):
    from cli.invoke import run

    assert run(examples.url, ["policy", "set", "approval-limit", "riverside", "--reserve-spending-limit", "500",
                              "--on", "2026-01-01"]).ok
    head = examples.store().head().position
    argv = ["reserve", "spend", "riverside", "--amount", "900.00", "--purpose", "--amount=10", "--on", "2026-02-10"]
    answer = _propose(client, argv)
    assert answer.status_code == 202, answer.text
    assert [e.type for e in examples.store().read(after=head)] == ["ProposalMade"]


def test_the_approvals_page_shows_the_chains_record_not_an_altered_table(examples, client):
    """What an approver reads (what it does, who proposed it, where it stands) is the chain's ProposalMade and its
    decision: a row changed beside the chain shows nothing new."""
    from sqlalchemy import update

    from ledger.store.proposals import proposals

    pid = _propose(client, ["member", "leave", "carol", "--on", "2026-10-01"]).json()["proposal"]["proposal_id"]
    with examples.store().engine.begin() as conn:
        conn.execute(update(proposals).where(proposals.c.proposal_id == pid).values(
            summary="member leave someone-harmless", proposer="treasurer9", status="rejected"))
    login(client, "treasurer", username="treasurer1")
    listed = client.get("/api/approvals").json()
    assert [p["proposal_id"] for p in listed["pending"]] == [pid] and listed["history"] == []
    row = listed["pending"][0]
    assert row["summary"].startswith("member leave carol") and row["proposer"] == "clerk1"
    assert "someone-harmless" not in client.get("/approvals").text


def test_whoever_decides_reads_the_whole_command_line_and_an_auditor_does_not(examples, client):
    argv = ["member", "leave", "carol", "--on", "2026-10-01", "--prior-period", "late entry", "--key", "k-77"]
    pid = _propose(client, argv).json()["proposal"]["proposal_id"]
    login(client, "treasurer", username="treasurer1")
    row = client.get("/api/approvals").json()["pending"][0]
    assert row["proposal_id"] == pid and "--prior-period 'late entry'" in row["command_line"]
    assert row["matches_digest"] is True and "argv" not in row
    assert "--key k-77" in client.get("/approvals").text
    login(client, "auditor", username="auditor1")
    assert "command_line" not in client.get("/api/approvals").json()["pending"][0]


def test_a_command_line_altered_beside_the_chain_is_shown_as_altered(examples, client):
    import json

    from sqlalchemy import update

    from ledger.store.proposals import proposals

    pid = _propose(client, ["member", "leave", "carol", "--on", "2026-10-01"]).json()["proposal"]["proposal_id"]
    altered = json.dumps(["member", "leave", "bob", "--on", "2026-10-01"])
    with examples.store().engine.begin() as conn:
        conn.execute(update(proposals).where(proposals.c.proposal_id == pid).values(argv=altered))
    login(client, "treasurer", username="treasurer1")
    assert client.get("/api/approvals").json()["pending"][0]["matches_digest"] is False
    assert "altered: this command line no longer matches" in client.get("/approvals").text
    refused = client.post(f"/api/approvals/{pid}/approve", headers={"X-CSRF-Token": csrf(client)})
    assert refused.status_code == 400 and "altered after it was proposed" in refused.json()["error"]


def test_an_admin_cannot_take_away_their_own_admin_role(examples, app, client):
    from ledger.store.users import UserTable
    from tests.web.authkit import log_in, make_user

    make_user(examples, "root", "admin")
    log_in(client, "root")
    answer = client.post("/users/root/role", data={"csrf": csrf(client), "role": "clerk"})
    assert answer.status_code == 400 and "role: you cannot take away your own admin role" in answer.text
    assert UserTable(examples.engine).get("root").role == "admin"


def test_a_new_login_in_a_browser_ends_the_session_it_held(examples, app, client):
    """A second person logging in at a shared desk does not leave the first one's session live behind them."""
    from tests.web.authkit import log_in, make_user
    from web.sessions import COOKIE

    make_user(examples, "jo", "clerk")
    make_user(examples, "sam", "treasurer")
    assert log_in(client, "jo").status_code == 303
    first = client.cookies.get(COOKIE)
    assert log_in(client, "sam").status_code == 303
    sessions = app.state.sessions
    assert sessions.viewer_of_cookie(first) is None
    assert sessions.viewer_of_cookie(client.cookies.get(COOKIE)).username == "sam"


def test_a_json_flag_hidden_as_another_options_value_does_not_shift_what_the_limit_is_checked_against(examples,
                                                                                                      client):
    """`--purpose --json`: click reads `--json` as the purpose; the command line the limit is checked on must read
    it so too, or `--amount=10 ... --amount 900` passes as 10 and 900 is spent at once."""
    from cli.invoke import run

    assert run(examples.url, ["policy", "set", "approval-limit", "riverside", "--reserve-spending-limit", "500",
                              "--on", "2026-01-01"]).ok
    head = examples.store().head().position
    argv = ["reserve", "spend", "riverside", "--amount=10", "--purpose", "--json", "--amount", "900.00",
            "--on", "2026-02-10"]
    answer = _propose(client, argv)
    assert [e.type for e in examples.store().read(after=head)] in ([], ["ProposalMade"]), answer.text


def _record(client, envelope, username="clerk1"):
    import orjson

    login(client, "clerk", username=username)
    return client.post("/api/record", content=orjson.dumps(envelope) + b"\n",
                       headers={"X-CSRF-Token": csrf(client), "content-type": "application/x-ndjson"})


SPENT = {"stream": "society-riverside", "type": "ReserveSpent", "effective_date": "2026-02-10",
         "payload": {"amount": "90000", "coop_id": "riverside", "purpose": "boiler"}}


def test_record_from_the_web_does_not_take_an_event_a_four_eyes_command_writes(examples, client):
    """`record` takes any envelope the books allow: a ReserveSpent or an EquityPaidOut through it would skip the
    approval its command needs."""
    head = examples.store().head().position
    answer = _record(client, SPENT)
    assert answer.status_code == 400 and "ReserveSpent is written by `mutual reserve spend`" in answer.text
    assert examples.store().head().position == head



def test_record_from_the_web_records_the_logged_in_user_as_the_actor(examples, client):
    envelope = {"stream": "member-alice", "type": "PaymentReceived", "effective_date": "2025-06-03",
                "payload": {"member_id": "alice", "amount": "660.00", "period": "2025-06",
                            "bank_reference": "SO-ALICE-2025-06"}, "metadata": {"actor": "treasurer1"}}
    answer = _record(client, envelope)
    written = list(examples.store().read())[-1]
    assert answer.status_code == 400 or written.metadata["actor"] == "clerk1"


def test_a_dry_run_flag_hidden_as_another_options_value_is_no_dry_run(examples, app, client):
    """`--key --dry-run`: click reads `--dry-run` as the key and runs the payout for real; it must be proposed
    (through web/writes.py `perform`, which every page and API write goes through)."""
    from types import SimpleNamespace

    from web.deps import Viewer
    from web.writes import perform

    head = examples.store().head().position
    done = perform(SimpleNamespace(app=app), Viewer("clerk1", "clerk"),
                   ["member", "leave", "carol", "--key", "--dry-run", "--on", "2026-10-01"])
    assert [e.type for e in examples.store().read(after=head)] in ([], ["ProposalMade"]), done
    answer = client.post("/api/member/leave", json={"member_id": "carol", "key": "--dry-run", "on": "2026-10-01"},
                         headers={"X-CSRF-Token": csrf(login_as_clerk(client))})
    assert [e.type for e in examples.store().read(after=head)] in ([], ["ProposalMade"]), answer.text


def login_as_clerk(client):
    login(client, "clerk", username="clerk1")
    return client


def _transfer(client, amount, role="clerk", username="clerk1"):
    login(client, role, username=username)
    return client.post("/api/reserve/transfer", headers={"X-CSRF-Token": csrf(client)},
                       json={"coop": "riverside", "amount": amount, "purpose": "new roof", "on": "2026-11-20"})


def test_money_out_of_the_reserve_by_a_transfer_below_zero_needs_approval_as_spending_does(examples, client):
    """A clerk once took £20,000 out of the reserve at once with `reserve transfer --amount -20000`, past the
    approval limit `reserve spend` was held to."""
    _second_coop_with_a_high_limit(examples.url)  # riverside's limit: 500
    head = examples.store().head().position
    answer = _transfer(client, "-20000.00")
    assert answer.status_code == 202, answer.text
    assert "a transfer out of the reserve above the co-op's approval limit of 500" in answer.text
    assert [e.type for e in examples.store().read(after=head)] == ["ProposalMade"]
    within = _transfer(client, "-400.00")  # within the limit, as spending within it is
    assert within.status_code == 200, within.text
    into = _transfer(client, "5000.00")  # into the reserve: nothing leaves it
    assert into.status_code == 200, into.text


def test_without_a_limit_every_transfer_out_of_the_reserve_needs_approval(examples, client):
    head = examples.store().head().position
    answer = _transfer(client, "-1.00")
    assert answer.status_code == 202 and "no approval limit in force" in answer.text
    assert [e.type for e in examples.store().read(after=head)] == ["ProposalMade"]


def test_record_from_the_web_does_not_take_a_reserve_transfer(examples, client):
    transfer = {"stream": "society-riverside", "type": "ReserveTransferred", "effective_date": "2026-02-10",
                "payload": {"amount": "-90000", "coop_id": "riverside", "purpose": "roof"}}
    answer = _record(client, transfer)
    assert answer.status_code == 400 and "written by `mutual reserve transfer`" in answer.text


def test_proposing_a_transfer_into_the_reserve_runs_it_as_needing_no_approval(examples, client):
    """`mutual propose` of it once ended in an AssertionError (the CLI now refuses it naming `command`): a transfer
    into the reserve needs no second user, and from the web it runs at once, as spending within a limit does."""
    head = examples.store().head().position
    answer = _propose(client, ["reserve", "transfer", "riverside", "--amount", "5000", "--purpose", "grant",
                               "--on", "2026-01-15"])
    assert answer.status_code == 200, answer.text
    assert [e.type for e in examples.store().read(after=head)] == ["ReserveTransferred"]
