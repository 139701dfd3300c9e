"""Proof that the log was not altered: recompute the chain, positions and stream versions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import orjson

from ledger.canonical import GENESIS_HASH, envelope_text, json_string, seal_text
from ledger.clock import format_recorded_at
from ledger.errors import FieldError

if TYPE_CHECKING:
    from ledger.store.eventstore import EventStore

_loads = orjson.loads


@dataclass(frozen=True, slots=True)
class VerifyReport:
    intact: bool
    events: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str = ""
    hashes: dict[int, str] | None = None  # the hash found at each position asked for (`collect`), up to the head

    def to_json(self) -> dict[str, Any]:
        return {"intact": self.intact, "events": self.events, "head_position": self.head_position,
                "head_hash": self.head_hash, "first_bad_position": self.first_bad_position,
                "problem": self.problem or None}


def _recorded_text(value: str | datetime) -> str:
    if isinstance(value, str):  # SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff', UTC
        return value.replace(" ", "T") + "Z"
    return format_recorded_at(value)


def _date_text(value: str | date) -> str:
    return value if isinstance(value, str) else value.isoformat()


def row_hash(row: tuple[Any, ...], prev_hash: str) -> str:
    """The hash a raw row (recorder.COLUMNS) must carry after `prev_hash`: what verify recomputes, and what a
    writer checks the head against before it appends (a chain broken at its head is never extended)."""
    (position, stream, version, type_, schema_version, effective, recorded, payload, metadata, key, _, _) = row
    return hashlib.sha256(envelope_text(
        position=position, stream=stream, version=version, type=type_, schema_version=schema_version,
        effective_date=_date_text(effective), recorded_at=_recorded_text(recorded), payload_json=payload,
        metadata_json=metadata, idempotency_key=key, prev_hash=prev_hash,
    ).encode()).hexdigest()


def _unlike_its_hash(*, row_hash: str, **fields: Any) -> str:
    """Why an event's hash is not the hash of its canonical envelope.

    Versions before the patterns were anchored on the whole string accepted a key (or stream) ending in a
    newline and hashed it written raw into the text, which is then not JSON. Such an event was not altered,
    but its hash is over another text than the one docs/events.md defines, so no verifier can check it: it is
    named as that, not as tampering (docs/store.md).
    """
    odd = [name for name in ("idempotency_key", "stream", "type") if _ends_in_newline(fields[name])]
    if odd:
        head, middle = _raw_parts(fields)
        raw = seal_text(head, fields["position"], fields["prev_hash"], fields["recorded_at"], middle, fields["version"])
        if hashlib.sha256(raw.encode()).hexdigest() == row_hash:
            name = odd[0]
            return (f"its {name} {fields[name]!r} ends in a newline, which an earlier version let through and hashed "
                    "written raw, not as JSON: the event is as written, but its hash is not over the canonical "
                    "envelope of docs/events.md, so the log cannot be verified past it (see docs/store.md)")
    return "the event's content does not match its hash: it was altered"


def _ends_in_newline(text: str) -> bool:
    return text.endswith("\n") and json_string(text[:-1]) == f'"{text[:-1]}"'


def _raw_parts(fields: dict[str, Any]) -> tuple[str, str]:
    """The envelope text as the earlier versions built it: stream, type and key written between quotes as they were."""
    head = (f'{{"effective_date":"{fields["effective_date"]}","idempotency_key":"{fields["idempotency_key"]}"'
            f',"metadata":{fields["metadata_json"]},"payload":{fields["payload_json"]},"position":')
    middle = (f'","schema_version":{fields["schema_version"]},"stream":"{fields["stream"]}",'
              f'"type":"{fields["type"]}","version":')
    return head, middle


def verify(store: EventStore, *, up_to: int | None = None,
           on_progress: Callable[[int], None] | None = None,
           collect: Collection[int] = ()) -> VerifyReport:
    """Walk the log once; report the first position where anything does not add up.

    `collect`: positions whose hash to hand back (`hashes`), found on the same pass (signed digests are held to
    them: ledger/store/digests.py)."""
    expected_position = 1
    prev_hash = GENESIS_HASH
    last_recorded = ""
    versions: dict[str, int] = {}
    count = 0
    filters = {"to_position": up_to} if up_to else None
    wanted = set(collect)
    hashes: dict[int, str] | None = {} if wanted else None
    if hashes is not None and 0 in wanted:
        hashes[0] = GENESIS_HASH

    def bad(position: int, problem: str) -> VerifyReport:
        return VerifyReport(False, count, position - 1, prev_hash, position, problem, hashes)

    for row in store.read_raw(filters=filters):
        position, stream, version, recorded, row_prev_hash, stored_hash = (row[0], row[1], row[2], row[6], row[10],
                                                                            row[11])
        if position != expected_position:
            return bad(expected_position, f"position {expected_position} is missing (found {position} next)")
        if row_prev_hash != prev_hash:
            return bad(position, "prev_hash does not match the hash of the event before it")
        if version != versions.get(stream, 0) + 1:
            return bad(position, f"stream {stream} jumps to version {version} after {versions.get(stream, 0)}")
        recorded_text = _recorded_text(recorded)
        if recorded_text < last_recorded:
            return bad(position, "recorded_at runs backwards")
        digest = row_hash(row, prev_hash)
        if digest != stored_hash:
            (_, _, _, type_, schema_version, effective, _, payload, metadata, key, _, _) = row
            return bad(position, _unlike_its_hash(
                position=position, stream=stream, version=version, type=type_, schema_version=schema_version,
                effective_date=_date_text(effective), recorded_at=recorded_text, payload_json=payload,
                metadata_json=metadata, idempotency_key=key, prev_hash=prev_hash, row_hash=stored_hash))
        versions[stream] = version
        prev_hash = digest
        if hashes is not None and position in wanted:
            hashes[position] = digest
        last_recorded = recorded_text
        expected_position += 1
        count += 1
        if on_progress and count % 10_000 == 0:
            on_progress(10_000)
    if on_progress:
        on_progress(count % 10_000)
    return VerifyReport(True, count, expected_position - 1, prev_hash, hashes=hashes)


# -- one pass for an audit: the chain, every event's schema and the tally, a range of positions at a time -------------

_MISSING, _PREV, _VERSION, _RECORDED, _HASH = range(5)  # what verify checks of a row, in the order it checks them


@dataclass(slots=True)
class RangeCheck:
    """What one walk over positions `first`..`last` of the log found (`check_range`); `stitch` joins the walks.

    The chain is checked inside the range as `verify` checks it, except what needs the rows before the range: the
    first row's prev_hash, position and recorded time, and each stream's first version in the range (`opening`),
    which `stitch` holds to the range before. Rows up to `known_to` (the log as known at the audit's time) are also
    counted by type, their payloads checked against their schemas (as an import checks a line), and the events
    whose payloads a replay's plan reads (`keep_types`) kept."""

    first: int
    last: int
    rows: int = 0
    first_row: tuple[int, str, str] | None = None  # (position, prev_hash, recorded text) of the range's first row
    last_hash: str = ""
    last_recorded: str = ""
    opening: dict[str, tuple[int, int]] | None = None  # stream -> (position, version) of its first row in the range
    versions: dict[str, int] | None = None  # stream -> its last version in the range
    problem: tuple[int, int, str] | None = None  # (position, which check, why): the range's first
    hashes: dict[int, str] | None = None  # the hash at each position asked for
    # the log as known (positions up to known_to):
    known: int = 0
    known_head: tuple[int, str] = (0, GENESIS_HASH)
    known_recorded: str = ""
    by_type: dict[str, int] | None = None
    last_date: date | None = None
    lengths: dict[str, int] | None = None  # stream -> its events as known
    kept: list[tuple[str, str, Any]] | None = None  # (stream, type, payload) of the kept types, in position order
    schema_errors: list[Any] | None = None  # FieldErrors naming "position P: field"


def check_range(store: EventStore, first: int, last: int, *, known_to: int, collect: Collection[int] = (),
                keep_types: Collection[str] = (), on_rows: Callable[[int], None] | None = None) -> RangeCheck:
    """Walk positions `first`..`last` once (see RangeCheck). `on_rows(n)` is told of every 10,000 rows read."""
    found = RangeCheck(first, last, opening={}, versions={}, hashes={}, by_type={}, lengths={}, kept=[])
    opening, versions, hashes, by_type, lengths, kept = (found.opening, found.versions, found.hashes, found.by_type,
                                                         found.lengths, found.kept)
    assert opening is not None and versions is not None and hashes is not None and by_type is not None
    assert lengths is not None and kept is not None
    wanted, keep = set(collect), frozenset(keep_types)
    schema = SchemaCheck()
    expected = first
    prev_hash: str | None = None
    last_recorded = ""
    broken = False
    count = 0
    last_date_text: Any = None
    for row in store.read_raw(after=first - 1, filters={"to_position": last}):
        position, stream, version, type_, _, effective, recorded, _, _, _, row_prev, stored_hash = row
        recorded_text = _recorded_text(recorded)
        if not broken:
            problem: tuple[int, int, str] | None = None
            if prev_hash is None:  # the range's first row: its links to the rows before are stitch's to check
                found.first_row = (position, row_prev, recorded_text)
                prev_hash = row_prev
                last_recorded = recorded_text
                if position != expected:
                    problem = (expected, _MISSING, f"position {expected} is missing (found {position} next)")
            elif position != expected:
                problem = (expected, _MISSING, f"position {expected} is missing (found {position} next)")
            elif row_prev != prev_hash:
                problem = (position, _PREV, "prev_hash does not match the hash of the event before it")
            if problem is None:
                before = versions.get(stream)
                if before is None:
                    opening[stream] = (position, version)
                elif version != before + 1:
                    problem = (position, _VERSION, f"stream {stream} jumps to version {version} after {before}")
            if problem is None and recorded_text < last_recorded:
                problem = (position, _RECORDED, "recorded_at runs backwards")
            if problem is None and position > known_to:  # (a known row's hash is checked with its schema)
                problem = _seal_problem(row, recorded_text)
            if problem is not None:
                found.problem, broken = problem, True
            else:
                versions[stream] = version
                prev_hash = stored_hash
                last_recorded = recorded_text
                expected = position + 1
        if position in wanted:  # as stored (verified as far as the chain holds: a caller knows where it breaks)
            hashes[position] = stored_hash
        if position <= known_to:
            found.known += 1
            found.known_head = (position, stored_hash)
            found.known_recorded = recorded_text
            by_type[type_] = by_type.get(type_, 0) + 1
            lengths[stream] = lengths.get(stream, 0) + 1
            if last_date_text is None or effective > last_date_text:  # (ISO text and dates both order by date)
                last_date_text = effective
            parsed = schema.add(row, recorded_text, None if broken else _HASH)
            if type_ in keep:
                kept.append((stream, type_, parsed))
        count += 1
        if on_rows is not None and count % 10_000 == 0:
            on_rows(10_000)
    schema.flush()
    if schema.unsealed and (found.problem is None or schema.unsealed[0][:2] < found.problem[:2]):
        found.problem = schema.unsealed[0]  # the first row whose hash fails, if before the walk's first problem
    if on_rows is not None and count % 10_000:
        on_rows(count % 10_000)
    found.rows = count
    found.last_hash = prev_hash or ""
    found.last_recorded = last_recorded
    found.last_date = None if last_date_text is None else (
        date.fromisoformat(last_date_text) if isinstance(last_date_text, str) else last_date_text)
    found.schema_errors = schema.errors
    if found.problem is None and count and expected != last + 1:
        found.problem = (expected, _MISSING, f"position {expected} is missing (found nothing next)")
    return found


def _seal_problem(row: tuple[Any, ...], recorded_text: str,
                  head_and_middle: tuple[str, str] | None = None) -> tuple[int, int, str] | None:
    """Why a raw row's hash is not the hash of its canonical envelope after its own prev_hash (None: it is). With
    `head_and_middle` (envelope_parts of the row's text, built already by the schema check), only the seal is made."""
    position, stream, version, type_, schema_version, effective, _, payload, metadata, key, row_prev, stored = row
    if head_and_middle is not None:
        text = seal_text(head_and_middle[0], position, row_prev, recorded_text, head_and_middle[1], version)
    else:
        text = envelope_text(position=position, stream=stream, version=version, type=type_,
                             schema_version=schema_version, effective_date=_date_text(effective),
                             recorded_at=recorded_text, payload_json=payload, metadata_json=metadata,
                             idempotency_key=key, prev_hash=row_prev)
    if hashlib.sha256(text.encode()).hexdigest() == stored:
        return None
    return (position, _HASH, _unlike_its_hash(
        position=position, stream=stream, version=version, type=type_, schema_version=schema_version,
        effective_date=_date_text(effective), recorded_at=recorded_text, payload_json=payload, metadata_json=metadata,
        idempotency_key=key, prev_hash=row_prev, row_hash=stored))


def stitch(ranges: list[RangeCheck]) -> bool:
    """Whether the walks of consecutive ranges (check_range) together find the chain intact, as one `verify` pass
    would: every range intact inside, and each joined to the one before it (the first row's position, prev_hash
    and recorded time; each stream's first version in the range after its last before)."""
    prev_hash, last_recorded, expected = GENESIS_HASH, "", 1
    versions: dict[str, int] = {}
    for found in ranges:
        if found.problem is not None:
            return False
        if found.first_row is None:  # an empty range: only right past the end of the log
            if found.first <= found.last:
                return False
            continue
        position, first_prev, first_recorded = found.first_row
        if position != expected or first_prev != prev_hash or first_recorded < last_recorded:
            return False
        assert found.opening is not None and found.versions is not None
        for stream, (_, version) in found.opening.items():
            if version != versions.get(stream, 0) + 1:
                return False
        versions.update(found.versions)
        prev_hash, last_recorded, expected = found.last_hash, found.last_recorded, found.last + 1
    return True


class SchemaCheck:
    """Every event's envelope checked as `mutual import` checks a line (ledger/store/chunks.py: a block of 256 in one
    pydantic-core call, the lean loop, the per-line path for any line it does not take), and its stored payload,
    metadata and key held to the text the import would write for it: an import of the log would re-seal every event
    to its hash. (That re-import into a scratch store was an audit's own pass until issue 15: this is the same check
    without the writing, on the rows the chain's pass reads anyway.)"""

    BLOCK = 256

    def __init__(self, max_errors: int = 20) -> None:
        from ledger.events import REGISTRY
        from ledger.store.chunks import _chunk_check, _fast_builder

        self.check, self.build = _chunk_check, _fast_builder(None)
        self.current = {name: cls.schema_version for name, cls in REGISTRY.items()}
        self.max_errors = max_errors
        self.errors: list[FieldError] = []
        self.envelopes: list[dict[str, Any]] = []
        self.rows: list[tuple[tuple[Any, ...], str, int | None]] = []  # (raw row, recorded text, _HASH: check it)
        self.unsealed: list[tuple[int, int, str]] = []  # rows whose hash fails (position, _HASH, why), in order
        self.metadata_text, self.metadata = "", None  # neighbouring events nearly always share their metadata

    def add(self, row: tuple[Any, ...], recorded_text: str, check_hash: int | None) -> Any:
        """Queue one raw row (recorder.COLUMNS) for checking, and its hash too when `check_hash` (the seal is made
        from the canonical text the check builds anyway, when that is the row's own); its payload, parsed."""
        _, stream, _, type_, schema_version, effective, _, payload, metadata, key, _, _ = row
        parsed = _loads(payload)
        if metadata != self.metadata_text:  # (read-only below: the builder copies before it adds anything)
            self.metadata_text, self.metadata = metadata, _loads(metadata)
        self.envelopes.append({"stream": stream, "type": type_, "schema_version": schema_version,
                               "effective_date": _date_text(effective), "payload": parsed,
                               "metadata": self.metadata, "idempotency_key": key})
        self.rows.append((row, recorded_text, check_hash))
        if len(self.envelopes) >= self.BLOCK:
            self.flush()
        return parsed

    def flush(self) -> None:
        envelopes, rows = self.envelopes, self.rows
        if not envelopes:
            return
        self.envelopes, self.rows = [], []
        if len(self.errors) >= self.max_errors:  # no more schema errors are named: only the hashes are checked
            for row, recorded_text, check_hash in rows:
                if check_hash is not None:
                    self._seal(row, recorded_text, None)
            return
        from ledger.store.envelope import pending_from_envelope

        # An older schema version (or an unknown type) is the per-line path's, as in an import: kept out of the
        # block, whose one call would otherwise refuse it and be made again for the rest.
        current = self.current
        aside = {i for i, e in enumerate(envelopes) if current.get(e["type"]) != e["schema_version"]}
        block = [i for i in range(len(envelopes)) if i not in aside] if aside else None
        refused = self.check(envelopes if block is None else [envelopes[i] for i in block])
        if refused is not None and block is not None:
            refused = {block[i] for i in refused}
        if aside:
            refused = aside if refused is None else refused | aside
        build = self.build
        for i, (envelope, (row, recorded_text, check_hash)) in enumerate(zip(envelopes, rows, strict=True)):
            position, payload, metadata = row[0], row[7], row[8]
            pending = None if refused is not None and i in refused else build(envelope, position)
            if pending is None:
                pending, problems = pending_from_envelope(envelope, where=f"position {position}")
                if pending is None:
                    if check_hash is not None:
                        self._seal(row, recorded_text, None)
                    if len(self.errors) < self.max_errors:
                        self.errors += [FieldError(f"position {position}: {p.field}", p.reason) for p in problems]
                    continue
            same = (pending.payload_json == payload and pending.metadata_json == metadata
                    and pending.schema_version == envelope["schema_version"]
                    and pending.idempotency_key == envelope["idempotency_key"])
            if check_hash is not None:
                self._seal(row, recorded_text, (pending.head, pending.middle) if same else None)
            if not same and len(self.errors) < self.max_errors:
                what = "payload" if pending.payload_json != payload else (
                    "metadata" if pending.metadata_json != metadata else "schema_version")
                self.errors.append(FieldError(
                    f"position {position}: {what}", "is not the text an import of this event writes (its type's "
                    "canonical JSON, defaults filled in): a re-import of the log would not reproduce its hash"))

    def _seal(self, row: tuple[Any, ...], recorded_text: str, head_and_middle: tuple[str, str] | None) -> None:
        problem = _seal_problem(row, recorded_text, head_and_middle)
        if problem is not None:
            self.unsealed.append(problem)
