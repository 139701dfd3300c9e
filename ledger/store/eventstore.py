"""The event store: a recorder (SQL) and the checks of what comes in (envelope, chunks) composed.

Appends are all-or-nothing per call, positions are gap-free in commit order,
every event is chained to the one before it by SHA-256, and an append
retried with the same idempotency keys and content writes nothing and
returns the original positions.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ledger.canonical import GENESIS_HASH, seal_text
from ledger.clock import UTC, format_recorded_at, utc_now
from ledger.errors import (
    ChainBroken,
    ConcurrencyConflict,
    FieldError,
    IdempotencyConflict,
    LedgerError,
    LedgerMoved,
    ValidationFailed,
)
from ledger.events import EventPayload
from ledger.store.chunks import validate_lines
from ledger.store.engine import make_engine
from ledger.store.envelope import pending_from_model, same_fact
from ledger.store.keys import FACT_KEY_PREFIX, fact_text
from ledger.store.recorder import LEGACY_KEYS, Recorder, Row, recorder_for
from ledger.store.records import AppendResult, Head, Pending, StoredEvent
from ledger.store.rows import decode_row, effective_value, row_decoder
from ledger.store.verify import row_hash

MAX_ERRORS_REPORTED = 20
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command wants to append."""

    payload: EventPayload
    effective_date: date
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    read: int
    written: int
    already_recorded: int
    head: Head


