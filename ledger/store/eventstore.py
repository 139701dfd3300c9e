"""The event store: a recorder (SQL) and a mapper (validation, serialisation) composed.

Appends are all-or-nothing per call, positions are gap-free in commit order,
every event is chained to the one before it by SHA-256, and an append
retried with the same idempotency keys and content writes nothing and
returns the original positions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ledger.canonical import GENESIS_HASH, envelope_text
from ledger.clock import UTC, format_recorded_at, utc_now
from ledger.errors import (
    ConcurrencyConflict,
    FieldError,
    IdempotencyConflict,
    LedgerError,
    ValidationFailed,
)
from ledger.events import EventPayload
from ledger.store.engine import make_engine
from ledger.store.mapper import (
    decode_row,
    row_decoder,
    parse_lines,
    pending_from_envelope,
    pending_from_model,
)
from ledger.store.records import AppendResult, Head, Pending, StoredEvent, content_text
from ledger.store.recorder import Recorder, recorder_for

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

    # -- writing ------------------------------------------------------------
    def append(self, stream: str, events: Sequence[NewEvent], *, expected_version: Optional[int] = None,
               metadata: Mapping[str, Any]) -> AppendResult:
        """Append events to one stream if it is at `expected_version` (None: any; 0: no stream yet)."""
        pendings = [
            pending_from_model(stream, e.payload, e.effective_date, metadata=metadata,
                               idempotency_key=e.idempotency_key)
            for e in events
        ]
        return self.append_pending(pendings, {stream: expected_version})

    def append_pending(self, pendings: list[Pending], expected: Optional[Mapping[str, Optional[int]]] = None,
                       on_progress: Optional[Callable[[int], None]] = None) -> AppendResult:
        if not pendings:
            with self.recorder.reading() as conn:
                return AppendResult([], 0, self.recorder.head(conn))
        try:
            with self.recorder.writing() as conn:
                return self._write(conn, pendings, dict(expected or {}), on_progress)
        except IntegrityError as exc:  # only reachable if someone writes around the lock
            raise LedgerError(f"the database refused the append ({exc.orig}); nothing was written") from None

    def import_lines(self, lines: Iterable[bytes | str], *, default_actor: Optional[str] = None,
                     on_progress: Optional[Callable[[int], None]] = None) -> ImportResult:
        """Import JSON-lines envelopes, all or nothing."""
        pendings: list[Pending] = []
        errors: list[FieldError] = []
        count = 0
        for number, envelope, error in parse_lines(lines):
            count += 1
            if error is None:
                pending, problems = pending_from_envelope(envelope, default_actor=default_actor)
            else:
                pending, problems = None, [error]
            if problems:
                errors.extend(FieldError(f"line {number}: {p.field}", p.reason) for p in problems)
                if len(errors) >= MAX_ERRORS_REPORTED:
                    break
                continue
            pending.where = f"line {number}"
            pendings.append(pending)
        if errors:
            raise ValidationFailed(errors[:MAX_ERRORS_REPORTED], where="import refused, nothing written")
        expected = {p.stream: None for p in pendings}
        result = self.append_pending(pendings, expected, on_progress)
        return ImportResult(count, result.written, len(pendings) - result.written, result.head)

    def _write(self, conn, pendings: list[Pending], expected: dict[str, Optional[int]],
               on_progress: Optional[Callable[[int], None]]) -> AppendResult:
        recorder = self.recorder
        head = recorder.head(conn)
        new, replayed = self._split_replays(conn, pendings, head)
        if not new:
            return AppendResult([replayed[p.idempotency_key] for p in pendings], 0, head)
        streams = list(dict.fromkeys(p.stream for p in new))
        versions = recorder.stream_versions(conn, streams) if head.position else {}
        for stream, wanted in expected.items():
            actual = versions.get(stream, 0)
            if wanted is not None and wanted != actual:
                raise ConcurrencyConflict(stream, wanted, actual)
        now = self.clock().astimezone(UTC)
        if head.recorded_at is not None and now < head.recorded_at:
            now = head.recorded_at  # recorded times never run backwards, whatever the wall clock does
        rows, positions_by_key = self._seal(new, head, versions, now)
        if on_progress:
            step = 20_000
            for start in range(0, len(rows), step):
                recorder.insert(conn, rows[start:start + step])
                on_progress(min(step, len(rows) - start))
        else:
            recorder.insert(conn, rows)
        positions_by_key.update(replayed)
        last = rows[-1]
        new_head = Head(last[0], last[11], now if new[-1].recorded_at is None else new[-1].recorded_at)
        return AppendResult([positions_by_key[p.idempotency_key] for p in pendings], len(rows), new_head)

    def _split_replays(self, conn, pendings: list[Pending], head: Head) -> tuple[list[Pending], dict[str, int]]:
        """Separate events already recorded under their key (same content) from new ones."""
        seen: dict[str, Pending] = {}
        new: list[Pending] = []
        for p in pendings:
            earlier = seen.get(p.idempotency_key)
            if earlier is None:
                seen[p.idempotency_key] = p
                new.append(p)
            elif earlier.content_text() != p.content_text():
                raise ValidationFailed(
                    [FieldError("idempotency_key", f"{p.idempotency_key!r} is used twice for different events")],
                    where=p.where or "append refused, nothing written",
                )
        replayed: dict[str, int] = {}
        if not head.position:
            return new, replayed
        existing = self.recorder.rows_by_key(conn, list(seen))
        if not existing:
            return new, replayed
        still_new = []
        for p in new:
            row = existing.get(p.idempotency_key)
            if row is None:
                still_new.append(p)
                continue
            stored = decode_row(row)
            stored_content = content_text(stored.stream, stored.type, stored.schema_version,
                                          stored.effective_date.isoformat(), row[7], row[8])
            if stored_content != p.content_text():
                raise IdempotencyConflict(p.idempotency_key, stored.position)
            replayed[p.idempotency_key] = stored.position
        return still_new, replayed

    def _seal(self, new: list[Pending], head: Head, versions: dict[str, int], now: datetime):
        """Give each new event its position, version, recorded time and hash."""
        recorder = self.recorder
        position, prev_hash = head.position, head.hash if head.position else GENESIS_HASH
        last_recorded = head.recorded_at
        now_text = format_recorded_at(now)
        now_param = recorder.recorded_param(now)
        date_param = recorder.date_param
        rows: list[tuple] = []
        positions: dict[str, int] = {}
        sha256 = hashlib.sha256
        for p in new:
            position += 1
            version = versions.get(p.stream, 0) + 1
            versions[p.stream] = version
            if p.recorded_at is None:
                recorded, recorded_text, recorded_param = now, now_text, now_param
            else:
                recorded, recorded_text = p.recorded_at, format_recorded_at(p.recorded_at)
                recorded_param = recorder.recorded_param(recorded)
                self._check_recorded(p, recorded, last_recorded, now)
            last_recorded = recorded
            self._check_claims(p, position, version, prev_hash)
            digest = sha256(envelope_text(
                position=position, stream=p.stream, version=version, type=p.type,
                schema_version=p.schema_version, effective_date=p.effective_date, recorded_at=recorded_text,
                payload_json=p.payload_json, metadata_json=p.metadata_json,
                idempotency_key=p.idempotency_key, prev_hash=prev_hash,
            ).encode()).hexdigest()
            if p.claimed_hash is not None and p.claimed_hash != digest:
                raise ValidationFailed([FieldError("hash", "does not match the event's content and place in the chain: "
                                                   "the file was altered or belongs to another ledger")],
                                       where=p.where or "append refused, nothing written")
            rows.append((position, p.stream, version, p.type, p.schema_version, date_param(p.effective_date),
                         recorded_param, p.payload_json, p.metadata_json, p.idempotency_key, prev_hash, digest))
            positions[p.idempotency_key] = position
            prev_hash = digest
        return rows, positions

    @staticmethod
    def _check_claims(p: Pending, position: int, version: int, prev_hash: str) -> None:
        problems = []
        if p.claimed_version is not None and p.claimed_version != version:
            problems.append(FieldError("version", f"is {p.claimed_version} but the stream {p.stream} is ready for version {version}"))
        if p.claimed_position is not None and p.claimed_position != position:
            problems.append(FieldError("position", f"is {p.claimed_position} but the ledger's next position is {position}"))
        if p.claimed_prev_hash is not None and p.claimed_prev_hash != prev_hash:
            problems.append(FieldError("prev_hash", "does not match the hash of the ledger's last event"))
        if problems:
            raise ValidationFailed(problems, where=p.where or "append refused, nothing written")

    @staticmethod
    def _check_recorded(p: Pending, recorded: datetime, last: Optional[datetime], now: datetime) -> None:
        if last is not None and recorded < last:
            raise ValidationFailed([FieldError("recorded_at", "is earlier than the event before it; recorded times never run backwards")],
                                   where=p.where or "append refused, nothing written")
        if recorded > now:
            raise ValidationFailed([FieldError("recorded_at", "is in the future of the store's clock")],
                                   where=p.where or "append refused, nothing written")

    # -- reading ------------------------------------------------------------
    def head(self) -> Head:
        with self.recorder.reading() as conn:
            return self.recorder.head(conn)

    def read(self, *, after: int = 0, stream: Optional[str] = None, type: Optional[str] = None,
             date_from: Optional[date] = None, date_to: Optional[date] = None,
             to_position: Optional[int] = None, recorded_to: Optional[datetime] = None) -> Iterator[StoredEvent]:
        """Events in position order, decoded, optionally filtered."""
        filters = {"stream": stream, "type": type, "date_from": date_from, "date_to": date_to,
                   "to_position": to_position, "recorded_to": recorded_to}
        decode = row_decoder()
        with self.recorder.reading() as conn:
            for row in self.recorder.select(conn, after=after, filters=filters):
                yield decode(row)

    def read_raw(self, *, after: int = 0, filters: Optional[dict[str, Any]] = None) -> Iterator[tuple]:
        with self.recorder.reading() as conn:
            yield from self.recorder.select(conn, after=after, filters=filters)

    def stream_version(self, stream: str) -> int:
        with self.recorder.reading() as conn:
            return self.recorder.stream_versions(conn, [stream]).get(stream, 0)

    def dispose(self) -> None:
        self.engine.dispose()
