"""Four-eyes approval as an attacker and an auditor would try it (the security review, brief B4; both engines):
the proposer under another spelling of their name, a proposals table altered beside the chain, the command line's
owner approving as a web user who may not, and the CLI runner's output under concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import update

from cli.invoke import run
from ledger.commands import approvals
from ledger.errors import LedgerError
from ledger.store.proposals import proposals

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LEAVE = ["member", "leave", "carol", "--on", "2026-10-01"]


@pytest.fixture
def books(backend):
    backend.store().import_lines((EXAMPLES / "coop-ten-years.jsonl").read_bytes().splitlines())
    return backend


def _runner(backend):
    return lambda argv: run(backend.url, argv)


def _propose(backend, argv=LEAVE, proposer="clerk1", role="clerk"):
    store = backend.store()
    return approvals.propose(store, argv, proposer, role, runner=_runner(backend),
                             need=approvals.need_of(store, argv))


@pytest.mark.parametrize("spelling", ["Clerk1", " clerk1", "clerk1 ", "CLERK1"])
def test_the_proposer_cannot_approve_under_another_spelling_of_their_name(books, spelling):
    p = _propose(books)
    head = books.store().head().position
    with pytest.raises(LedgerError, match="approver must be a different user"):
        approvals.approve(books.store(), p.proposal_id, spelling, "owner", _runner(books))
    assert books.store().head().position == head


def test_the_cli_proposer_cannot_approve_under_another_spelling_of_their_name(books):
    made = run(books.url, ["propose", "--actor", "clerk1", "--json", *LEAVE])
    assert made.ok, made.error
    pid = __import__("json").loads(made.stdout)["proposal_id"]
    done = run(books.url, ["proposal", "approve", pid, "--actor", "Clerk1"])
    assert not done.ok and "approver must be a different user" in done.error


def _alter(backend, proposal_id, **values):
    with backend.store().engine.begin() as conn:
        conn.execute(update(proposals).where(proposals.c.proposal_id == proposal_id).values(**values))


def test_a_proposer_renamed_in_the_table_does_not_let_them_approve_their_own(books):
    """The chain's ProposalMade names the proposer; the table beside it is only a working copy."""
    p = _propose(books)
    _alter(books, p.proposal_id, proposer="someone-else")
    with pytest.raises(LedgerError, match="approver must be a different user"):
        approvals.approve(books.store(), p.proposal_id, "clerk1", "treasurer", _runner(books))


def test_a_command_renamed_in_the_table_does_not_let_the_board_approve_a_correction(books):
    p = _propose(books, ["correct", "3", "--reason", "a typo in the deposit"])
    _alter(books, p.proposal_id, command="member leave")
    head = books.store().head().position
    with pytest.raises(LedgerError, match="a board may not approve"):
        approvals.approve(books.store(), p.proposal_id, "board1", "board", _runner(books))
    assert books.store().head().position == head


def _user(backend, name, role, disabled=False):
    from ledger.commands.users import add_user, disable_user

    add_user(backend.store(), name, role, "a-long-enough-password", actor="admin1")
    if disabled:
        disable_user(backend.store(), name, "left the office", actor="admin1")


def test_the_cli_does_not_approve_in_the_name_of_a_web_user_who_may_not(books):
    """At the command line the owner may approve as anyone, but a name that is a web user's is that user on the
    record: a clerk, or a disabled treasurer, would be shown approving what they cannot."""
    _user(books, "clerk2", "clerk")
    _user(books, "gone", "treasurer", disabled=True)
    pid = _propose(books).proposal_id
    head = books.store().head().position
    clerk = run(books.url, ["proposal", "approve", pid, "--actor", "clerk2"])
    assert not clerk.ok and "a clerk may not approve" in clerk.error
    gone = run(books.url, ["proposal", "approve", pid, "--actor", "gone"])
    assert not gone.ok and "disabled" in gone.error
    assert books.store().head().position == head
    _user(books, "treasurer1", "treasurer")
    assert run(books.url, ["proposal", "approve", pid, "--actor", "treasurer1"]).ok