class EventStore:
    def __init__(self, engine: Engine | str | None = None, *, clock: Clock = utc_now) -> None:
        self.engine = engine if isinstance(engine, Engine) else make_engine(engine)
        self.recorder: Recorder = recorder_for(self.engine)
        self.clock = clock
        # The last row this store inserted, as it was sealed, with its head: a writer that reads back exactly this
        # row as the head knows its hash seals its content without hashing it again (_Writer._sealed_head).
        self.last_sealed: tuple[Row, Head] | None = None

    # -- writing ------------------------------------------------------------
    def writers_lock(self) -> AbstractContextManager[None]:
        """A context in which this thread holds the writers' lock: every read and append through this store
        joins one transaction, so the log cannot move between a command's checks and its append
        (ledger/commands/consistency.py). Other writers wait; readers elsewhere do not."""
        return self.recorder.holding_lock()

    def append(self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None = None,
               metadata: Mapping[str, Any], expected_head: int | None = None) -> AppendResult:
        """Append events to one stream if it is at `expected_version` (None: any; 0: no stream yet) and the log
        at `expected_head` (None: any; see append_pending)."""
        pendings = [
            pending_from_model(stream, e.payload, e.effective_date, metadata=metadata,
                               idempotency_key=e.idempotency_key)
            for e in events
        ]
        return self.append_pending(pendings, {stream: expected_version}, expected_head=expected_head)

    def append_pending(self, pendings: list[Pending], expected: Mapping[str, int | None] | None = None,
                       on_progress: Callable[[int], None] | None = None, *,
                       expected_head: int | None = None) -> AppendResult:
        """Append, all or nothing, if each stream in `expected` is at its version and, when `expected_head` is
        given, the log's head is still at that position: the one a command read the books at before checking its
        events against them (LedgerMoved otherwise; ledger/commands/consistency.py)."""
        return self._append_chunks([pendings], expected, on_progress, expected_head=expected_head)

    def _append_chunks(self, chunks: Iterable[list[Pending]], expected: Mapping[str, int | None] | None = None,
                       on_progress: Callable[[int], None] | None = None, positions: bool = True,
                       expected_head: int | None = None, bulk: bool = False) -> AppendResult:
        try:
            with self.recorder.appending(bulk=bulk) as driver:
                writer = _Writer(self, driver, dict(expected or {}))
                if expected_head is not None and writer.start.position != expected_head:
                    chunks = list(chunks)
                    if not writer.all_recorded(chunks):  # (a retry of what is recorded is a replay, moved or not)
                        raise LedgerMoved(expected_head, writer.start.position)
                return writer.write(chunks, on_progress, positions)
        except IntegrityError as exc:  # only reachable if someone writes around the lock
            raise LedgerError(f"the database refused the append ({exc.orig}); nothing was written") from None

    def import_lines(self, lines: Iterable[bytes | str], *, default_actor: str | None = None,
                     on_progress: Callable[[int], None] | None = None) -> ImportResult:
        """Import JSON-lines envelopes, all or nothing.

        Lines are validated and sealed a block at a time, and inserted in
        chunks, all inside one transaction that is rolled back if any line
        anywhere is refused. Each block is sealed while its objects are still
        in the CPU cache (sealing a 20,000-line chunk after validating all of
        it cost 40% more). (A worker process that validated while this one
        wrote was tried and measured: on a 2-core machine the competing
        processes slowed SQLite's inserts as much as they saved, so it was
        removed.) The lines are read a block at a time, never held whole: an audit streams a million through.
        """
        source = iter(lines)
        errors: list[FieldError] = []
        count = 0  # events read: every line but blank ones (a refused line refuses the import)

        def blocks() -> Iterator[list[Pending]]:
            nonlocal count
            first = 1  # the number of the block's first line
            while block := list(itertools.islice(source, IMPORT_BLOCK)):
                pendings, problems = validate_lines(block, first, default_actor, MAX_ERRORS_REPORTED - len(errors))
                first += len(block)
                errors.extend(problems)
                if len(errors) >= MAX_ERRORS_REPORTED:
                    break  # as many refused lines as are reported: no need to read on
                if not errors:
                    count += len(pendings)
                    yield pendings
                # else: read on without writing, to report every refused line (up to the limit)
            if errors:
                raise _Refused()  # rolls back whatever was written

        try:
            with _collector_paused():
                result = self._append_chunks(blocks(), None, on_progress, positions=False, bulk=True)
        except _Refused:
            raise ValidationFailed(errors[:MAX_ERRORS_REPORTED], where="import refused, nothing written") from None
        if errors:  # (refused lines always raise _Refused: blocks() raises it last)
            raise ValidationFailed(errors[:MAX_ERRORS_REPORTED], where="import refused, nothing written")
        if result.written:
            self.recorder.settle()
        return ImportResult(count, result.written, count - result.written, result.head)

    @staticmethod
    def _check_claims(p: Pending, position: int, version: int, prev_hash: str) -> None:
        problems = []
        if p.claimed_version is not None and p.claimed_version != version:
            problems.append(FieldError("version", f"is {p.claimed_version} but the stream {p.stream} is ready for "
                                                  f"version {version}"))
        if p.claimed_position is not None and p.claimed_position != position:
            problems.append(FieldError("position", f"is {p.claimed_position} but the ledger's next position is "
                                                   f"{position}"))
        if p.claimed_prev_hash is not None and p.claimed_prev_hash != prev_hash:
            problems.append(FieldError("prev_hash", "does not match the hash of the ledger's last event"))
        if problems:
            raise ValidationFailed(problems, where=p.where or "append refused, nothing written")

    @staticmethod
    def _check_recorded(p: Pending, recorded: datetime, last: datetime | None, now: datetime) -> None:
        if last is not None and recorded < last:
            raise ValidationFailed([FieldError("recorded_at", "is earlier than the event before it; recorded times "
                                                              "never run backwards")],
                                   where=p.where or "append refused, nothing written")
        if recorded > now:
            raise ValidationFailed([FieldError("recorded_at", "is in the future of the store's clock")],
                                   where=p.where or "append refused, nothing written")

    # -- reading ------------------------------------------------------------
    def head(self, as_known_at: datetime | None = None) -> Head:
        """The chain's head: now, or as the log stood at `as_known_at` (what an output drawn then names)."""
        with self.recorder.reading() as conn:
            return self.recorder.head(conn, as_known_at)

    def read(self, *, after: int = 0, stream: str | None = None, type: str | None = None,
             date_from: date | None = None, date_to: date | None = None,
             to_position: int | None = None, recorded_to: datetime | None = None,
             streams: Collection[str] | None = None, corrections: bool = False) -> Iterator[StoredEvent]:
        """Events in position order, decoded, optionally filtered. `streams`: the events of these streams only, stream
        after stream (each in position order), in one query. `corrections`: reversals and events that may be
        prior-period adjustments only (from their own index; the caller checks each one's metadata)."""
        filters = {"stream": stream, "type": type, "date_from": date_from, "date_to": date_to,
                   "to_position": to_position, "recorded_to": recorded_to, "streams": streams,
                   "corrections": corrections}
        decode = row_decoder()
        with self.recorder.reading() as conn:
            for row in self.recorder.select(conn, after=after, filters=filters, by_stream=streams is not None):
                yield decode(row)

    def read_raw(self, *, after: int = 0, filters: dict[str, Any] | None = None) -> Iterator[Row]:
        with self.recorder.reading() as conn:
            yield from self.recorder.select(conn, after=after, filters=filters)

    def recorded(self, pendings: Sequence[Pending]) -> list[int | None]:
        """For each event, the position of the event the log already holds for it, or None.

        Held: its key, with the same fact; or, for a derived (`fact:`) key, the same fact under a legacy
        `content:` key. A key held for another fact raises IdempotencyConflict. A command asks this before it
        checks its events against the books, so that a retry is a replay and not a refusal (docs/events.md).
        """
        if not pendings:
            return []
        with self.recorder.reading() as conn:
            driver = self.recorder.driver(conn)
            rows = self.recorder.rows_by_key(driver, list(dict.fromkeys(p.idempotency_key for p in pendings)))
            found: list[int | None] = []
            for p in pendings:
                row = rows.get(p.idempotency_key)
                if row is None:
                    found.append(None)
                    continue
                stored = decode_row(row)
                if not same_fact(fact_text(stored.stream, stored.type, stored.schema_version,
                                           stored.effective_date.isoformat(), row[7]), p):
                    raise IdempotencyConflict(p.idempotency_key, stored.position)
                found.append(stored.position)
            missing = [p for p, position in zip(pendings, found, strict=True) if position is None]
            legacy = legacy_replays(self.recorder, driver, missing) if missing else {}
        return [legacy.get(p.idempotency_key) if position is None else position
                for p, position in zip(pendings, found, strict=True)]

    def stream_version(self, stream: str) -> int:
        with self.recorder.reading() as conn:
            return self.recorder.stream_versions(self.recorder.driver(conn), [stream]).get(stream, 0)

    def dispose(self) -> None:
        self.recorder.release()
        self.engine.dispose()


