"""What every co-op fold shares: events shaped alike, their effective order, and values set over time.

The folds (ledger/coop/*.py) take lists of events (anything with the attributes of `ledger.store.StoredEvent`:
position, stream, type, schema_version, effective_date, payload, idempotency_key) and a date, and return what the
books say on that date. No I/O and no SQLAlchemy. Conventions (docs/rules-equity.md, "Projections"): an event
counts from its effective date; same-day events in log order.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence

from ledger.events.base import REGISTRY
from ledger.money import ZERO

D = Decimal


PRECISION = 40


RATE_QUANTUM = D("0.000001")


class Fact(NamedTuple):
    """An event not yet in the log (a command's pending event), shaped like a StoredEvent for the folds."""

    position: int
    stream: str
    version: int
    type: str
    schema_version: int
    effective_date: date
    payload: dict
    idempotency_key: str


def payload_of(event) -> dict:
    """The payload at its type's current schema version (upcast only when older)."""
    cls = REGISTRY.get(event.type)
    if cls is None or event.schema_version == cls.schema_version:
        return event.payload
    from ledger.events.base import upcast

    return upcast(cls, dict(event.payload), event.schema_version)


def effective(events: Iterable, as_of: Optional[date] = None) -> list:
    """Events in effect by `as_of` (all when None), in effective-date order, log order breaking ties."""
    chosen = list(events) if as_of is None else [e for e in events if e.effective_date <= as_of]
    chosen.sort(key=_EFFECTIVE_ORDER)
    return chosen


_EFFECTIVE_ORDER = attrgetter("effective_date", "position")


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else D(value)


def first_event(events: Sequence, type_: str) -> Optional[tuple[date, dict]]:
    """The effective date and payload of the stream's first event of a type (its registration, its drawdown)."""
    for e in events:
        if e.type == type_:
            return e.effective_date, payload_of(e)
    return None


class Timeline:
    """A value set by events from their effective dates (a policy, a budget), read on any date by bisection."""

    def __init__(self, events: Iterable, type_: str, value: Callable[[dict], Any], before: Any = ZERO) -> None:
        chosen = effective(e for e in events if e.type == type_)
        self.dates = [e.effective_date for e in chosen]
        self.values = [value(payload_of(e)) for e in chosen]
        self.before = before

    def on(self, day: date) -> Any:
        i = bisect_right(self.dates, day)
        return self.values[i - 1] if i else self.before
