"""Four-eyes approval's commands (docs/approvals.md): set a co-op's reserve-spending limit, propose a command,
approve it (which runs it now, as the approver, against the books as they stand), reject it.

A proposal is its command line (kept off the chain in the `proposals` table) plus who proposed it and why it needs
a second user; the chain holds ProposalMade with the command line's digest, then ProposalApproved (naming the
positions of the command's events), ProposalRejected or ProposalRefused. The command is run by a `Runner` the
interface passes in (`cli/invoke.py` `run`): `ledger/` never imports `cli/`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Optional, Protocol

import orjson
from pydantic import ValidationError

from ledger import streams
from ledger.approvals import rules
from ledger.approvals.argv import canonical, command_path, digest, option, positionals
from ledger.clock import utc_now
from ledger.errors import FieldError, LedgerError, NotFound, ValidationFailed
from ledger.events.approvals import (
    ApprovalLimitSet,
    ProposalApproved,
    ProposalMade,
    ProposalRefused,
    ProposalRejected,
)
from ledger.events.base import field_errors
from ledger.periods import adjustment_metadata, check_closed
from ledger.source import StoreSource
from ledger.store import AppendResult, EventStore, NewEvent
from ledger.store.proposals import DECIDING, Proposal, Proposals

# The commands a dry run checks when they are proposed (the others are checked when approved).
DRY_RUN_CHECKED = ("member leave", "reserve spend", "reserve transfer")


class Ran(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def error(self) -> str: ...

    @property
    def stdout(self) -> str: ...


Runner = Callable[[list[str]], Ran]


def _refuse(errors: list[FieldError], where: str) -> ValidationFailed:
    return ValidationFailed(errors, where=f"{where} refused, nothing written")


def _today() -> date:
    return utc_now().date()


def _one_line(text: str) -> str:
    """A command's refusal as the one line a ProposalRefused keeps."""
    line = " ".join(text.split()) or "the command failed"
    return line if len(line) <= 500 else line[:499] + "…"


# --- the limit ------------------------------------------------------------------------------------------


def reserve_limit(store: EventStore, coop: str, on: date) -> Optional[Decimal]:
    """The co-op's reserve-spending approval limit in force on `on` (None: no limit set, so all spending needs
    approval). The latest by effective date, then by position (a later entry for the same date wins)."""
    found = [e for e in StoreSource(store).stream_of_type(streams.society(coop), ApprovalLimitSet.event_type)
             if e.effective_date <= on]
    if not found:
        return None
    last = max(found, key=lambda e: (e.effective_date, e.position))
    return Decimal(last.payload["reserve_spending_limit"])


def set_approval_limit(store: EventStore, coop: str, limit: Decimal, on: date, actor: str, *,
                       key: Optional[str] = None, dry_run: bool = False) -> AppendResult | dict[str, Any]:
    """From `on`, reserve spending of `coop` above `limit` needs a second user's approval. (`dry_run`: checked, not
    written; the event it would write comes back. Inside `prior_period_adjustment` it is recorded as one.)"""
    where = f"approval limit of {coop}"
    stream = streams.society(coop)
    events = list(store.read(stream=stream))
    registered = next((e for e in events if e.type == "SocietyRegistered"), None)
    if registered is None:
        raise _refuse([FieldError("coop", f"society {coop} is not in the books")], where)
    if registered.payload.get("kind") != "coop":
        raise _refuse([FieldError("coop", f"{coop} is a {registered.payload.get('kind')}, not a co-op: only a "
                                          "co-op has a reserve")], where)
    try:
        event = ApprovalLimitSet(coop_id=coop, reserve_spending_limit=str(limit))
    except ValidationError as exc:
        raise _refuse(field_errors(exc, prefix=""), where) from None
    metadata = {"actor": actor, **adjustment_metadata()}
    problem = check_closed(stream, event.to_json(), on, metadata, lambda s: list(store.read(stream=s)))
    if problem is not None:
        raise _refuse([problem], where)
    if dry_run:
        return {"dry_run": True, "events": [{"stream": stream, "type": event.event_type,
                                             "effective_date": on.isoformat(), "payload": event.to_json()}]}
    key = key or f"approval-limit:{coop}:{on.isoformat()}:{limit}"
    return store.append(stream, [NewEvent(event, on, key)], expected_version=events[-1].version, metadata=metadata)


