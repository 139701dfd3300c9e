"""One way to read the books: an `EventSource` hands the folds the events of a stream or of a type.

Every reader of the log -- a query, a command checking its invariants, the
audit replay, the web pages to come -- goes through one of two sources:

* `StoreSource`: the store, read through its indexes one stream (or one type)
  at a time, so a point-in-time query never replays the whole log;
* `ReplaySource`: the events of one pass over the log, held in memory (what
  an audit replay folds over).

Both apply the two things every reader needs and no fold should redo:

* **corrections** (docs/audit.md): an `EventReversed` known to the source
  removes the event it names from every stream and type lookup and puts its
  replacement (if any) in its place; the reversal itself is shown only when
  asked for by type;
* **the recorded clock**: a source made `as_known_at` a time knows only the
  events recorded by then (the effective date, `as_of`, is the fold's).

A `StoreSource` also checks every row it reads (`consistent`: a known type on
a stream of a kind it allows, naming its own ids), and hands events out at
their type's current schema version (upcast once, as they are read), so no
fold parses or upcasts an event again. Each source caches what it read: one
source serves one question (a query, a command's checks).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Optional, Protocol

from ledger.corrections import REVERSAL, corrected, correction_rows, typed_corrected
from ledger.errors import NotFound
from ledger.events.base import REGISTRY
from ledger.store import EventStore, StoredEvent
from ledger.store.mapper import consistent, current_payload


class EventSource(Protocol):
    """What every fold, projection and command reads the books through."""

    as_known_at: datetime | None

    def stream(self, name: str) -> list[StoredEvent]:
        """A stream's events in order, corrections applied."""

    def stream_until(self, name: str, as_of: date) -> list[StoredEvent]:
        """At least the stream's events effective on or before `as_of` (a fold that stops there needs no more)."""

    def stream_of_type(self, name: str, type_: str) -> list[StoredEvent]:
        """One type of event of one stream."""

    def of_type(self, *types: str) -> list[StoredEvent]:
        """Events of these types across all streams, type by type in position order, corrections applied."""

    def require(self, name: str, what: str) -> list[StoredEvent]:
        """A stream that must exist: NotFound naming `what` otherwise."""

    def prefetch(self, names: Iterable[str]) -> None:
        """A hint that these streams will be read: a store-backed source reads them in one query."""

    def corrections(self, stream: str) -> list[dict[str, Any]]:
        """The corrections of a stream, in the order they were recorded."""

    def facts(self, stream: str) -> list[StoredEvent]:
        """Another name for `stream`."""

    def facts_of_type(self, type_: str) -> list[StoredEvent]:
        """The fund's folds' name for `of_type` with one type."""


def current(events: Iterable[StoredEvent]) -> Iterator[StoredEvent]:
    """Events at their type's current schema version (lifted once here, so no fold upcasts again)."""
    for e in events:
        cls = REGISTRY.get(e.type)
        if cls is None or e.schema_version == cls.schema_version:
            yield e
        else:
            yield e._replace(payload=current_payload(e), schema_version=cls.schema_version)


