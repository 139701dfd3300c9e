"""Proof that the log was not altered: recompute the chain, positions and stream versions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from ledger.canonical import GENESIS_HASH, envelope_text, json_string, seal_text
from ledger.clock import format_recorded_at

if TYPE_CHECKING:
    from ledger.store.eventstore import EventStore


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