# --- what needs approval ------------------------------------------------------------------------------------------


def need_of(store: EventStore, argv: list[str]) -> Optional[rules.Need]:
    """Does this command line need a second user? (For reserve spending, the co-op's limit on its date is read.)"""
    if command_path(argv) == "record":
        _record_checked(argv)
        return None
    argv = canonical(argv)
    limit = None
    if command_path(argv) in rules.RESERVE_OUT:
        coop, on = next(iter(positionals(argv)), None), option(argv, "--on")
        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            day = None
        if coop and day is not None:
            limit = reserve_limit(store, coop, day)
    return rules.needs_approval(argv, limit)


def _record_checked(argv: list[str]) -> None:
    """`record FILE` from the web (web/writes.py asks `need_of` of every write): refused, nothing written, when the
    file holds an event a four-eyes command writes (rules.recorded_errors)."""
    source = next(iter(positionals(argv)), None)
    if source is None or source == "-":
        return
    try:
        with open(source, "rb") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return  # (the command names the file it cannot read)
    envelopes: list[object] = []
    for line in lines:
        try:
            envelopes.append(orjson.loads(line))  # (as `record` reads it: orjson, not json, whose limits differ)
        except orjson.JSONDecodeError:
            continue  # (the command names the line it cannot read)
    errors = rules.recorded_errors(envelopes, option(argv, "--actor"))
    if errors:
        raise _refuse(errors, "record")


# --- proposing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What an approval or a rejection did: the proposal's new status, who decided, why, and (approved) the
    command's output and the positions of its events."""

    proposal_id: str
    status: str
    by: str
    reason: Optional[str] = None
    positions: tuple[int, ...] = ()
    output: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "status": self.status, "by": self.by, "reason": self.reason,
                "positions": list(self.positions), **self.extra}


def propose(store: EventStore, argv: list[str], proposer: str, role: str,
            runner: Optional[Runner] = None, need: Optional[rules.Need] = None) -> Proposal:
    """Record a proposal of `argv` by `proposer`. Refused (nothing written): a command not under four eyes, a dry
    run, or (member leave, reserve spending, checked by a dry run through `runner`) a command the books refuse now."""
    argv = canonical(argv)
    where = f"proposing `{command_path(argv) or '(nothing)'}`"
    errors = rules.proposal_errors(argv, proposer)
    if errors:
        raise _refuse(errors, where)
    path = command_path(argv)
    if runner is not None and path in DRY_RUN_CHECKED:
        tried = runner(_with(argv, "--dry-run", "--actor", proposer, "--json"))
        if not tried.ok:
            raise LedgerError(f"{where} refused, nothing written: {tried.error}")
        if _all_recorded(tried.stdout):
            raise _refuse([FieldError("command", "the books already hold every event it would write: there is "
                                                 "nothing to approve")], where)
    found = need or rules.needs_approval(argv, None)
    if found is None:  # (a transfer into the reserve: under four eyes by its path, but nothing leaves the reserve)
        raise _refuse([FieldError("command", f"`{path}` with these options needs no approval: run it directly")],
                      where)
    proposal = Proposal(f"p-{secrets.token_hex(6)}", path, argv, digest(argv), found.summary, found.needs,
                        proposer, role, rules.PENDING, utc_now())
    try:
        event = ProposalMade(proposal_id=proposal.proposal_id, command=path, summary=proposal.summary,
                             argv_digest=proposal.argv_digest, proposer=proposer, needs=proposal.needs)
    except ValidationError as exc:
        raise _refuse(field_errors(exc, prefix=""), where) from None
    table = Proposals(store.engine)
    table.add(proposal)
    try:
        store.append(_stream(proposal.proposal_id), [NewEvent(event, _today(), f"propose:{proposal.proposal_id}")],
                     expected_version=0, metadata={"actor": proposer})
    except BaseException:
        table.withdraw(proposal.proposal_id)
        raise
    return proposal