class Window:
    """What the sources of exactly the same books have read (the same log, chain head and recorded time), held for
    the next source of those books: a server's pages share one, so a stream read for one page is not read again for
    the next while the books stand still. Nothing in it can go stale: the books it was read from never change (a
    new append is a new head, and a new window, `carried` over from this one). At most `limit` events are held;
    past that it starts afresh."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.raw: dict[str, list[StoredEvent]] = {}
        self.streams: dict[str, list[StoredEvent]] = {}
        self.typed: dict[tuple[str, str], list[StoredEvent]] = {}
        self.types: dict[str, list[StoredEvent]] = {}
        self.reversals: dict[str, list[StoredEvent]] | None = None
        self._lock = threading.Lock()

    def holding(self, count: int) -> None:
        """`count` more events held: past the limit, everything is let go (the reversals, one small scan, stay)."""
        with self._lock:
            self.held += count
            if self.held > self.limit:
                self.held = 0
                for kept in (self.raw, self.streams, self.typed, self.types):
                    kept.clear()

    def carried(self, appended: list[StoredEvent]) -> Window | None:
        """This window for the books `appended` (the events recorded since its head, in order) lead to: every stream
        and type scan they do not touch is exactly as it was, the rest is let go, to be read again when asked for.
        None (start afresh) when a correction is among them: it changes what other streams and scans show."""
        if any(e.type == REVERSAL for e in appended):
            return None
        streams, types = {e.stream for e in appended}, {e.type for e in appended}
        new = Window(self.limit)
        new.reversals = self.reversals
        # (each copy is one C call, so another thread adding to a dict cannot break it; what it adds meanwhile is
        # of these same books and stays true of the new ones unless a touched stream or type, dropped here)
        new.raw = {k: v for k, v in self.raw.copy().items() if k not in streams}
        new.streams = {k: v for k, v in self.streams.copy().items() if k not in streams}
        new.typed = {k: v for k, v in self.typed.copy().items() if k[0] not in streams}
        new.types = {k: v for k, v in self.types.copy().items() if k not in types}
        new.held = sum(map(len, new.raw.values())) + sum(map(len, new.types.values())) + sum(
            map(len, new.typed.values()))
        return new


class StoreSource:
    """The books as the store has them (as known at `as_known_at`), each stream and type scan read once.

    With a `window` (a server's pages), what it reads is kept there for the next source of the same books."""

    def __init__(self, store: EventStore, as_known_at: datetime | None = None, window: Window | None = None,
                 to_position: int | None = None) -> None:
        self.store = store
        self.as_known_at = as_known_at
        self.to_position = to_position  # read nothing after this position (books drawn from a named chain head)
        self.window = window
        self._reversals: dict[str, list[StoredEvent]] | None = None
        if window is None:
            self._streams: dict[str, list[StoredEvent]] = {}
            self._raw: dict[str, list[StoredEvent]] = {}
            self._typed: dict[tuple[str, str], list[StoredEvent]] = {}
            self._types: dict[str, list[StoredEvent]] = {}
        else:
            self._streams, self._raw, self._typed, self._types = window.streams, window.raw, window.typed, window.types
            self._reversals = window.reversals

    def _read(self, **filters: Any) -> Iterator[StoredEvent]:
        return current(consistent(self.store.read(recorded_to=self.as_known_at, to_position=self.to_position,
                                                  **filters)))

    def _held(self, found: list[StoredEvent]) -> list[StoredEvent]:
        if self.window is not None:
            self.window.holding(len(found))
        return found

    # -- corrections ----------------------------------------------------------
    def reversals(self) -> dict[str, list[StoredEvent]]:
        """Every EventReversed known to the source, by stream (one indexed type scan)."""
        if self._reversals is None:
            found: dict[str, list[StoredEvent]] = {}
            for e in self._read(type=REVERSAL):
                found.setdefault(e.stream, []).append(e)
            self._reversals = found
            if self.window is not None:
                self.window.reversals = found
        return self._reversals

    def _raw_stream(self, name: str) -> list[StoredEvent]:
        """A stream exactly as recorded (reversed events and reversals included)."""
        found = self._raw.get(name)
        if found is None:
            found = self._raw[name] = self._held(list(self._read(stream=name)))
        return found

    def prefetch(self, names: Iterable[str]) -> None:
        """Read the streams among `names` not read yet in one query (a co-op's members and dwellings: one query,
        not forty): what `stream` then hands out is exactly what reading each alone gives."""
        wanted = sorted({name for name in names if name not in self._raw})
        if len(wanted) < 2:
            return
        found: dict[str, list[StoredEvent]] = {name: [] for name in wanted}
        for e in self._read(streams=wanted):
            found[e.stream].append(e)
        for name, events in found.items():
            self._raw[name] = self._held(events)

    def corrections(self, stream: str) -> list[dict[str, Any]]:
        if stream not in self.reversals():
            return []
        return correction_rows(self._raw_stream(stream))

    # -- streams --------------------------------------------------------------
    def stream(self, name: str) -> list[StoredEvent]:
        found = self._streams.get(name)
        if found is None:
            raw = self._raw_stream(name)
            found = self._held(corrected(raw)) if name in self.reversals() else raw
            self._streams[name] = found
        return found

    def stream_until(self, name: str, as_of: date) -> list[StoredEvent]:
        """A corrected stream is read whole: a reversal and the event it reverses may lie either side of `as_of`."""
        found = self._streams.get(name)
        if found is not None:
            return found
        if name in self.reversals():
            return self.stream(name)
        return list(self._read(stream=name, date_to=as_of))

    def stream_of_type(self, name: str, type_: str) -> list[StoredEvent]:
        found = self._streams.get(name)
        if found is None and name in self.reversals():
            found = self.stream(name)
        if found is not None:
            return [e for e in found if e.type == type_]
        key = (name, type_)
        found = self._typed.get(key)
        if found is None:
            found = self._typed[key] = self._held(list(self._read(stream=name, type=type_)))
        return found

    def require(self, name: str, what: str) -> list[StoredEvent]:
        events = self.stream(name)
        if not events:
            known = f" as known at {self.as_known_at.isoformat()}" if self.as_known_at else ""
            raise NotFound(f"{what}: no such {name.split('-', 1)[0]} in the books{known}")
        return events

    def of_type(self, *types: str) -> list[StoredEvent]:
        """(A type scan, remembered: not for hot paths.) EventReversed itself only when asked for by name."""
        out: list[StoredEvent] = []
        for type_ in types:
            found = self._types.get(type_)
            if found is None:
                events = self._read(type=type_)
                reversals = self.reversals()
                if reversals and type_ != REVERSAL:
                    events = typed_corrected(events, type_, reversals, self.stream)
                found = self._types[type_] = self._held(list(events))
            out += found
        return out

    # -- the fund's folds name these `facts` -----------------------------------------------------------
    def facts(self, stream: str) -> list[StoredEvent]:
        return self.stream(stream)

    def facts_of_type(self, type_: str) -> list[StoredEvent]:
        return self.of_type(type_)

    @staticmethod
    def effective(events: Iterable[StoredEvent], as_of: date) -> Iterator[StoredEvent]:
        """The events that have taken effect by `as_of`, in effective-date order (position breaks ties)."""
        return iter(sorted((e for e in events if e.effective_date <= as_of),
                           key=lambda e: (e.effective_date, e.position)))


_position = itemgetter(0)  # a StoredEvent's (and a FoldedEvent's) position


class ReplaySource(StoreSource):
    """The same window, filled by one pass over the log: what an audit replay folds over.

    Every stream and type lookup is answered from memory; nothing is read
    twice. `events` are the log as known at `as_known_at`: the read that
    gives them applies it (a replay's events carry no recorded time).
    """

    def __init__(self, events: Iterable[StoredEvent], as_known_at: Optional[datetime] = None) -> None:
        super().__init__(store=None, as_known_at=as_known_at)  # type: ignore[arg-type]  # no store: all is in memory
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
        self._lift(by_type)
        self._by_type = by_type  # the log as recorded (counts_by_type)
        self.count = count
        reversals: dict[str, list[StoredEvent]] = {}
        for r in by_type.get(REVERSAL, ()):
            reversals.setdefault(r.stream, []).append(r)
        self._reversals = reversals
        self._folded_by_type = by_type
        self._ordered: set[str] = set()
        if self._reversals:
            for found in by_type.values():
                found.sort(key=_position)
            self._apply_corrections()

    def _lift(self, by_type: dict[str, list[StoredEvent]]) -> None:
        """Older payloads lifted to their type's current schema version once, as a StoreSource does. Only a type
        with an upcaster can hold one, and few events are of such types (admissions): they are found by type after
        the pass, which so costs the other events nothing."""
        for name, cls in REGISTRY.items():
            found = by_type.get(name)
            if cls.schema_version == 1 or not found:
                continue
            lifted = {id(e): now for e in found if e.schema_version != cls.schema_version for now in current([e])}
            if not lifted:
                continue
            by_type[name] = [lifted.get(id(e), e) for e in found]
            for stream in {e.stream for e in found if id(e) in lifted}:
                self._streams[stream] = [lifted.get(id(e), e) for e in self._streams[stream]]

    def _apply_corrections(self) -> None:
        streams, touched, reversals = self._streams, set(), self.reversals()
        folded = {t: [e for e in found if e.stream not in reversals or t == REVERSAL]
                  for t, found in self._by_type.items()}
        for name in reversals:
            self._raw[name] = streams[name]
            streams[name] = corrected(streams[name])
            for e in streams[name]:
                folded.setdefault(e.type, []).append(e)
                touched.add(e.type)
        for t in touched:
            folded[t].sort(key=lambda e: e.position)
        self._folded_by_type = folded

    def prefetch(self, names: Iterable[str]) -> None:
        """Everything is in memory already."""

    def _raw_stream(self, name: str) -> list[StoredEvent]:
        return self._raw.get(name) or self._streams.get(name, [])

    def stream(self, name: str) -> list[StoredEvent]:
        return self._streams.get(name, [])

    def stream_until(self, name: str, as_of: date) -> list[StoredEvent]:
        return self._streams.get(name, [])

    def stream_of_type(self, name: str, type_: str) -> list[StoredEvent]:
        """(Remembered: every member's fold asks for its co-op's policies.)"""
        key = (name, type_)
        found = self._typed.get(key)
        if found is None:
            found = self._typed[key] = [e for e in self._streams.get(name, ()) if e.type == type_]
        return found

    def of_type(self, *types: str) -> list[StoredEvent]:
        """(Each type's events are put in log order the first time they are asked for: a replay worker reads its
        streams one after another, and most types are never asked for across streams.)"""
        out: list[StoredEvent] = []
        ordered, folded = self._ordered, self._folded_by_type
        for type_ in types:
            found = folded.get(type_)
            if not found:
                continue
            if type_ not in ordered:
                found.sort(key=_position)
                ordered.add(type_)
            out += found
        return out

    def counts_by_type(self) -> dict[str, int]:
        return {type_: len(events) for type_, events in sorted(self._by_type.items())}


__all__ = ["EventSource", "ReplaySource", "StoreSource", "Window", "current"]
