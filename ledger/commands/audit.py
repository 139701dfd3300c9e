"""Corrections and period closes: the two commands that keep the books honest (docs/audit.md).

`reverse_event` appends an `EventReversed` to the stream of the event it
reverses; the read side (projections/view.py) then leaves the original out
and puts the replacement, if any, in its place. `close_period` appends a
`PeriodClosed` to a society's stream; from then on the command handlers
refuse an event dated inside it unless it is a prior-period adjustment with
a reason (ledger/periods.py). Both check, then append at the stream version
they read (optimistic concurrency): refused, nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from pydantic import ValidationError

from ledger.commands.consistency import checks_again
from ledger.commands.coop import CHECKED_BY_ITS_COMMAND
from ledger.corrections import corrected
from ledger.errors import FieldError, ValidationFailed
from ledger.events.audit import AUDIT_TYPES, EventReversed, PeriodClosed
from ledger.events.base import REGISTRY, field_errors, upcast
from ledger.fund.releases import COMPUTED_ON_READ
from ledger.periods import ADVICE_CORRECT, PRIOR_PERIOD, adjustment_metadata, check_closed, closes_in
from ledger.source import EventSource
from ledger.store import AppendResult, EventStore, NewEvent, StoredEvent
from ledger.store.mapper import current_payload, encode_replacement


def _refuse(errors: list[FieldError], where: str) -> ValidationFailed:
    return ValidationFailed(errors, where=f"{where} refused, nothing written")


class _Reader:
    """Streams as recorded, each read once."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._streams: dict[str, list[StoredEvent]] = {}

    def __call__(self, stream: str) -> list[StoredEvent]:
        found = self._streams.get(stream)
        if found is None:
            found = self._streams[stream] = [e._replace(payload=current_payload(e))
                                             for e in self.store.read(stream=stream)]
        return found


@dataclass(frozen=True)
class Corrected:
    stream: str
    reversed_position: int
    reversal_position: int
    replacement_type: Optional[str]
    written: int
    head_position: int
    head_hash: str

    def to_json(self) -> dict[str, Any]:
        return {"stream": self.stream, "reversed_position": self.reversed_position,
                "reversal_position": self.reversal_position, "replacement_type": self.replacement_type,
                "written": self.written, "head_position": self.head_position, "head_hash": self.head_hash}


def _replacement(stream: str, replacement_type: Optional[str],
                 replacement_payload: Any) -> tuple[Optional[dict[str, Any]], list[FieldError]]:
    """The replacement's canonical payload, or why it is refused (as an event of its own type; and its ids)."""
    if replacement_type is None and replacement_payload is None:
        return None, []
    if replacement_type in COMPUTED_ON_READ:
        return None, [FieldError("replacement_type", f"a {replacement_type} is not recorded: "
                                                     f"{COMPUTED_ON_READ[replacement_type]}")]
    command = CHECKED_BY_ITS_COMMAND.get(replacement_type) if isinstance(replacement_type, str) else None
    if command is not None:  # its rules (the fund's liquidity, a contract) are its command's: never taken unchecked
        return None, [FieldError("replacement_type", f"a {replacement_type} is recorded with `{command}`, which "
                                                     "checks it: reverse this event without a replacement, then "
                                                     "run that command")]
    payload, errors = encode_replacement(stream, replacement_type, replacement_payload)  # (its ids: own_id_errors)
    event_type = REGISTRY.get(replacement_type) if isinstance(replacement_type, str) else None
    if payload is not None and event_type is not None:
        version = event_type.version_of(payload)
        if version != event_type.schema_version:  # a new fact enters the chain at its type's current version
            payload = event_type.model_validate(upcast(event_type, payload, version)).to_json()
    return payload, errors