def _derived(pendings: list[Pending]) -> bool:
    return any(p.idempotency_key.startswith(FACT_KEY_PREFIX) for p in pendings)


def legacy_replays(recorder: Recorder, driver: Any, pendings: Sequence[Pending],
                   cache: dict[str, dict[str, int]] | None = None) -> dict[str, int]:
    """{key: position} of the events with a derived (`fact:`) key that the log holds already under a legacy
    `content:` key (derived before the key was the fact alone: it sealed the actor in). The same fact, on the same
    stream, is the same event, whoever entered it; docs/events.md "Idempotency"."""
    derived = [p for p in pendings if p.idempotency_key.startswith(FACT_KEY_PREFIX)]
    if not derived:
        return {}
    cache = {} if cache is None else cache
    unknown = [s for s in dict.fromkeys(p.stream for p in derived) if s not in cache]
    for stream in unknown:
        cache[stream] = {}
    for start in range(0, len(unknown), 500):
        chunk = unknown[start:start + 500]
        marks = ", ".join([recorder.mark] * len(chunk))
        rows = recorder.fetch(
            driver, f"SELECT stream, type, schema_version, effective_date, payload, position FROM events "
            f"WHERE stream IN ({marks}) AND {LEGACY_KEYS} ORDER BY position", tuple(chunk))
        for stream, type_, schema_version, effective, payload, position in rows:
            text = fact_text(stream, type_, schema_version, effective_value(effective).isoformat(), payload)
            cache[stream].setdefault(text, position)
    found = {}
    for p in derived:
        position = cache[p.stream].get(p.content_text())
        if position is not None:
            found[p.idempotency_key] = position
    return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while an import runs, as it was after.

    An import makes no reference cycles on its way (parsed lines, pending events and sealed rows are freed by their
    reference counts a block at a time), so the collector would find nothing; but every 700 new containers it runs,
    and every so often it walks every object the process holds. Over a 10-million-line import that held the file's
    lines and the growing set of written keys, 192 full collections made the import's cost per event grow with its
    length (31 µs/event at 10M against 19 at 1M). Nothing is frozen: the caller's objects stay the collector's."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _WrittenKeys:
    """The idempotency keys one write has written so far: exact while few, then a fixed-size Bloom filter.

    Asked only whether a key *may* have been written by this write; a yes is settled by reading the key's row
    (the database holds every row this write inserted). An exact set of ten million keys held about a gigabyte;
    the filter holds 32 MiB whatever the import's length, and answers a wrong yes for about 1 key in 840 at ten
    million keys (three bits of 2^28 a key), which costs one look-up of that key."""

    EXACT_UP_TO = 1 << 16
    BITS = 28
    __slots__ = ("bits", "exact")

    def __init__(self) -> None:
        self.exact: set[str] | None = set()
        self.bits: bytearray | None = None

    def update(self, keys: Iterable[str]) -> None:
        exact = self.exact
        if exact is not None:
            exact.update(keys)
            if len(exact) <= self.EXACT_UP_TO:
                return
            self.bits = bytearray(1 << (self.BITS - 3))
            self.exact, keys = None, exact
        bits, mask, shift = self.bits, (1 << self.BITS) - 1, self.BITS
        assert bits is not None
        for key in keys:
            h = hash(key)
            for i in (h & mask, (h >> shift) & mask, (h * 0x9E3779B97F4A7C15 >> 64) & mask):
                bits[i >> 3] |= 1 << (i & 7)

    def __contains__(self, key: str) -> bool:
        if self.exact is not None:
            return key in self.exact
        bits, mask, shift = self.bits, (1 << self.BITS) - 1, self.BITS
        assert bits is not None
        h = hash(key)
        for i in (h & mask, (h >> shift) & mask, (h * 0x9E3779B97F4A7C15 >> 64) & mask):
            if not bits[i >> 3] & (1 << (i & 7)):
                return False
        return True

    def isdisjoint(self, keys: Iterable[str]) -> bool:
        if self.exact is not None:
            return self.exact.isdisjoint(keys)
        return not any(key in self for key in keys)


