"""Which commands need a second user's approval, who may give it, and the checks a decision must pass.

Issue 14 item 4: payouts, loans, write-offs, corrections, period closes and reserve spending above the co-op's
limit are proposed by one user and take effect only when a different user with the right role approves. Each check
returns its errors as data (a list of FieldError, empty when it passes); the command layer reads the books and the
proposals table and hands the facts in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Optional

from ledger.approvals.argv import command_path, flag, option, positionals
from ledger.errors import FieldError

# The commands under four eyes, and why (the reason a proposal records as its `needs`).
FOUR_EYES: dict[str, str] = {
    "member leave": "a payout to a leaving member",
    "loan grant": "a loan",
    "loan disburse": "a loan's disbursement",
    "loan write-off": "a loan written off",
    "correct": "a correction",
    "bank unmatch": "a correction of a bank line's match (and the payment made from it) or its ignoring",
    "period close": "a period close",
    "reserve spend": "reserve spending",
    "reserve transfer": "a transfer out of the reserve",
}
# The commands whose money out of the reserve is held to the co-op's approval limit (a transfer below zero is
# spending by another name: a clerk once took £20,000 out that way, past the limit `reserve spend` keeps).
RESERVE_OUT = ("reserve spend", "reserve transfer")

# Who may approve (or reject) which command. The treasurer approves everything; the board may approve the
# society's own decisions (payouts, write-offs, period closes, reserve spending) but not the fund's lending or a
# correction of the books; a clerk, an auditor, a member or an admin approves nothing.
APPROVERS: dict[str, frozenset[str]] = {
    "member leave": frozenset({"treasurer", "board"}),
    "loan grant": frozenset({"treasurer"}),
    "loan disburse": frozenset({"treasurer"}),
    "loan write-off": frozenset({"treasurer", "board"}),
    "correct": frozenset({"treasurer"}),
    "bank unmatch": frozenset({"treasurer"}),
    "period close": frozenset({"treasurer", "board"}),
    "reserve spend": frozenset({"treasurer", "board"}),
    "reserve transfer": frozenset({"treasurer", "board"}),
}

# Events a four-eyes command writes that `record` would otherwise take from a file as they stand (the fund's, a
# correction's and a period close's it refuses already: ledger/commands/coop.py CHECKED_BY_ITS_COMMAND). From the
# web, `record` refuses these too, or a payout or reserve spending could skip the second pair of eyes.
UNDER_FOUR_EYES_EVENTS: dict[str, str] = {
    "EquityPaidOut": "member leave",
    "LeaseAssigned": "member leave",
    "ReserveSpent": "reserve spend",
    "ReserveTransferred": "reserve transfer",
}

# The database owner at the command line (docs/approvals.md): may approve what a treasurer may.
OWNER = "owner"

PENDING, APPROVED, REJECTED, REFUSED = "pending", "approved", "rejected", "refused"

CLAIM_LAPSES = timedelta(minutes=5)
"""A decision runs one command, in seconds; a proposal claimed for longer was left by a decider that died (a server
restarted mid-approval), and another may take it over. The chain allows one decision whatever the table says."""


def claim_lapsed(claimed_at: Optional[datetime], now: datetime) -> bool:
    """Whether a claim on a decision has lapsed (one from before claims were timed has)."""
    return claimed_at is None or claimed_at < now - CLAIM_LAPSES
ONE_LINE = re.compile(r"[^\x00-\x1f\x7f]{1,500}")
PROPOSAL_ID = re.compile(r"p-[0-9a-f]{12}")


@dataclass(frozen=True)
class Need:
    """A command that needs approval: its path, what it does (no personal data) and why it needs a second user."""

    command: str
    summary: str
    needs: str


def _money(text: Optional[str]) -> Optional[Decimal]:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def summary(argv: list[str]) -> str:
    """What a proposal does, in a line the chain may keep: the command, its subject, and an amount if it has one
    (never a salary, an address or a free-text reason)."""
    path = command_path(argv)
    subject = next(iter(positionals(argv)), "")
    amount = option(argv, "--amount")
    on = option(argv, "--on") or option(argv, "--end")
    parts = [path, subject] + ([f"amount {amount}"] if amount else []) + ([f"on {on}"] if on else [])
    text = " ".join(p for p in parts if p)
    return text if ONE_LINE.fullmatch(text) else path


def needs_approval(argv: list[str], reserve_limit: Optional[Decimal]) -> Optional[Need]:
    """None when `argv` may run at once; else what it needs. A dry run writes nothing and never needs approval;
    reserve spending, and a transfer out of the reserve (below zero), need approval above `reserve_limit` (the
    co-op's limit in force on the date), and always when no limit is in force; a transfer into it needs none."""
    path = command_path(argv)
    if path not in FOUR_EYES or flag(argv, "--dry-run"):
        return None
    why = FOUR_EYES[path]
    if path in RESERVE_OUT:
        amount = _money(option(argv, "--amount"))
        if path == "reserve transfer":
            if amount is not None and amount >= 0:
                return None  # into the reserve
            amount = -amount if amount is not None else None
        if reserve_limit is None:
            why = f"{why} (the co-op has no approval limit in force: all of it needs approval)"
        elif amount is not None and amount <= reserve_limit:
            return None
        else:
            why = f"{why} above the co-op's approval limit of {reserve_limit}"
    return Need(path, summary(argv), f"{why} needs a second user's approval")


def may_decide(role: str, command: str) -> bool:
    return (role == OWNER and command in APPROVERS) or role in APPROVERS.get(command, frozenset())


def _one_line(field: str, text: object) -> list[FieldError]:
    if not isinstance(text, str) or not text.strip():
        return [FieldError(field, "is required")]
    if not ONE_LINE.fullmatch(text):
        return [FieldError(field, "must be one line of 1-500 characters, without a newline or other control "
                                  "character")]
    return []


def same_user(one: str, other: str) -> bool:
    """The same user under another spelling (case, surrounding white space): web user names are lower case, but
    the command line's --actor is free text, so `Clerk1` is clerk1 when it comes to approving clerk1's proposal."""
    return one.strip().casefold() == other.strip().casefold()


def decider_errors(status: str, proposer: str, decider: str, role: str, command: str) -> list[FieldError]:
    """The checks both an approval and a rejection pass: still pending, a different user, a role that may."""
    errors = _one_line("actor", decider)
    if errors:
        return errors
    if status != PENDING:
        return [FieldError("proposal", f"was already {status}: a proposal is decided once")]
    if same_user(decider, proposer):
        return [FieldError("actor", f"{decider} proposed it: the approver must be a different user")]
    if not may_decide(role, command):
        allowed = ", ".join(sorted(APPROVERS.get(command, ())))
        return [FieldError("role", f"a {role} may not approve or reject `{command}` (who may: {allowed})")]
    return []


def approval_errors(status: str, proposer: str, approver: str, role: str, command: str,
                    stored_digest: str, argv_digest: str) -> list[FieldError]:
    """May `approver` (in `role`) approve this proposal? Also: the command line kept off the chain must still be
    the one whose digest the chain holds (else it was altered after it was proposed)."""
    errors = decider_errors(status, proposer, approver, role, command)
    if not errors and stored_digest != argv_digest:
        errors = [FieldError("proposal", "its command line no longer matches the digest on the chain "
                                         f"({argv_digest[:12]}…): it was altered after it was proposed")]
    return errors


def rejection_errors(status: str, proposer: str, by: str, role: str, command: str,
                     reason: object) -> list[FieldError]:
    """May `by` reject this proposal with `reason` (one line)? The proposer may withdraw their own."""
    errors = _one_line("reason", reason) + _one_line("actor", by)
    if errors:
        return errors
    if status != PENDING:
        return [FieldError("proposal", f"was already {status}: a proposal is decided once")]
    if same_user(by, proposer):
        return []  # withdrawing one's own proposal needs no second pair of eyes
    return decider_errors(status, proposer, by, role, command)


def proposal_id_errors(proposal_id: object) -> list[FieldError]:
    if not isinstance(proposal_id, str) or not PROPOSAL_ID.fullmatch(proposal_id):
        return [FieldError("proposal", f"{proposal_id!r} is not a proposal id (p- and 12 hex digits)")]
    return []


def proposal_errors(argv: list[str], proposer: str) -> list[FieldError]:
    """What a proposal must be: a command under four eyes, and a proposer named on one line."""
    errors = _one_line("actor", proposer)
    path = command_path(argv)
    if path not in FOUR_EYES:
        known = ", ".join(sorted(FOUR_EYES))
        errors.append(FieldError("command", f"`{path or '(none)'}` is not a command under four-eyes approval "
                                            f"({known}): run it directly"))
    elif "--dry-run" in argv or "--help" in argv:
        errors.append(FieldError("command", "a dry run or --help writes nothing: there is nothing to approve"))
    elif "--" in argv:
        errors.append(FieldError("command", "must not hold `--`: the approver's --actor, added after it when the "
                                            "command runs, would be read as an argument"))
    return errors


def recorded_errors(envelopes: list[object], actor: str | None = None) -> list[FieldError]:
    """What a web user's `record` of these envelopes may not hold: an event a four-eyes command writes, or an event
    naming another actor than the logged-in user (who is the actor of everything they record)."""
    errors: list[FieldError] = []
    for number, envelope in enumerate(envelopes, start=1):
        metadata = envelope.get("metadata") if isinstance(envelope, dict) else None
        named = metadata.get("actor") if isinstance(metadata, dict) else None
        if actor is not None and named is not None and named != actor:
            errors.append(FieldError(f"event {number}.metadata.actor",
                                     f"{named!r} is not you: what you record is recorded as yours ({actor!r}); "
                                     "leave the actor out"))
        kind = envelope.get("type") if isinstance(envelope, dict) else None
        if isinstance(kind, str) and kind in UNDER_FOUR_EYES_EVENTS:
            errors.append(FieldError(f"event {number}.type", f"a {kind} is written by `mutual "
                                                             f"{UNDER_FOUR_EYES_EVENTS[kind]}`, under four-eyes "
                                                             "approval: propose that command instead"))
    return errors