@checks_again
def reverse_event(store: EventStore, position: int, reason: str, actor: str, replacement_type: Optional[str] = None,
                  replacement_payload: Optional[dict[str, Any]] = None, effective_date: Optional[date] = None, *,
                  prior_period_adjustment: bool = False) -> Corrected:
    """Reverse the event at `position` (and put `replacement_type`/`replacement_payload` in its place).

    Refused: no event there; a period close; a reversal without a
    replacement (naming a reversal that has one reverses that replacement);
    an event already reversed; a replacement its type's schema or stream kind
    refuses or whose ids name another stream; a date inside a closed period
    unless `prior_period_adjustment` (the reason is the adjustment's reason);
    without a replacement, an event others rest on (`_resting_on`: a member's
    admission under their payments, a society a dwelling names).
    """
    where = f"reversing position {position}"
    head = store.head().position  # before anything is read: the append is refused if the log moves on
    target = next(iter(store.read(after=position - 1, to_position=position)), None) if position >= 1 else None
    if target is None:
        raise _refuse([FieldError("position", f"there is no event at position {position}")], where)
    if target.stream.startswith("bank-"):
        raise _refuse([FieldError("position", f"position {position} is on bank account stream {target.stream}: a "
                                              "line's match or ignoring is put back with `mutual bank unmatch` (the "
                                              "payment made from it too); the statement's lines, balances and rules "
                                              "are the bank's record")], where)
    if target.type == "PeriodClosed":
        raise _refuse([FieldError("position", f"position {position} is a period close: a closed period is not "
                                              "reopened by a correction")], where)
    if target.type == "EventReversed" and not current_payload(target).get("replacement_type"):
        raise _refuse([FieldError("position", f"position {position} is a reversal without a replacement: there is "
                                              "nothing to reverse (record the event again instead)")], where)
    read = _Reader(store)
    events = read(target.stream)
    earlier = next((e for e in events if e.type == "EventReversed" and e.payload["position"] == position), None)
    if earlier is not None:
        raise _refuse([FieldError("position", f"position {position} was already reversed at position "
                                              f"{earlier.position} ({earlier.payload['reason']})")], where)
    payload, errors = _replacement(target.stream, replacement_type, replacement_payload)
    if errors:
        raise _refuse(errors, where)
    if replacement_type is None:
        resting = _resting_on(store, target, events)
        if resting:
            raise _refuse([FieldError("position", resting)], where)
    on = effective_date or target.effective_date
    metadata: dict[str, str] = {"actor": actor, "reason": reason}
    if prior_period_adjustment:
        metadata["adjustment"] = PRIOR_PERIOD
    extra = adjustment_metadata()
    if extra:
        metadata = {**metadata, **extra, "reason": reason}
    for day in dict.fromkeys((target.effective_date, on)):
        problem = check_closed(target.stream, target.payload, day, metadata, read, advice=ADVICE_CORRECT)
        if problem is not None:
            raise _refuse([problem], where)
    try:
        event = EventReversed(position=position, reason=reason, replacement_type=replacement_type,
                              replacement_payload=payload)
    except ValidationError as exc:
        raise _refuse(field_errors(exc, prefix=""), where) from None
    version = events[-1].version if events else 0
    result = store.append(target.stream, [NewEvent(event, on, f"reverse:{position}")], expected_version=version,
                          metadata=metadata, expected_head=head)
    return Corrected(target.stream, position, result.positions[0], replacement_type, result.written,
                     result.head.position, result.head.hash)


# The event that founds each kind of stream (the others have none: an index's values, a bank account's lines), and
# the payload fields of other streams' founding events that name what it founded.
FOUNDING: dict[str, str] = {"member": "MemberAdmitted", "society": "SocietyRegistered",
                            "dwelling": "DwellingRegistered", "mortgage": "CollectiveMortgageDrawn",
                            "loan": "LoanGranted", "account": "SavingsAccountOpened"}
_NAMED_BY: dict[str, tuple[tuple[str, str], ...]] = {
    "SocietyRegistered": (("SocietyRegistered", "clt_id"), ("DwellingRegistered", "coop_id"),
                          ("MemberAdmitted", "coop_id"), ("CollectiveMortgageDrawn", "coop_id"),
                          ("SavingsAccountOpened", "fund_id")),
    "DwellingRegistered": (("MemberAdmitted", "dwelling_id"),),
    "CollectiveMortgageDrawn": (("MemberAdmitted", "mortgage_id"),),
}