class _Refused(Exception):
    """Raised inside the write transaction so that a refused import rolls back."""


IMPORT_BLOCK = 256  # lines validated and sealed at a time
IMPORT_CHUNK = 20_000  # sealed rows inserted at a time (one executemany or COPY)


_KEY = operator.itemgetter(Pending._fields.index("idempotency_key"))
_STREAM = operator.itemgetter(Pending._fields.index("stream"))


class _Writer:
    """One write transaction: checks replays and versions and seals chunk after chunk; inserts in big batches."""

    def __init__(self, store: EventStore, driver: Any, expected: dict[str, int | None]) -> None:
        self.store, self.driver, self.recorder = store, driver, store.recorder
        self.expected = expected
        self.start = self._sealed_head()
        self.position = self.start.position
        self.prev_hash = self.start.hash if self.start.position else GENESIS_HASH
        self.last_recorded = self.start.recorded_at
        now = store.clock().astimezone(UTC)
        if self.last_recorded is not None and now < self.last_recorded:
            now = self.last_recorded  # recorded times never run backwards, whatever the wall clock does
        self.now = now
        self.versions: dict[str, int] = {}
        # Keys written by this transaction. A later chunk repeating one finds its row in the
        # database (inside this transaction), just like a key recorded before the write began.
        self.written_keys = _WrittenKeys()
        self.written = 0
        self.sealed: list[Row] = []  # rows sealed but not inserted yet
        self.legacy_facts: dict[str, dict[str, int]] = {}  # stream -> {fact text: position} of legacy-keyed events

    def _sealed_head(self) -> Head:
        """The head, once its hash is shown to seal its content after the event before it (as verify recomputes
        it). A row written around the store (a bad hash, a forged append) would otherwise be sealed in by every
        append on top of it; a break further back is verify's to find (a whole pass, too slow for each write)."""
        rows = self.recorder.last_rows(self.driver)
        if not rows:
            return Head(0, GENESIS_HASH, None)
        head, before = rows[0], (rows[1] if len(rows) > 1 else None)
        position = head[0]
        if (before[0] if before else 0) != position - 1:
            raise ChainBroken(position, f"position {position - 1} is missing")
        if head[10] != (before[11] if before else GENESIS_HASH):
            raise ChainBroken(position, "its prev_hash does not match the hash of the event before it")
        sealed = self.store.last_sealed
        if sealed is not None and sealed[0] == head:
            return sealed[1]  # every column as this store sealed it: its hash is of this content (a fifth of the CPU)
        if row_hash(head, head[10]) != head[11]:
            raise ChainBroken(position, "the event's content does not match its hash: it was altered")
        return self.recorder.head_of(head)

    def write(self, chunks: Iterable[list[Pending]], on_progress: Callable[[int], None] | None,
              want_positions: bool = True) -> AppendResult:
        """Write the chunks; the result lists every event's position if `want_positions`."""
        positions: list[int] = []
        done = 0  # events of the chunks since on_progress was last told
        for chunk in chunks:
            new, new_keys, chunk_positions = self._split_replays(chunk)
            if new:
                self._load_versions(new)
                self._seal(new)
                self.written += len(new)
                self.written_keys.update(new_keys)
            if want_positions:
                positions.extend(chunk_positions)
            done += len(chunk)
            if len(self.sealed) >= IMPORT_CHUNK:
                self._insert()
                if on_progress:
                    on_progress(done)
                    done = 0
        self._insert()
        if on_progress and done:
            on_progress(done)
        if not self.written:
            return AppendResult(positions, 0, self.start)
        recorded = self.last_recorded
        return AppendResult(positions, self.written, Head(self.position, self.prev_hash, recorded))

    def all_recorded(self, chunks: list[list[Pending]]) -> bool:
        """Whether every event's idempotency key is recorded already (the write then checks their content)."""
        keys = {p.idempotency_key for chunk in chunks for p in chunk}
        return len(self.recorder.rows_by_key(self.driver, list(keys))) == len(keys)

    def _insert(self) -> None:
        """Insert the rows sealed so far."""
        if self.sealed:
            self.recorder.insert(self.driver, self.sealed)
            last = self.sealed[-1]
            self.store.last_sealed = (last, Head(last[0], last[11], self.last_recorded))
            self.sealed = []

    def _split_replays(self, chunk: list[Pending]) -> tuple[list[Pending], list[str], Iterable[int]]:
        """Separate events already recorded under their key (same content) from new ones.

        Returns the new events, their keys, and the position of every event of the chunk (a replay's is
        the original's).
        """
        keys: list[str] = list(map(_KEY, chunk))
        written = self.written_keys
        first: dict[str, Pending] | None
        if len(set(keys)) == len(keys) and written.isdisjoint(keys):
            new, new_keys, first = chunk, keys, None  # the common case: no key repeats within this write
        else:
            new, new_keys, first = [], [], {}
            for p, key in zip(chunk, keys, strict=True):
                earlier = first.get(key)
                if earlier is None:
                    first[key] = p
                    new.append(p)
                    new_keys.append(key)
                elif earlier.content_text() != p.content_text():
                    raise ValidationFailed(
                        [FieldError("idempotency_key", f"{key!r} is used twice for different events")],
                        where=p.where or "append refused, nothing written")
        # Keys that may already have a row: any, if the ledger was not empty; else only those this write made
        # (whose rows must be inserted before they can be looked up).
        maybe_stored = new_keys if self.start.position else [k for k in new_keys if k in written]
        if maybe_stored and self.sealed and not written.isdisjoint(maybe_stored):
            self._insert()
        existing = self.recorder.rows_by_key(self.driver, maybe_stored) if maybe_stored else {}
        if not existing and first is None and not (self.start.position and _derived(new)):
            return new, new_keys, range(self.position + 1, self.position + 1 + len(new))
        replayed: dict[str, int] = {}
        still_new = []
        for p in new:
            row = existing.get(p.idempotency_key)
            if row is None:
                still_new.append(p)
                continue
            stored = decode_row(row)
            stored_content = fact_text(stored.stream, stored.type, stored.schema_version,
                                       stored.effective_date.isoformat(), row[7])
            if not same_fact(stored_content, p):
                if stored.position > self.start.position:  # this write's own row: the key is used twice
                    raise ValidationFailed(
                        [FieldError("idempotency_key", f"{p.idempotency_key!r} is used twice for different events")],
                        where=p.where or "append refused, nothing written")
                raise IdempotencyConflict(p.idempotency_key, stored.position)
            replayed[p.idempotency_key] = stored.position
        if self.start.position and still_new:
            legacy = legacy_replays(self.recorder, self.driver, still_new, self.legacy_facts)
            if legacy:
                replayed.update(legacy)
                still_new = [p for p in still_new if p.idempotency_key not in legacy]
        still_new_keys = list(map(_KEY, still_new))
        replayed.update(zip(still_new_keys, itertools.count(self.position + 1)))
        return still_new, still_new_keys, [replayed[key] for key in keys]

    def _load_versions(self, new: list[Pending]) -> None:
        unknown = [s for s in dict.fromkeys(map(_STREAM, new)) if s not in self.versions]
        if not unknown:
            return
        found = self.recorder.stream_versions(self.driver, unknown) if self.start.position else {}
        for stream in unknown:
            actual = found.get(stream, 0)
            wanted = self.expected.get(stream)
            if wanted is not None and wanted != actual:
                raise ConcurrencyConflict(stream, wanted, actual)
            self.versions[stream] = actual

    def _seal(self, new: list[Pending]) -> None:
        """Give each new event its position, version, recorded time and hash (one string join and one
        SHA-256), and add its row to those to insert."""
        recorder, versions = self.recorder, self.versions
        position, prev_hash, last_recorded, now = self.position, self.prev_hash, self.last_recorded, self.now
        now_text = format_recorded_at(now)
        now_param = recorder.recorded_param_of(now, now_text)
        date_param = recorder.date_param
        last_effective = effective_param = None
        sha256, seal = hashlib.sha256, seal_text
        append = self.sealed.append
        for p in new:
            (stream, type_, schema_version, effective, payload_json, metadata_json, key, head, middle, recorded_at,
             claimed_version, claimed_position, claimed_prev_hash, claimed_hash, _) = p
            position += 1
            version = versions[stream] + 1
            versions[stream] = version
            if recorded_at is None:
                recorded, recorded_text, recorded_param = now, now_text, now_param
            else:
                recorded, recorded_text = recorded_at, format_recorded_at(recorded_at)
                recorded_param = recorder.recorded_param_of(recorded, recorded_text)
                EventStore._check_recorded(p, recorded, last_recorded, now)
            last_recorded = recorded
            if claimed_version is not None or claimed_position is not None or claimed_prev_hash is not None:
                EventStore._check_claims(p, position, version, prev_hash)
            digest = sha256(seal(head, position, prev_hash, recorded_text, middle, version).encode()).hexdigest()
            if claimed_hash is not None and claimed_hash != digest:
                raise ValidationFailed([FieldError("hash", "does not match the event's content and place in the chain: "
                                                   "the file was altered or belongs to another ledger")],
                                       where=p.where or "append refused, nothing written")
            if effective != last_effective:  # neighbouring events nearly always share their date
                last_effective, effective_param = effective, date_param(effective)
            append((position, stream, version, type_, schema_version, effective_param,
                    recorded_param, payload_json, metadata_json, key, prev_hash, digest))
            prev_hash = digest
        self.position, self.prev_hash, self.last_recorded = position, prev_hash, last_recorded
