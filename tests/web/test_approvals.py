"""Four-eyes approval in the web back office (both engines): a clerk's payout becomes a proposal, a treasurer
approves it at /approvals and the payout is recorded as theirs with the approval on the record."""

from __future__ import annotations

from tests.web.conftest import csrf, login

LEAVE = ["member", "leave", "carol", "--on", "2026-10-01"]


def _propose(client, argv, role="clerk", username="clerk1"):
    login(client, role, username=username)
    return client.post("/api/proposals", json={"argv": argv}, headers={"X-CSRF-Token": csrf(client)})


def _last(store, n=1):
    return list(store.read())[-n:]


def test_a_clerks_payout_becomes_a_proposal_and_nothing_of_it_is_written(examples, client):
    head = examples.store().head().position
    answer = _propose(client, LEAVE)
    assert answer.status_code == 202
    proposal = answer.json()["proposal"]
    assert proposal["status"] == "pending" and proposal["command"] == "member leave" and "argv" not in proposal
    assert [e.type for e in examples.store().read(after=head)] == ["ProposalMade"]


def test_the_same_clerk_cannot_approve_it_and_a_treasurer_does(examples, client):
    pid = _propose(client, LEAVE).json()["proposal"]["proposal_id"]
    own = client.post(f"/api/approvals/{pid}/approve", headers={"X-CSRF-Token": csrf(client)})
    assert own.status_code == 400 and "actor: clerk1 proposed it" in own.json()["error"]
    login(client, "treasurer", username="treasurer1")
    page = client.get("/approvals")
    assert page.status_code == 200 and pid in page.text and f"/approvals/{pid}/approve" in page.text
    head = examples.store().head().position
    done = client.post(f"/approvals/{pid}/approve", data={"csrf": csrf(client)}, follow_redirects=False)
    assert done.status_code == 303
    written = list(examples.store().read(after=head))
    assert {e.metadata["actor"] for e in written} == {"treasurer1"}
    assert "EquityPaidOut" in [e.type for e in written] and written[-1].type == "ProposalApproved"
    history = client.get("/api/approvals").json()["history"]
    assert history[0]["proposal_id"] == pid and history[0]["decided_by"] == "treasurer1"


def test_a_proposal_the_books_no_longer_allow_is_refused_with_the_reason(examples, client):
    first = _propose(client, LEAVE).json()["proposal"]["proposal_id"]
    later = _propose(client, ["member", "leave", "carol", "--on", "2026-11-01"]).json()["proposal"]["proposal_id"]
    login(client, "treasurer", username="treasurer1")
    token = csrf(client)
    assert client.post(f"/api/approvals/{first}/approve", headers={"X-CSRF-Token": token}).status_code == 200
    head = examples.store().head().position
    refused = client.post(f"/api/approvals/{later}/approve", headers={"X-CSRF-Token": token})
    assert refused.status_code == 409 and "left" in refused.json()["reason"]
    assert [e.type for e in examples.store().read(after=head)] == ["ProposalRefused"]
    again = client.post(f"/api/approvals/{later}/approve", headers={"X-CSRF-Token": token})
    assert again.status_code == 400 and "already refused" in again.json()["error"]


def test_a_rejection_with_a_newline_is_refused_and_a_plain_one_is_recorded(examples, client):
    pid = _propose(client, LEAVE).json()["proposal"]["proposal_id"]
    login(client, "treasurer", username="treasurer1")
    bad = client.post(f"/approvals/{pid}/reject", data={"csrf": csrf(client), "reason": "no\nway"})
    assert bad.status_code == 400 and "reason: must be one line" in bad.text
    ok = client.post(f"/approvals/{pid}/reject", data={"csrf": csrf(client), "reason": "value out of date"},
                     follow_redirects=False)
    assert ok.status_code == 303 and _last(examples.store())[0].type == "ProposalRejected"


def test_approving_an_unknown_id_or_without_the_csrf_token_is_refused(examples, client):
    login(client, "treasurer", username="treasurer1")
    unknown = client.post("/api/approvals/p-000000000000/approve", headers={"X-CSRF-Token": csrf(client)})
    assert unknown.status_code == 400 and "proposal: there is no proposal" in unknown.json()["error"]
    malformed = client.post("/api/approvals/nope/approve", headers={"X-CSRF-Token": csrf(client)})
    assert malformed.status_code == 400 and "is not a proposal id" in malformed.json()["error"]
    assert client.post("/api/approvals/p-000000000000/approve").status_code == 403


def test_reserve_spending_below_the_limit_runs_at_once_and_above_it_becomes_a_proposal(examples, client):
    from cli.invoke import run

    assert run(examples.url, ["policy", "set", "approval-limit", "riverside", "--reserve-spending-limit", "500",
                              "--on", "2026-01-01"]).ok
    spend = ["reserve", "spend", "riverside", "--purpose", "boiler", "--on", "2026-02-10", "--amount"]
    small = _propose(client, [*spend, "400.00"])
    assert small.status_code == 200 and _last(examples.store())[0].type == "ReserveSpent"
    large = _propose(client, [*spend, "900.00"])
    assert large.status_code == 202 and "above the co-op's approval limit" in large.json()["proposal"]["needs"]


def test_only_commands_under_four_eyes_are_proposed_here(examples, client):
    answer = _propose(client, ["payment", "receive", "alice", "--amount", "10", "--on", "2026-01-01"])
    assert answer.status_code == 400 and "command:" in answer.json()["error"]


def test_a_member_does_not_see_the_approvals_and_an_auditor_sees_no_buttons(examples, client):
    pid = _propose(client, LEAVE).json()["proposal"]["proposal_id"]
    login(client, "member", member="alice")
    assert client.get("/approvals").status_code == 404
    login(client, "auditor", username="auditor1")
    page = client.get("/approvals")
    assert page.status_code == 200 and pid in page.text and "/approve" not in page.text


def test_the_chain_audits_after_proposals_approvals_and_refusals(examples, client):
    from cli.invoke import run

    pid = _propose(client, LEAVE).json()["proposal"]["proposal_id"]
    login(client, "treasurer", username="treasurer1")
    client.post(f"/api/approvals/{pid}/approve", headers={"X-CSRF-Token": csrf(client)})
    audited = run(examples.url, ["audit"])
    assert audited.ok and "no discrepancies" in audited.stdout