def _resting_on(store: EventStore, target: StoredEvent, raw: list[StoredEvent]) -> str:
    """Why `target` cannot be reversed without a replacement, or "": it is its stream's founding event (or a
    correction whose replacement is: reversing that removes the replacement) and other events of the stream still
    stand, or it founded a society, dwelling or mortgage that another stream's standing founding event names.
    Reversing it would leave those events resting on nothing (a member's payments with no admission): reverse them
    first, or correct it with a replacement."""
    founding = FOUNDING.get(target.stream.partition("-")[0])
    removed = target.payload.get("replacement_type") if target.type == "EventReversed" else target.type
    if founding is None or removed != founding:
        return ""
    standing = [e for e in corrected(raw) if e.position != target.position]
    if any(e.type == founding for e in standing):
        return ""  # (another founding event stands: nothing is left without one)
    if standing:
        return (f"position {target.position} is {target.stream}'s {founding}, on which {len(standing)} "
                f"other event(s) of {target.stream} rest (the first at position {standing[0].position}): reverse "
                "those first, or correct it with a replacement (--replacement-type, --replacement-payload)")
    own_id = target.stream.partition("-")[2]
    for type_, field in _NAMED_BY.get(founding, ()):
        for e in store.read(type=type_):
            if e.payload.get(field) == own_id and e.stream != target.stream and \
                    any(s.position == e.position for s in corrected(list(store.read(stream=e.stream)))):
                return (f"position {target.position} is {target.stream}'s {founding}, which {e.stream}'s "
                        f"{e.type} at position {e.position} names ({field}): reverse that first, or correct this "
                        "one with a replacement (--replacement-type, --replacement-payload)")
    return ""


def close_period(store: EventStore, society_id: str, start: date, end: date, actor: str) -> AppendResult:
    """Close the period `start`..`end` of a society (a co-op, CLT or JAK fund); periods close in order."""
    where = f"closing {start.isoformat()} to {end.isoformat()} of {society_id}"
    if start > end:
        raise _refuse([FieldError("start", f"{start.isoformat()} is after the end {end.isoformat()}")], where)
    stream = f"society-{society_id}"
    events = _Reader(store)(stream)
    if not events:
        raise _refuse([FieldError("society", f"society {society_id} is not in the books")], where)
    for s, e in closes_in(events):
        if start <= e:
            return_error = (f"overlaps the closed period {s.isoformat()} to {e.isoformat()}" if start >= s or end >= s
                            else f"is before the closed period {s.isoformat()} to {e.isoformat()}")
            raise _refuse([FieldError("start", f"{start.isoformat()}: the period {return_error}; "
                                               f"periods close in order, the next starting after {e.isoformat()}")],
                          where)
    due = accruals_due(store, society_id, end)
    inside = [p for p in due if start <= p.effective_date <= end]
    if inside:
        first = inside[0]
        raise _refuse([FieldError("end", f"{len(inside)} accruals of {society_id} fall inside the period (the first: "
                                         f"{first.payload.event_type} on {first.stream}, "
                                         f"{first.effective_date.isoformat()}): "
                                         f"run `mutual accrue --through {end.isoformat()}` first")], where)
    try:
        event = PeriodClosed(society_id=society_id, period_start=start.isoformat(), period_end=end.isoformat())
    except ValidationError as exc:
        raise _refuse(field_errors(exc, prefix=""), where) from None
    return store.append(stream, [NewEvent(event, end, f"close:{society_id}:{start.isoformat()}:{end.isoformat()}")],
                        expected_version=events[-1].version, metadata={"actor": actor})


def accruals_due(store: EventStore, society_id: str, through: date) -> list[Any]:
    """The accruals (lender's years, indexation, dues) of a co-op still to be posted through a date."""
    from ledger.commands.coop import World, planned_accruals

    return planned_accruals(World(store), through, coop=society_id)


def closed_periods(view: EventSource, society_id: str) -> list[dict[str, Any]]:
    """A society's closed periods as a view (as known at its time) has them."""
    return [{"society": society_id, "start": date.fromisoformat(e.payload["period_start"]),
             "end": date.fromisoformat(e.payload["period_end"]), "position": e.position,
             "actor": e.metadata.get("actor"), "recorded_at": e.recorded_at}
            for e in view.stream_of_type(f"society-{society_id}", "PeriodClosed")]


__all__ = ["AUDIT_TYPES", "Corrected", "close_period", "closed_periods", "reverse_event"]
