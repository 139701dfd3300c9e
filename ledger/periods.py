"""Closed periods: once a society closes a financial period, its figures stay as audited.

A later event dated inside a closed period is refused unless it is recorded
as a prior-period adjustment (metadata `"adjustment": "prior-period"`) with a
non-empty `reason`. The rule is a pure function (`closed_period_error`); the
command handlers find the societies an event belongs to (`societies_of`) and
their closes (`closes_of`) and ask it before they append. See docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, Optional

from ledger.errors import FieldError

PRIOR_PERIOD = "prior-period"
Close = tuple[date, date]

# kind of stream -> the event that says which society it belongs to, and the payload field naming it
# (the audit replay shares streams out among its workers by the same events: projections/replay.py)
STREAM_OWNERS = {
    "member": ("MemberAdmitted", "coop_id"),
    "dwelling": ("DwellingRegistered", "coop_id"),
    "mortgage": ("CollectiveMortgageDrawn", "coop_id"),
    "loan": ("LoanGranted", "fund_id"),
    "account": ("SavingsAccountOpened", "fund_id"),
}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# How each way of writing marks a prior-period adjustment: the advice a refusal gives is the one its writer can follow.
ADVICE_RECORD = "record it as a prior-period adjustment (metadata adjustment \"prior-period\") with a reason"
ADVICE_CORRECT = "pass --prior-period: the correction's --reason is the adjustment's reason"
ADVICE_FUND = "pass --prior-period REASON to record it as a prior-period adjustment"


def closed_period_error(closes: Sequence[Close], effective_date: date,
                        metadata: Optional[Mapping[str, Any]], advice: str = ADVICE_RECORD) -> Optional[FieldError]:
    """None if an event effective on `effective_date` may be recorded; otherwise the reason it may not."""
    inside = next(((s, e) for s, e in closes if s <= effective_date <= e), None)
    if inside is None:
        return None
    metadata = metadata or {}
    reason = metadata.get("reason")
    if metadata.get("adjustment") == PRIOR_PERIOD and isinstance(reason, str) and reason.strip():
        return None
    start, end = inside
    return FieldError("effective_date", f"{effective_date.isoformat()} is inside the closed period "
                                        f"{start.isoformat()} to {end.isoformat()}: {advice}")


def closes_in(society_events: Iterable[Any]) -> list[Close]:
    """The (start, end) of every PeriodClosed among a society stream's events (anything with .type and .payload)."""
    return sorted((_as_date(e.payload["period_start"]), _as_date(e.payload["period_end"]))
                  for e in society_events if e.type == "PeriodClosed")


def societies_of(stream: str, payload: Mapping[str, Any], read: Callable[[str], Sequence[Any]]) -> list[str]:
    """The societies (co-ops, CLTs, JAK funds) whose books an event on `stream` with `payload` belongs to.

    `read(stream)` returns a stream's events (anything with .type and .payload).
    A society stream is its own; a member, dwelling or mortgage belongs to its
    co-op, a loan or savings account to its fund; an index series to none.
    A payload naming a society (share capital's society_id) adds it.
    """
    kind, _, sid = stream.partition("-")
    found: list[str] = []
    if kind == "society":
        found.append(sid)
    owner = STREAM_OWNERS.get(kind)
    if owner is not None:
        type_, field = owner
        for e in read(stream):
            if e.type == type_:
                found.append(e.payload[field])
                break
        else:
            if payload.get(field):
                found.append(payload[field])
    if kind != "society" and payload.get("society_id"):
        found.append(payload["society_id"])
    return list(dict.fromkeys(found))


def closes_of(societies: Iterable[str], read: Callable[[str], Sequence[Any]]) -> list[Close]:
    return sorted(c for s in societies for c in closes_in(read(f"society-{s}")))


def check_closed(stream: str, payload: Mapping[str, Any], effective_date: date,
                 metadata: Optional[Mapping[str, Any]], read: Callable[[str], Sequence[Any]],
                 extra_societies: Iterable[str] = (), advice: str = ADVICE_RECORD) -> Optional[FieldError]:
    """The closed-period rule for one event, reading what it needs through `read`."""
    return PeriodGuard(read, advice).error(stream, payload, effective_date, metadata, extra_societies)


class PeriodGuard:
    """The closed-period rule for the events of one command, each society's closes read once."""

    def __init__(self, read: Callable[[str], Sequence[Any]], advice: str = ADVICE_RECORD) -> None:
        self.read, self.advice = read, advice
        self._closes: dict[str, list[Close]] = {}
        self.recorded_keys: dict[str, set[str]] = {}  # a handler's cache: keys already in the log, by stream

    def already_recorded(self, stream: str, key: str) -> bool:
        """An event retried under a key the log already holds is the store's business (it writes nothing)."""
        keys = self.recorded_keys.get(stream)
        if keys is None:
            keys = self.recorded_keys[stream] = {e.idempotency_key for e in self.read(stream)}
        return key in keys

    def closes(self, society: str) -> list[Close]:
        found = self._closes.get(society)
        if found is None:
            found = self._closes[society] = closes_in(self.read(f"society-{society}"))
        return found

    def error(self, stream: str, payload: Mapping[str, Any], effective_date: date,
              metadata: Optional[Mapping[str, Any]], extra_societies: Iterable[str] = ()) -> Optional[FieldError]:
        societies = dict.fromkeys(societies_of(stream, payload, self.read) + list(extra_societies))
        closes = sorted(c for s in societies for c in self.closes(s))
        return closed_period_error(closes, effective_date, metadata, self.advice) if closes else None

    def inside(self, stream: str, payload: Mapping[str, Any], effective_date: date) -> Optional[Close]:
        """The closed period an event on `stream` dated `effective_date` falls in, if any."""
        societies = societies_of(stream, payload, self.read)
        return next(((s, e) for society in societies for s, e in self.closes(society) if s <= effective_date <= e),
                    None)


_ADJUSTMENT: ContextVar[Optional[str]] = ContextVar("prior_period_adjustment", default=None)


@contextmanager
def prior_period_adjustment(reason: str) -> Iterator[None]:
    """Within this block, the JAK command handlers record their events as prior-period adjustments with `reason`."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("a prior-period adjustment needs a reason")
    token = _ADJUSTMENT.set(reason)
    try:
        yield
    finally:
        _ADJUSTMENT.reset(token)


def adjustment_metadata() -> dict[str, str]:
    """The metadata a handler adds inside `prior_period_adjustment` ({} outside it)."""
    reason = _ADJUSTMENT.get()
    return {} if reason is None else {"adjustment": PRIOR_PERIOD, "reason": reason}