def test_twenty_threads_running_different_queries_at_once_each_get_their_own_bytes(books):
    """cli/invoke.py captures per call: a web request never gets another request's output (or error line)."""
    queries = [["member", "show", m, "--as-of", f"20{y}-06-30", "--json"]
               for m in ("alice", "bob", "carol", "dan") for y in (16, 18, 20, 22)]
    queries += [["member", "show", "nobody", "--json"], ["reserve", "show", "riverside", "--as-of", "2020-01-01"],
                ["member", "show", "alice", "--as-of", "not-a-date"], ["audit"]]
    expected = {tuple(q): (r.exit_code, r.stdout, r.stderr) for q in queries for r in [run(books.url, q)]}
    assert len(queries) == 20 and len(set(expected.values())) > 10
    assert any(code for code, _, _ in expected.values()) and any(err for _, _, err in expected.values())
    wrong: list[tuple[str, ...]] = []
    start = threading.Barrier(len(queries))

    def ask(q):
        start.wait()
        for _ in range(3):
            r = run(books.url, q)
            if (r.exit_code, r.stdout, r.stderr) != expected[tuple(q)]:
                wrong.append(tuple(q))

    threads = [threading.Thread(target=ask, args=(q,)) for q in queries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_a_write_the_approver_makes_at_the_same_moment_is_not_counted_as_the_approved_commands(books):
    """ProposalApproved names the positions of the command's events: another request of the same user, recorded
    while the command ran, is not one of them."""
    p = _propose(books)

    def runner(argv):
        done = run(books.url, argv)
        other = run(books.url, ["payment", "receive", "alice", "--amount", "10.00", "--period", "2026-09",
                                "--bank-reference", "SO-SAME-MOMENT", "--on", "2026-09-03", "--actor", "treasurer1"])
        assert other.ok, other.error
        return done

    head = books.store().head().position
    decision = approvals.approve(books.store(), p.proposal_id, "treasurer1", "treasurer", runner)
    assert decision.status == "approved"
    events = {e.position: e for e in books.store().read(after=head)}
    assert decision.positions and "PaymentReceived" not in {events[n].type for n in decision.positions}
    approved = list(books.store().read(stream=f"proposal-{p.proposal_id}"))[-1].payload
    assert events[approved["last_position"]].type != "PaymentReceived"
    assert approved["last_position"] - approved["first_position"] + 1 == len(decision.positions)


def test_a_command_writing_bytes_to_stdout_is_captured_and_the_real_stdout_keeps_its_bytes_side(books, tmp_path):
    import sys

    exported = run(books.url, ["export"])
    assert exported.ok, exported.error
    run(books.url, ["export", "-o", str(tmp_path / "log.jsonl")])
    assert exported.stdout == (tmp_path / "log.jsonl").read_text(encoding="utf-8")
    assert hasattr(sys.stdout, "buffer")


def test_the_runners_options_go_before_the_proposed_ones_so_none_is_taken_as_a_value(books):
    """A proposed line ending in an option without its value would take `--dry-run` or `--actor` as that value:
    the proposal's dry run would write for real, or the approval would run as nobody."""
    seen: list[list[str]] = []

    def runner(argv):
        seen.append(list(argv))
        return run(books.url, argv)

    store = books.store()
    argv = ["member", "leave", "carol", "--on", "2026-10-01"]
    p = approvals.propose(store, argv, "clerk1", "clerk", runner=runner, need=approvals.need_of(store, argv))
    approvals.approve(store, p.proposal_id, "treasurer1", "treasurer", runner)
    assert seen[0][:3] == ["member", "leave", "--dry-run"] and seen[1][:4] == ["member", "leave", "--actor",
                                                                               "treasurer1"]


def test_two_approvers_at_once_run_the_command_once(books):
    p = _propose(books)
    head = books.store().head().position
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def decide(name):
        start.wait()
        try:
            outcomes.append(approvals.approve(books.store(), p.proposal_id, name, "treasurer", _runner(books)).status)
        except LedgerError as exc:
            outcomes.append(f"refused: {exc}")

    threads = [threading.Thread(target=decide, args=(n,)) for n in ("treasurer1", "treasurer2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"]
    types = [e.type for e in books.store().read(after=head)]
    assert types.count("EquityPaidOut") == 1 and types.count("ProposalApproved") == 1


def _dies_while_deciding(backend, proposal_id, minutes_ago):
    """What a decider that died mid-decision leaves: the row claimed (deciding) that long ago, the chain pending."""
    from datetime import timedelta

    from ledger.clock import utc_now
    from ledger.store.proposals import DECIDING

    _alter(backend, proposal_id, status=DECIDING, claimed_at=utc_now() - timedelta(minutes=minutes_ago))


def test_a_decision_in_progress_cannot_be_taken_over(books):
    p = _propose(books)
    _dies_while_deciding(books, p.proposal_id, minutes_ago=1)
    head = books.store().head().position
    with pytest.raises(LedgerError, match="is being decided by another user"):
        approvals.approve(books.store(), p.proposal_id, "treasurer1", "treasurer", _runner(books))
    assert books.store().head().position == head
    (listed,) = [x for x in approvals.listed(books.store()) if x.proposal_id == p.proposal_id]
    assert listed.status == "deciding"


@pytest.mark.parametrize("minutes_ago", [6, None])  # None: a claim from before claims were timed
def test_a_decision_left_by_a_decider_that_died_is_pending_again_and_decided_once(books, minutes_ago):
    p = _propose(books)
    if minutes_ago is None:
        _alter(books, p.proposal_id, status="deciding", claimed_at=None)
    else:
        _dies_while_deciding(books, p.proposal_id, minutes_ago)
    (listed,) = [x for x in approvals.listed(books.store()) if x.proposal_id == p.proposal_id]
    assert listed.status == "pending"  # the approvals page offers it again
    done = approvals.approve(books.store(), p.proposal_id, "treasurer1", "treasurer", _runner(books))
    assert done.status == "approved"
    with pytest.raises(LedgerError, match="was already approved"):
        approvals.approve(books.store(), p.proposal_id, "treasurer2", "treasurer", _runner(books))
    decided = [e.type for e in books.store().read(stream=f"proposal-{p.proposal_id}")]
    assert decided == ["ProposalMade", "ProposalApproved"]


def test_a_lapsed_claim_the_chain_has_decided_stays_decided(books):
    """The decider died after appending its decision but before updating the table: the chain is the judge."""
    p = _propose(books)
    approvals.reject(books.store(), p.proposal_id, "treasurer1", "treasurer", "not this month")
    _dies_while_deciding(books, p.proposal_id, minutes_ago=30)
    (listed,) = [x for x in approvals.listed(books.store()) if x.proposal_id == p.proposal_id]
    assert listed.status == "rejected" and listed.decided_by == "treasurer1"
    head = books.store().head().position
    with pytest.raises(LedgerError, match="was already rejected"):
        approvals.approve(books.store(), p.proposal_id, "treasurer2", "treasurer", _runner(books))
    assert books.store().head().position == head


def test_a_slow_decider_whose_claim_was_taken_over_cannot_put_back_the_new_deciders_claim(books):
    from datetime import timedelta

    from ledger.approvals.rules import CLAIM_LAPSES
    from ledger.clock import utc_now
    from ledger.store.proposals import Proposals

    p = _propose(books)
    table = Proposals(books.store().engine)
    first = utc_now() - timedelta(minutes=10)
    a = table.claim(p.proposal_id, "pending", first, CLAIM_LAPSES)  # A claims, and is slow
    assert a == first
    assert table.claim(p.proposal_id, "pending", first + timedelta(minutes=1), CLAIM_LAPSES) is None  # not lapsed
    b = table.claim(p.proposal_id, "pending", utc_now(), CLAIM_LAPSES)  # lapsed: B takes it over
    assert b is not None
    table.release(p.proposal_id, "pending", a)  # A fails at last and lets go of what it claimed
    assert table.get(p.proposal_id).status == "deciding"  # B's claim stands
    assert table.claim(p.proposal_id, "pending", utc_now(), CLAIM_LAPSES) is None  # so C cannot claim
    table.release(p.proposal_id, "pending", b)
    assert table.get(p.proposal_id).status == "pending"


def test_a_decider_that_died_after_running_the_command_leaves_the_next_approval_refused_saying_why(books):
    """The command's events stand (written by the first approver); the next approval records ProposalRefused."""
    p = _propose(books)
    ran = run(books.url, [*LEAVE, "--actor", "treasurer1"])  # what the first decider ran before it died
    assert ran.ok, ran.error
    _dies_while_deciding(books, p.proposal_id, minutes_ago=6)
    done = approvals.approve(books.store(), p.proposal_id, "treasurer2", "treasurer", _runner(books))
    assert done.status == "refused" and "already hold every event the command writes" in done.reason
