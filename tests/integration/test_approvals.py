"""Four-eyes approval against a real ledger (both engines): proposals, approvals run as the approver, refusals with
the command's own reason and nothing of it written, rejections, the reserve limit; and the chain still audits."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.invoke import run
from ledger.commands import approvals
from ledger.errors import LedgerError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def books(backend):
    backend.store().import_lines((EXAMPLES / "coop-ten-years.jsonl").read_bytes().splitlines())
    return backend


def _runner(backend):
    return lambda argv: run(backend.url, argv)


def _propose(backend, argv, proposer="clerk1", role="clerk"):
    store = backend.store()
    return approvals.propose(store, argv, proposer, role, runner=_runner(backend),
                             need=approvals.need_of(store, argv))


def _types_after(backend, position):
    return [(e.type, e.metadata["actor"]) for e in backend.store().read(after=position)]


LEAVE = ["member", "leave", "carol", "--on", "2026-10-01"]


def test_a_payout_is_proposed_then_approved_by_another_user_and_runs_as_them(books):
    p = _propose(books, LEAVE)
    head = books.store().head().position
    with pytest.raises(LedgerError, match="approver must be a different user"):
        approvals.approve(books.store(), p.proposal_id, "clerk1", "treasurer", _runner(books))
    with pytest.raises(LedgerError, match="a clerk may not approve"):
        approvals.approve(books.store(), p.proposal_id, "clerk2", "clerk", _runner(books))
    assert books.store().head().position == head
    decision = approvals.approve(books.store(), p.proposal_id, "treasurer1", "treasurer", _runner(books))
    assert decision.status == "approved"
    written = _types_after(books, head)
    assert ("EquityPaidOut", "treasurer1") in written and written[-1] == ("ProposalApproved", "treasurer1")
    approved = list(books.store().read(stream=f"proposal-{p.proposal_id}"))[-1].payload
    assert approved["first_position"] == head + 1 and approved["last_position"] == head + len(written) - 1
    assert approved["argv_digest"] == p.argv_digest
    with pytest.raises(LedgerError, match="already approved"):
        approvals.approve(books.store(), p.proposal_id, "treasurer2", "treasurer", _runner(books))


def test_a_proposal_the_books_no_longer_allow_is_refused_with_the_commands_reason(books):
    first = _propose(books, LEAVE)
    later = _propose(books, ["member", "leave", "carol", "--on", "2026-11-01"])
    approvals.approve(books.store(), first.proposal_id, "treasurer1", "treasurer", _runner(books))
    head = books.store().head().position
    decision = approvals.approve(books.store(), later.proposal_id, "treasurer1", "treasurer", _runner(books))
    assert decision.status == "refused" and "carol" in decision.reason and "left" in decision.reason
    assert _types_after(books, head) == [("ProposalRefused", "treasurer1")]
    assert approvals.find(books.store(), later.proposal_id).status == "refused"


def test_a_second_proposal_of_the_same_payout_is_refused_when_proposed_or_approved(books):
    a, b = _propose(books, LEAVE), _propose(books, LEAVE)
    approvals.approve(books.store(), a.proposal_id, "treasurer1", "treasurer", _runner(books))
    head = books.store().head().position
    decision = approvals.approve(books.store(), b.proposal_id, "treasurer1", "treasurer", _runner(books))
    assert decision.status == "refused" and "already hold" in decision.reason
    assert _types_after(books, head) == [("ProposalRefused", "treasurer1")]
    with pytest.raises(LedgerError, match="nothing to approve"):
        _propose(books, LEAVE)


def test_a_proposal_the_books_refuse_now_is_not_recorded(books):
    head = books.store().head().position
    with pytest.raises(LedgerError, match="already left"):
        _propose(books, ["member", "leave", "bob", "--on", "2026-10-01"])
    assert books.store().head().position == head and approvals.listed(books.store()) == []


def test_a_rejected_proposal_never_runs_and_is_decided_once(books):
    p = _propose(books, LEAVE)
    with pytest.raises(LedgerError, match="reason: must be one line"):
        approvals.reject(books.store(), p.proposal_id, "treasurer1", "treasurer", "no\nway")
    head = books.store().head().position
    approvals.reject(books.store(), p.proposal_id, "treasurer1", "treasurer", "the valuation is out of date")
    assert _types_after(books, head) == [("ProposalRejected", "treasurer1")]
    with pytest.raises(LedgerError, match="already rejected"):
        approvals.approve(books.store(), p.proposal_id, "treasurer2", "treasurer", _runner(books))


def test_an_unknown_or_malformed_proposal_id_is_refused_by_name(books):
    with pytest.raises(LedgerError, match="proposal: there is no proposal p-000000000000"):
        approvals.approve(books.store(), "p-000000000000", "treasurer1", "treasurer", _runner(books))
    with pytest.raises(LedgerError, match="proposal: .* is not a proposal id"):
        approvals.approve(books.store(), "p-000000000000\n", "treasurer1", "treasurer", _runner(books))


def test_reserve_spending_within_the_limit_runs_at_once_and_above_it_is_proposed(books):
    spend = ["reserve", "spend", "riverside", "--purpose", "boiler", "--on", "2026-02-10", "--amount"]
    assert approvals.need_of(books.store(), [*spend, "10.00"]) is not None  # no limit: all of it
    assert run(books.url, ["policy", "set", "approval-limit", "riverside", "--reserve-spending-limit", "500",
                           "--on", "2026-01-01", "--actor", "treasurer1"]).ok
    assert approvals.need_of(books.store(), [*spend, "500.00"]) is None
    need = approvals.need_of(books.store(), [*spend, "500.01"])
    assert need is not None and "above the co-op's approval limit of 500" in need.needs
    assert approvals.need_of(books.store(), [*spend[:-3], "--on", "2025-12-31", "--amount", "1"]) is not None


def test_a_transfer_into_the_reserve_needs_no_approval_and_is_not_proposed(books):
    """Proposing one once ended in an AssertionError (its path is under four eyes; nothing leaves the reserve)."""
    into = ["reserve", "transfer", "riverside", "--purpose", "grant", "--on", "2026-01-15", "--amount", "5000"]
    assert approvals.need_of(books.store(), into) is None
    head = books.store().head()
    with pytest.raises(LedgerError, match="needs no approval: run it directly"):
        _propose(books, into)
    assert books.store().head() == head
    out = [*into[:-1], "-5000"]
    assert "a transfer out of the reserve" in approvals.need_of(books.store(), out).needs


def test_the_limit_is_set_only_for_a_co_op(books):
    refused = run(books.url, ["policy", "set", "approval-limit", "nowhere", "--reserve-spending-limit", "500",
                              "--on", "2026-01-01"])
    assert refused.exit_code == 1 and "coop: society nowhere is not in the books" in refused.error


def test_a_correction_and_a_period_close_go_through_proposals_and_the_chain_audits(books):
    position = books.store().head().position
    fix = _propose(books, ["correct", str(position), "--reason", "keyed twice"])
    close = _propose(books, ["period", "close", "riverside", "--start", "2015-04-01", "--end", "2016-03-31"])
    for p in (fix, close):
        assert approvals.approve(books.store(), p.proposal_id, "treasurer1", "treasurer",
                                 _runner(books)).status == "approved"
    types = [t for t, _ in _types_after(books, position)]
    assert "EventReversed" in types and "PeriodClosed" in types
    assert run(books.url, ["verify"]).ok
    audited = run(books.url, ["audit"])
    assert audited.ok and "no discrepancies" in audited.stdout


def test_the_command_line_is_kept_off_the_chain(books):
    p = _propose(books, LEAVE)
    made = list(books.store().read(stream=f"proposal-{p.proposal_id}"))[0]
    assert "argv" not in made.payload and made.payload["argv_digest"] == p.argv_digest


def test_the_cli_proposes_lists_and_approves(books):
    made = run(books.url, ["propose", "--actor", "clerk1", *LEAVE])
    assert made.ok and "proposed p-" in made.stdout
    pid = made.stdout.split()[1].rstrip(":")
    assert pid in run(books.url, ["proposal", "list"]).stdout
    own = run(books.url, ["proposal", "approve", pid, "--actor", "clerk1"])
    assert own.exit_code == 1 and "different user" in own.error
    assert run(books.url, ["proposal", "approve", pid, "--actor", "treasurer1"]).ok
    assert run(books.url, ["audit"]).ok


def test_a_dry_run_of_the_limit_writes_nothing(books):
    head = books.store().head().position
    shown = run(books.url, ["policy", "set", "approval-limit", "riverside", "--reserve-spending-limit", "500",
                            "--on", "2026-01-01", "--dry-run", "--json"])
    assert shown.ok and '"ApprovalLimitSet"' in shown.stdout and books.store().head().position == head
