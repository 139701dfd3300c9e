"""Rows as the database hands them back, to stored events; stored events to their export form and models.

SQLite gives dates and recorded times back as text, PostgreSQL as objects: both decode to the same
StoredEvent. The payload stays at the schema version it was stored with; `current_payload` lifts it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

import orjson

from ledger.clock import UTC, format_recorded_at
from ledger.events import REGISTRY, EventPayload, upcast
from ledger.store.records import StoredEvent

Row = tuple[Any, ...]  # a raw driver row of recorder.COLUMNS

_loads = orjson.loads
_fromdate = date.fromisoformat
_fromdt = datetime.fromisoformat


class PayloadRecord(Protocol):
    """What lifting a payload reads: a StoredEvent or a FoldedEvent."""

    @property
    def type(self) -> str: ...
    @property
    def schema_version(self) -> int: ...
    @property
    def payload(self) -> dict[str, Any]: ...


def effective_value(value: str | date) -> date:
    """An effective date as the database hands it back (ISO text on SQLite, a date on PostgreSQL) to a date."""
    return _fromdate(value) if isinstance(value, str) else value


def recorded_value(value: str | datetime) -> datetime:
    """A recorded time as the database hands it back to an aware UTC datetime."""
    if isinstance(value, str):
        return _fromdt(value).replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def row_decoder() -> Callable[[Row], StoredEvent]:
    """A decoder for one pass over the log.

    Neighbouring events nearly always share their effective date, recorded
    time and metadata (one import, one actor), so each is parsed once while it
    repeats. Stored events are read-only: the metadata dict may be shared.
    """
    last_effective: Any = None
    last_recorded: Any = None
    last_metadata: Any = None
    effective_date: Any = None
    recorded_at: Any = None
    metadata_dict: Any = None
    new = StoredEvent._make
    loads = _loads

    def decode(row: Row) -> StoredEvent:
        nonlocal last_effective, last_recorded, last_metadata, effective_date, recorded_at, metadata_dict
        (position, stream, version, type_, schema_version, effective, recorded, payload, metadata,
         key, prev_hash, hash_) = row
        if effective != last_effective:
            last_effective, effective_date = effective, effective_value(effective)
        if recorded != last_recorded:
            last_recorded, recorded_at = recorded, recorded_value(recorded)
        if metadata != last_metadata:
            last_metadata, metadata_dict = metadata, loads(metadata)
        return new((position, stream, version, type_, schema_version, effective_date, recorded_at,
                    loads(payload), metadata_dict, key, prev_hash, hash_))

    return decode


def decode_row(row: Row) -> StoredEvent:
    """A raw database row to a StoredEvent; dates arrive as text on SQLite and as objects on PostgreSQL."""
    (position, stream, version, type_, schema_version, effective, recorded, payload, metadata,
     key, prev_hash, hash_) = row
    return StoredEvent(position, stream, version, type_, schema_version, effective_value(effective),
                       recorded_value(recorded), _loads(payload), _loads(metadata), key, prev_hash, hash_)


def current_payload(event: PayloadRecord) -> dict[str, Any]:
    """The payload lifted to the current schema version of its type."""
    event_type = REGISTRY[event.type]
    if event.schema_version == event_type.schema_version:
        return event.payload
    return upcast(event_type, dict(event.payload), event.schema_version)


def to_model(event: PayloadRecord) -> EventPayload:
    """The payload as its (validated, current-version) pydantic model."""
    return REGISTRY[event.type].model_validate(current_payload(event))


def to_envelope(event: StoredEvent) -> dict[str, Any]:
    """The export form of a stored event: exactly the fields the hash is over, plus the hash."""
    return {
        "position": event.position,
        "stream": event.stream,
        "version": event.version,
        "type": event.type,
        "schema_version": event.schema_version,
        "effective_date": event.effective_date.isoformat(),
        "recorded_at": format_recorded_at(event.recorded_at),
        "payload": event.payload,
        "metadata": event.metadata,
        "idempotency_key": event.idempotency_key,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
