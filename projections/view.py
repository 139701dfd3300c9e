"""The read side's window on the log: the books as they stood at a recorded time.

Every projection is a pure fold over events. A `LedgerView` hands them the
events they need -- one stream at a time, read through the (stream, version)
index, so a point-in-time query never replays the whole log -- and applies
the two clocks of every query:

* `as_known_at` (recorded time): only events recorded at or before it exist.
* the effective date (`as_of`) is the fold's business: an event counts from
  its effective date on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Iterator, Optional

from ledger.errors import NotFound
from ledger.store import EventStore, StoredEvent
from ledger.store.mapper import current_payload


class LedgerView:
    def __init__(self, store: EventStore, as_known_at: Optional[datetime] = None) -> None:
        self.store = store
        self.as_known_at = as_known_at
        self._streams: dict[str, list[StoredEvent]] = {}

    def stream(self, name: str) -> list[StoredEvent]:
        """All events of a stream known at `as_known_at`, in order (cached for this view)."""
        found = self._streams.get(name)
        if found is None:
            found = list(self.store.read(stream=name, recorded_to=self.as_known_at))
            self._streams[name] = found
        return found

    def require(self, name: str, what: str) -> list[StoredEvent]:
        events = self.stream(name)
        if not events:
            known = f" as known at {self.as_known_at.isoformat()}" if self.as_known_at else ""
            raise NotFound(f"{what}: no such {name.split('-', 1)[0]} in the books{known}")
        return events

    def of_type(self, *types: str) -> Iterator[StoredEvent]:
        """Events of the given types across all streams, in position order (a scan: not for hot paths)."""
        for type_ in types:
            yield from self.store.read(type=type_, recorded_to=self.as_known_at)

    @staticmethod
    def effective(events: Iterable[StoredEvent], as_of: date) -> Iterator[StoredEvent]:
        """The events that have taken effect by `as_of`, in effective-date order (position breaks ties)."""
        return iter(sorted((e for e in events if e.effective_date <= as_of),
                           key=lambda e: (e.effective_date, e.position)))


def payload(event: StoredEvent) -> dict:
    """An event's payload at its type's current schema version."""
    return current_payload(event)


def first_effective_date(events: list[StoredEvent]) -> date:
    return min(e.effective_date for e in events)


def check_as_of(events: list[StoredEvent], as_of: date, what: str) -> None:
    """Dates before a stream existed are a clear error; dates after the log answer with what is known."""
    start = first_effective_date(events)
    if as_of < start:
        raise NotFound(f"{what} did not exist on {as_of.isoformat()}: its first event takes effect on {start.isoformat()}")
