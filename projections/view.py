"""The read side's window on the log: the books as they stood at a recorded time.

Every projection is a pure fold over events. A `LedgerView` hands them the
events they need -- one stream at a time, read through the (stream, version)
index, so a point-in-time query never replays the whole log -- and applies
the two clocks of every query:

* `as_known_at` (recorded time): only events recorded at or before it exist.
* the effective date (`as_of`) is the fold's business: an event counts from
  its effective date on.

Every event it reads is checked first (ledger.store.mapper.consistent): a row written around the ledger
that no import or command would have written (say, a LoanGranted on loan-X granting loan Y) is named, with
its position, in a clear error instead of being folded into wrong figures or a crash.

It also applies corrections (docs/audit.md): an `EventReversed` known to the
view removes the event it names from every stream and type lookup, puts its
replacement (if any) in its place, and is itself not shown to the folds. An
earlier `as_known_at` does not know a later reversal, so it still shows the
original.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Iterator, Optional

from ledger.errors import NotFound
from ledger.store import EventStore, StoredEvent
from ledger.store.mapper import consistent, current_payload

from ledger.corrections import REVERSAL, correction_rows, corrected, typed_corrected as _typed_corrected


class LedgerView:
    def __init__(self, store: EventStore, as_known_at: Optional[datetime] = None) -> None:
        self.store = store
        self.as_known_at = as_known_at
        self._streams: dict[str, list[StoredEvent]] = {}
        self._reversals: Optional[dict[str, list[StoredEvent]]] = None
        self._raw: dict[str, list[StoredEvent]] = {}

    # -- corrections ----------------------------------------------------------
    def reversals(self) -> dict[str, list[StoredEvent]]:
        """Every EventReversed known to the view, by stream (one indexed type scan per view)."""
        if self._reversals is None:
            found: dict[str, list[StoredEvent]] = {}
            for e in consistent(self.store.read(type=REVERSAL, recorded_to=self.as_known_at)):
                found.setdefault(e.stream, []).append(e)
            self._reversals = found
        return self._reversals

    def _raw_stream(self, name: str) -> list[StoredEvent]:
        """A stream exactly as recorded (reversed events and reversals included)."""
        found = self._raw.get(name)
        if found is None:
            found = self._raw[name] = list(consistent(self.store.read(stream=name, recorded_to=self.as_known_at)))
        return found

    def corrections(self, stream: str) -> list[dict]:
        """The corrections of a stream known to the view, in the order they were recorded."""
        if stream not in self.reversals():
            return []
        return correction_rows(self._raw_stream(stream))

    # -- streams --------------------------------------------------------------
    def stream(self, name: str) -> list[StoredEvent]:
        """All events of a stream known at `as_known_at`, in order, corrections applied (cached for this view)."""
        found = self._streams.get(name)
        if found is None:
            raw = self._raw_stream(name)
            found = corrected(raw) if name in self.reversals() else raw
            self._streams[name] = found
        return found

    def stream_until(self, name: str, as_of: date) -> list[StoredEvent]:
        """A stream's events effective on or before `as_of`: a fold that stops there needs no more rows.

        A corrected stream is read whole: a reversal and the event it reverses may lie either side of `as_of`.
        """
        found = self._streams.get(name)
        if found is not None:
            return found
        if name in self.reversals():
            return self.stream(name)
        return list(consistent(self.store.read(stream=name, date_to=as_of, recorded_to=self.as_known_at)))

    def stream_of_type(self, name: str, type_: str) -> list[StoredEvent]:
        """One type of event of one stream (cached)."""
        found = self._streams.get(name)
        if found is None and name in self.reversals():
            found = self.stream(name)
        if found is not None:
            return [e for e in found if e.type == type_]
        key = (name, type_)
        typed = self.__dict__.setdefault("_typed", {})
        if key not in typed:
            typed[key] = list(consistent(self.store.read(stream=name, type=type_, recorded_to=self.as_known_at)))
        return typed[key]

    def require(self, name: str, what: str) -> list[StoredEvent]:
        events = self.stream(name)
        if not events:
            known = f" as known at {self.as_known_at.isoformat()}" if self.as_known_at else ""
            raise NotFound(f"{what}: no such {name.split('-', 1)[0]} in the books{known}")
        return events

    def of_type(self, *types: str) -> Iterator[StoredEvent]:
        """Events of the given types across all streams, in position order (a scan: not for hot paths).

        Corrections applied: reversed events are left out and replacements of these types come in.
        EventReversed itself is returned only when asked for by name.
        """
        reversals = self.reversals()
        for type_ in types:
            events = consistent(self.store.read(type=type_, recorded_to=self.as_known_at))
            if not reversals or type_ == REVERSAL:
                yield from events
                continue
            yield from _typed_corrected(events, type_, reversals, self.stream)

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


class ReplayView(LedgerView):
    """The same window, filled by one pass over the log: what an audit replay folds over.

    Every stream and type lookup is answered from memory; nothing is read
    twice. `events` are the log as known at `as_known_at`: the read that
    gives them applies it (a replay's events carry no recorded time).
    """

    def __init__(self, events: Iterable[StoredEvent], as_known_at: Optional[datetime] = None) -> None:
        super().__init__(store=None, as_known_at=as_known_at)  # type: ignore[arg-type]
        by_type: dict[str, list[StoredEvent]] = {}
        streams = self._streams
        count = 0
        for event in events:
            stream = streams.get(event.stream)
            if stream is None:
                stream = streams[event.stream] = []
            stream.append(event)
            typed = by_type.get(event.type)
            if typed is None:
                typed = by_type[event.type] = []
            typed.append(event)
            count += 1
        self._by_type = by_type  # the log as recorded (counts_by_type)
        self.count = count
        self._reversals = {}
        for r in by_type.get(REVERSAL, ()):
            self._reversals.setdefault(r.stream, []).append(r)
        self._folded_by_type = by_type
        if self._reversals:
            self._apply_corrections()

    def _apply_corrections(self) -> None:
        streams, touched = self._streams, set()
        folded = {t: [e for e in found if e.stream not in self._reversals or t == REVERSAL]
                  for t, found in self._by_type.items()}
        for name in self._reversals:
            self._raw[name] = streams[name]
            streams[name] = corrected(streams[name])
            for e in streams[name]:
                folded.setdefault(e.type, []).append(e)
                touched.add(e.type)
        for t in touched:
            folded[t].sort(key=lambda e: e.position)
        self._folded_by_type = folded

    def _raw_stream(self, name: str) -> list[StoredEvent]:
        return self._raw.get(name) or self._streams.get(name, [])

    def stream(self, name: str) -> list[StoredEvent]:
        return self._streams.get(name, [])

    def stream_until(self, name: str, as_of: date) -> list[StoredEvent]:
        return self._streams.get(name, [])

    def stream_of_type(self, name: str, type_: str) -> list[StoredEvent]:
        """(Remembered: every member's fold asks for its co-op's resale formulas, on a stream of every member's
        reserve transfers.)"""
        typed = self.__dict__.setdefault("_stream_types", {})
        found = typed.get((name, type_))
        if found is None:
            found = typed[(name, type_)] = [e for e in self._streams.get(name, ()) if e.type == type_]
        return found

    def of_type(self, *types: str) -> Iterator[StoredEvent]:
        for type_ in types:
            yield from self._folded_by_type.get(type_, ())

    def counts_by_type(self) -> dict[str, int]:
        return {type_: len(events) for type_, events in sorted(self._by_type.items())}