def _written_by(store: EventStore, before: int, approver: str, output: str) -> tuple[int, ...]:
    """The positions of the events the approved command wrote. The command's own JSON names them (`positions`, or
    `written` events up to `head_position`, one append); that is taken when every one of them is an event recorded
    as the approver's since the command started. Otherwise, every such event: then a write the same user made at
    the same moment in another request would be counted as the command's."""
    scanned = tuple(e.position for e in store.read(after=before)
                    if e.metadata.get("actor") == approver and not e.stream.startswith("proposal-"))
    try:
        data = json.loads(output) if output.strip() else None
    except ValueError:
        data = None
    named: list[int] = []
    if isinstance(data, dict):
        if isinstance(data.get("positions"), list) and all(type(p) is int for p in data["positions"]):
            named = list(data["positions"])
        elif type(data.get("written")) is int and type(data.get("head_position")) is int:
            named = list(range(data["head_position"] - data["written"] + 1, data["head_position"] + 1))
    return tuple(sorted(named)) if named and set(named) <= set(scanned) else scanned


def _with(argv: list[str], *options: str) -> list[str]:
    """ARGV with the runner's options right after the command's path: at the end, an option left without its value
    (`... --key`) would take the first of them (`--dry-run`, `--actor`) as its value."""
    words = len(command_path(argv).split())
    return [*argv[:words], *options, *argv[words:]]


def _all_recorded(dry_run_json: str) -> bool:
    """Does a dry run's JSON say the log already holds every event the command would write?"""
    try:
        data = json.loads(dry_run_json)
    except ValueError:
        return False
    events = data.get("events") if isinstance(data, dict) else None
    return isinstance(events, list) and bool(events) and data.get("already_recorded") == len(events)


def _stream(proposal_id: str) -> str:
    return f"proposal-{proposal_id}"


@dataclass(frozen=True)
class _Failed:
    error: str
    ok: bool = False
    stdout: str = ""


# --- deciding ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnRecord:
    """A proposal as the chain has it: its ProposalMade's digest, command and proposer, its status, and its
    stream's version. A decision is checked against these, not the table beside the chain (a working copy that the
    database's writer role may change)."""

    argv_digest: str
    status: str
    version: int
    command: str = ""
    proposer: str = ""


_STATUS = {"ProposalApproved": rules.APPROVED, "ProposalRejected": rules.REJECTED,
           "ProposalRefused": rules.REFUSED}


def on_record(store: EventStore, proposal_id: str) -> OnRecord:
    events = list(store.read(stream=_stream(proposal_id)))
    made = next((e for e in events if e.type == ProposalMade.event_type), None)
    if made is None:
        raise NotFound(f"proposal: there is no proposal {proposal_id} on the record")
    status = next((_STATUS[e.type] for e in reversed(events) if e.type in _STATUS), rules.PENDING)
    return OnRecord(made.payload["argv_digest"], status, events[-1].version, made.payload["command"],
                    made.payload["proposer"])


def find(store: EventStore, proposal_id: str) -> Proposal:
    errors = rules.proposal_id_errors(proposal_id)
    if errors:
        raise ValidationFailed(errors)
    found = Proposals(store.engine).get(proposal_id)
    if found is None:
        raise NotFound(f"proposal: there is no proposal {proposal_id}")
    return found


