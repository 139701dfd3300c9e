"""What every co-op fold shares: the shape of an event, their effective order, dispatch by event class, and
values set over time.

The folds (ledger/coop/*.py) take lists of events (anything with the attributes of `ledger.store.StoredEvent`:
position, stream, type, schema_version, effective_date, payload, idempotency_key) and a date, and return what the
books say on that date. No I/O and no SQLAlchemy. Conventions (docs/rules-equity.md, "Projections"): an event
counts from its effective date; same-day events in log order.

A fold chooses what to do with an event by its class: a table keyed by the event class's `event_type`
(`on(PaymentReceived)`), never by a type name spelled out; and it reads the payload through the typed accessor of
its event type (ledger/coop/payloads.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from ledger import folded
from ledger.events.base import REGISTRY, EventPayload, upcast
from ledger.money import ZERO

PRECISION = 40
RATE_QUANTUM = Decimal("0.000001")

Payload = dict[str, Any]


class Event(folded.Event, Protocol):
    """What a co-op fold reads of an event (ledger/folded.py), with its schema version and key (a `StoredEvent`, or
    a `Fact` not yet in the log)."""

    @property
    def schema_version(self) -> int: ...
    @property
    def idempotency_key(self) -> str: ...


Events = Sequence[Event]


class Fact(NamedTuple):
    """An event not yet in the log (a command's pending event), shaped like a StoredEvent for the folds."""

    position: int
    stream: str
    version: int
    type: str
    schema_version: int
    effective_date: date
    payload: Payload
    idempotency_key: str


def payload_of(event: Event) -> Payload:
    """The payload at its type's current schema version (upcast only when older)."""
    cls = REGISTRY.get(event.type)
    if cls is None or event.schema_version == cls.schema_version:
        return event.payload
    return upcast(cls, dict(event.payload), event.schema_version)


E = TypeVar("E", bound=Event)


def effective(events: Iterable[E], as_of: date | None = None) -> list[E]:
    """Events in effect by `as_of` (all when None), in effective-date order, log order breaking ties."""
    chosen = list(events) if as_of is None else [e for e in events if e.effective_date <= as_of]
    chosen.sort(key=folded.EFFECTIVE_ORDER)
    return chosen



def dec(value: Any) -> Decimal:
    """A payload's amount as a Decimal (payloads carry them as strings; a Decimal is kept as it is)."""
    return value if isinstance(value, Decimal) else Decimal(value)


def of_type(events: Iterable[E], *classes: type[EventPayload]) -> list[E]:
    """The events of these event classes, in the order given."""
    if len(classes) == 1:
        name = classes[0].event_type
        return [e for e in events if e.type == name]
    names = {cls.event_type for cls in classes}
    return [e for e in events if e.type in names]


def first_of(events: Iterable[E], cls: type[EventPayload]) -> E | None:
    """The stream's first event of a class (its registration, its drawdown)."""
    name = cls.event_type
    for e in events:
        if e.type == name:
            return e
    return None


S = TypeVar("S")
Handler = Callable[[S, Event], None]


def on(*pairs: tuple[type[EventPayload], Callable[[S, Event], None]]) -> dict[str, Callable[[S, Event], None]]:
    """A fold's dispatch table: each event class's `event_type` to what the fold does with such an event."""
    return {cls.event_type: handler for cls, handler in pairs}


def run(table: dict[str, Callable[[S, Event], None]], state: S, events: Iterable[Event]) -> S:
    """Fold `events` (already in effective order) into `state` through `table`; other events are not its business."""
    get = table.get
    for e in events:
        handler = get(e.type)
        if handler is not None:
            handler(state, e)
    return state


V = TypeVar("V")


class Timeline(Generic[V]):
    """A value set by events from their effective dates (a policy, a budget), read on any date by bisection."""

    def __init__(self, events: Iterable[Event], cls: type[EventPayload], value: Callable[[Event], V],
                 before: V) -> None:
        chosen = effective(of_type(events, cls))
        self.dates = [e.effective_date for e in chosen]
        self.values = [value(e) for e in chosen]
        self.before = before

    def on(self, day: date) -> V:
        i = bisect_right(self.dates, day)
        return self.values[i - 1] if i else self.before


__all__ = ["PRECISION", "RATE_QUANTUM", "ZERO", "Event", "Events", "Fact", "Payload", "Timeline", "dec", "effective",
           "first_of", "of_type", "on", "payload_of", "run"]
