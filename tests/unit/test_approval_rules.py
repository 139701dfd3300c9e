"""The four-eyes rules, pure: which command lines need a second user, who may decide, and the checks' errors."""

from __future__ import annotations

from decimal import Decimal

from ledger.approvals import canonical, command_path, digest, needs_approval
from ledger.approvals.rules import approval_errors, proposal_errors, proposal_id_errors, rejection_errors

LEAVE = ["member", "leave", "bob", "--incoming", "dan", "--incoming-net-salary", "21000", "--on", "2026-10-01"]
D = digest(LEAVE)


def test_a_payout_a_loan_a_write_off_a_correction_and_a_period_close_need_approval():
    for argv in (LEAVE, ["loan", "grant", "L1", "--amount", "100"], ["loan", "disburse", "L1"],
                 ["loan", "write-off", "L1"], ["correct", "7", "--reason", "x"],
                 ["period", "close", "riverside", "--start", "2015-04-01", "--end", "2016-03-31"]):
        assert needs_approval(argv, None) is not None, argv


def test_a_receipt_and_a_dry_run_need_none():
    assert needs_approval(["payment", "receive", "alice", "--amount", "10"], None) is None
    assert needs_approval([*LEAVE, "--dry-run"], None) is None


def test_reserve_spending_needs_approval_only_above_the_limit_and_always_without_one():
    spend = ["reserve", "spend", "riverside", "--amount", "2500.00", "--purpose", "roof", "--on", "2026-01-02"]
    assert needs_approval(spend, Decimal("2500")) is None
    assert "above the co-op's approval limit of 2499.99" in needs_approval(spend, Decimal("2499.99")).needs
    assert "no approval limit" in needs_approval(spend, None).needs


def test_the_summary_keeps_no_salary():
    need = needs_approval(LEAVE, None)
    assert need.summary == "member leave bob on 2026-10-01" and "21000" not in need.summary


def test_the_digest_ignores_who_runs_it_but_not_what_it_does():
    assert digest([*LEAVE, "--actor", "ann", "--json"]) == digest(["--actor=bo", *LEAVE]) == D
    assert digest([*LEAVE[:-1], "2026-10-02"]) != D
    assert canonical(["correct", "--db", "sqlite://", "5"]) == ["correct", "5"]
    assert command_path(["correct", "5"]) == "correct" and command_path(LEAVE) == "member leave"


def test_the_proposer_cannot_approve_their_own_proposal():
    errors = approval_errors("pending", "clerk1", "clerk1", "treasurer", "member leave", D, D)
    assert [e.field for e in errors] == ["actor"] and "different user" in errors[0].reason


def test_a_clerk_may_not_approve_and_a_board_member_may_not_approve_a_loan():
    assert approval_errors("pending", "c1", "c2", "clerk", "member leave", D, D)[0].field == "role"
    assert approval_errors("pending", "c1", "b1", "board", "loan grant", D, D)[0].field == "role"
    assert approval_errors("pending", "c1", "b1", "board", "member leave", D, D) == []


def test_a_treasurer_may_approve_another_treasurers_proposal():
    assert approval_errors("pending", "t1", "t2", "treasurer", "correct", D, D) == []


def test_a_proposal_is_decided_once():
    errors = approval_errors("approved", "c1", "t1", "treasurer", "member leave", D, D)
    assert errors[0].field == "proposal" and "already approved" in errors[0].reason


def test_a_command_line_altered_off_the_chain_is_not_approved():
    assert "altered" in approval_errors("pending", "c1", "t1", "treasurer", "member leave", "0" * 64, D)[0].reason


def test_a_rejection_needs_a_one_line_reason_and_the_proposer_may_withdraw():
    assert rejection_errors("pending", "c1", "t1", "treasurer", "correct", "no\nreason")[0].field == "reason"
    assert rejection_errors("pending", "c1", "t1", "treasurer", "correct", "  ")[0].field == "reason"
    assert rejection_errors("pending", "c1", "c1", "clerk", "correct", "keyed wrong") == []
    assert rejection_errors("pending", "c1", "c2", "clerk", "correct", "no")[0].field == "role"


def test_only_commands_under_four_eyes_are_proposed_and_ids_are_checked_whole():
    assert proposal_errors(["payment", "receive", "alice"], "c1")[0].field == "command"
    assert proposal_errors([*LEAVE, "--dry-run"], "c1")[0].field == "command"
    assert proposal_errors(LEAVE, "c1\n")[0].field == "actor"
    assert proposal_id_errors("p-0123456789ab") == []
    assert proposal_id_errors("p-0123456789ab\n")[0].field == "proposal"