def approve(store: EventStore, proposal_id: str, approver: str, role: str, runner: Runner) -> Decision:
    """Approve a proposal: run its command now, as `approver`, against the books as they stand. Approved: the
    command's events, then ProposalApproved naming them. The command refused: ProposalRefused with its reason, and
    nothing of the command written. Refused outright (nothing written): an unknown id, a proposal already decided,
    the proposer approving, a role that may not, a command line that no longer matches its digest on the chain."""
    where = f"approving {proposal_id}"
    proposal = find(store, proposal_id)
    record = on_record(store, proposal_id)
    errors = rules.approval_errors(record.status, record.proposer, approver, role, record.command,
                                   digest(proposal.argv), record.argv_digest)
    if not errors and command_path(proposal.argv) != record.command:
        errors = [FieldError("proposal", f"its command line runs `{command_path(proposal.argv)}`, not the "
                                         f"`{record.command}` on the chain")]
    if errors:
        raise _refuse(errors, where)
    table = Proposals(store.engine)
    claim = table.claim(proposal_id, rules.PENDING, utc_now(), rules.CLAIM_LAPSES)
    if claim is None:
        raise _refuse([FieldError("proposal", "is being decided by another user, or was already decided")], where)
    try:
        before = store.head().position
        ran = runner(_with(proposal.argv, "--actor", approver, "--json"))
        positions = _written_by(store, before, approver, ran.stdout if ran.ok else "")
        if ran.ok and not positions:  # an idempotent retry: the books hold it already (a second proposal of it)
            ran = _Failed("the books already hold every event the command writes (it was recorded before, by "
                          "another proposal or directly): nothing was approved")
        if ran.ok:
            event: Any = ProposalApproved(proposal_id=proposal_id, approver=approver,
                                          argv_digest=record.argv_digest,
                                          first_position=min(positions) if positions else None,
                                          last_position=max(positions) if positions else None)
            decision = Decision(proposal_id, rules.APPROVED, approver, None, positions, ran.stdout)
        else:
            reason = _one_line(ran.error)
            event = ProposalRefused(proposal_id=proposal_id, approver=approver, reason=reason)
            decision = Decision(proposal_id, rules.REFUSED, approver, reason)
        store.append(_stream(proposal_id), [NewEvent(event, _today(), f"decide:{proposal_id}")],
                     expected_version=record.version, metadata={"actor": approver})
    except BaseException:
        table.release(proposal_id, rules.PENDING, claim)
        raise
    table.decide(proposal_id, decision.status, approver, utc_now(), decision.reason, decision.output or None)
    return decision


def reject(store: EventStore, proposal_id: str, by: str, role: str, reason: str) -> Decision:
    """Reject a proposal (its proposer may withdraw it): ProposalRejected, and its command never runs."""
    where = f"rejecting {proposal_id}"
    find(store, proposal_id)  # (the id is checked and the row must exist)
    record = on_record(store, proposal_id)
    errors = rules.rejection_errors(record.status, record.proposer, by, role, record.command, reason)
    if errors:
        raise _refuse(errors, where)
    table = Proposals(store.engine)
    claim = table.claim(proposal_id, rules.PENDING, utc_now(), rules.CLAIM_LAPSES)
    if claim is None:
        raise _refuse([FieldError("proposal", "is being decided by another user, or was already decided")], where)
    try:
        store.append(_stream(proposal_id),
                     [NewEvent(ProposalRejected(proposal_id=proposal_id, by=by, reason=reason), _today(),
                               f"decide:{proposal_id}")],
                     expected_version=record.version, metadata={"actor": by})
    except BaseException:
        table.release(proposal_id, rules.PENDING, claim)
        raise
    table.decide(proposal_id, rules.REJECTED, by, utc_now(), reason)
    return Decision(proposal_id, rules.REJECTED, by, reason)


def listed(store: EventStore, status: Optional[str] = None) -> list[Proposal]:
    """The proposals, newest first (pending, or every one), as the chain has them: the table beside the chain gives
    the times and the command line; what each does, who proposed it, why, and how and by whom it was decided are
    its events' (the table is a working copy a writer may change), and a row the chain lacks is left out."""
    source = StoreSource(store)
    made = {e.payload["proposal_id"]: e for e in source.of_type(ProposalMade.event_type)}
    decided = {e.payload["proposal_id"]: e for e in source.of_type(*_STATUS)}
    out: list[Proposal] = []
    for row in Proposals(store.engine).all():
        chain = made.get(row.proposal_id)
        if chain is None:
            continue
        decision = decided.get(row.proposal_id)
        now = _STATUS[decision.type] if decision is not None else rules.PENDING
        if now == rules.PENDING and row.status == DECIDING and not rules.claim_lapsed(row.claimed_at, utc_now()):
            now = DECIDING  # being decided this moment (a lapsed claim is pending again: its decider died)
        by = None if decision is None else decision.payload.get("approver") or decision.payload.get("by")
        found = replace(row, command=chain.payload["command"], summary=chain.payload["summary"],
                        needs=chain.payload["needs"], proposer=chain.payload["proposer"],
                        argv_digest=chain.payload["argv_digest"], status=now, decided_by=by,
                        decided_at=None if decision is None else decision.recorded_at,
                        reason=None if decision is None else decision.payload.get("reason"))
        if status is None or found.status == status:
            out.append(found)
    return out


__all__ = ["Decision", "Runner", "approve", "find", "listed", "need_of", "on_record", "propose", "reject",
           "reserve_limit", "set_approval_limit"]
