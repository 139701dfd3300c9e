"""Between the outside world and the store's rows: validation, serialisation, upcasting.

The mapper knows the event schemas; the recorder knows only SQL. Everything
that reaches the recorder is validated and in canonical text form.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Optional

import orjson
from pydantic import ValidationError

from ledger.canonical import canonical_json
from ledger.clock import UTC, format_recorded_at, parse_recorded_at
from ledger.errors import FieldError
from ledger.events import REGISTRY, EventPayload, upcast
from ledger.events.types import _parse_date
from ledger.store.records import Pending, StoredEvent

STREAM_PATTERN = re.compile(r"^([a-z]+)-[A-Za-z0-9][A-Za-z0-9_.:-]{0,150}$")
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
HASH_PATTERN = re.compile(r"^[0-9a-f]{64}$")

ENVELOPE_FIELDS = frozenset({
    "position", "stream", "version", "type", "schema_version", "effective_date", "recorded_at",
    "payload", "metadata", "idempotency_key", "prev_hash", "hash",
})
METADATA_FIELDS = frozenset({"actor", "reason", "correlation_id", "causation_id"})


def check_metadata(metadata: object, default_actor: Optional[str]) -> tuple[dict[str, Any], list[FieldError]]:
    """Metadata says who recorded an event and why; the actor is always required."""
    errors: list[FieldError] = []
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return {}, [FieldError("metadata", "must be an object")]
    for key in metadata:
        if key not in METADATA_FIELDS:
            errors.append(FieldError(f"metadata.{key}", "is not a metadata field (actor, reason, correlation_id, causation_id)"))
    clean = {k: v for k, v in metadata.items() if k in METADATA_FIELDS and v is not None}
    if "actor" not in clean and default_actor:
        clean["actor"] = default_actor
    for key, value in clean.items():
        if not isinstance(value, str) or not value.strip() or len(value) > 500:
            errors.append(FieldError(f"metadata.{key}", "must be a non-empty string of at most 500 characters"))
    if "actor" not in clean:
        errors.append(FieldError("metadata.actor", "is required: every event records who recorded it"))
    return clean, errors


def check_stream(stream: object, event_type: type[EventPayload]) -> list[FieldError]:
    if not isinstance(stream, str):
        return [FieldError("stream", "must be a string such as \"member-m1\"")]
    match = STREAM_PATTERN.match(stream)
    if not match:
        return [FieldError("stream", "must be <kind>-<id>, e.g. \"member-m1\" (letters, digits, _ . : -)")]
    if event_type.stream_kinds and match.group(1) not in event_type.stream_kinds:
        kinds = ", ".join(event_type.stream_kinds)
        return [FieldError("stream", f"a {event_type.event_type} event belongs on a {kinds} stream, not {match.group(1)}")]
    return []


def encode_payload(event_type: type[EventPayload], payload: object, schema_version: int) -> tuple[str, list[FieldError]]:
    """Validate a payload (upcasting it first if it is from an older schema) and return canonical text."""
    if not isinstance(payload, dict):
        return "", [FieldError("payload", "must be an object")]
    try:
        if schema_version == event_type.schema_version:
            model = event_type.model_validate(payload)
            return canonical_json(model.model_dump(mode="json")), []
        event_type.model_validate(upcast(event_type, dict(payload), schema_version))
        return canonical_json(payload), []
    except ValidationError as exc:
        from ledger.events.base import field_errors

        return "", field_errors(exc)
    except (TypeError, ValueError, KeyError) as exc:
        return "", [FieldError("payload", f"cannot be upcast from schema version {schema_version}: {exc}")]


def _optional_int(envelope: Mapping[str, Any], name: str, minimum: int, errors: list[FieldError]) -> Optional[int]:
    value = envelope.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (minimum <= value <= 2**62):
        errors.append(FieldError(name, f"must be a whole number of at least {minimum}"))
        return None
    return value


def _optional_hash(envelope: Mapping[str, Any], name: str, errors: list[FieldError]) -> Optional[str]:
    value = envelope.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not HASH_PATTERN.match(value):
        errors.append(FieldError(name, "must be 64 lower-case hex digits"))
        return None
    return value


def pending_from_envelope(envelope: object, *, default_actor: Optional[str] = None,
                          default_key: Optional[str] = None) -> tuple[Optional[Pending], list[FieldError]]:
    """Validate one imported envelope. Returns the pending event or the errors, never both."""
    if not isinstance(envelope, dict):
        return None, [FieldError("envelope", "must be a JSON object")]
    errors: list[FieldError] = [
        FieldError(key, "is not an envelope field") for key in envelope if key not in ENVELOPE_FIELDS
    ]
    type_name = envelope.get("type")
    event_type = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    if event_type is None:
        known = "see docs/events.md for the known types"
        errors.append(FieldError("type", f"{type_name!r} is not a known event type; {known}"))
        return None, errors
    schema_version = envelope.get("schema_version", event_type.schema_version)
    if isinstance(schema_version, bool) or not isinstance(schema_version, int) or not (
        1 <= schema_version <= event_type.schema_version
    ):
        errors.append(FieldError(
            "schema_version", f"must be a whole number from 1 to {event_type.schema_version} for {type_name}"))
        return None, errors
    errors += check_stream(envelope.get("stream"), event_type)
    effective = envelope.get("effective_date")
    try:
        effective_text = _parse_date(effective).isoformat()
    except ValueError as exc:
        errors.append(FieldError("effective_date", str(exc)))
        effective_text = ""
    recorded_at = None
    if envelope.get("recorded_at") is not None:
        try:
            recorded_at = parse_recorded_at(envelope["recorded_at"])
        except ValueError as exc:
            errors.append(FieldError("recorded_at", f"must be an ISO-8601 UTC timestamp ({exc})"))
    metadata, meta_errors = check_metadata(envelope.get("metadata"), default_actor)
    errors += meta_errors
    payload_json, payload_errors = encode_payload(event_type, envelope.get("payload"), schema_version)
    errors += payload_errors
    key = envelope.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not KEY_PATTERN.match(key)):
        errors.append(FieldError("idempotency_key", "must be 1 to 200 printable ASCII characters without spaces"))
    version = _optional_int(envelope, "version", 1, errors)
    position = _optional_int(envelope, "position", 1, errors)
    prev_hash = _optional_hash(envelope, "prev_hash", errors)
    hash_ = _optional_hash(envelope, "hash", errors)
    if errors:
        return None, errors
    metadata_json = canonical_json(metadata)
    pending = Pending(
        stream=envelope["stream"], type=type_name, schema_version=schema_version,
        effective_date=effective_text, payload_json=payload_json, metadata_json=metadata_json,
        idempotency_key=key or "", recorded_at=recorded_at, claimed_version=version,
        claimed_position=position, claimed_prev_hash=prev_hash, claimed_hash=hash_,
    )
    if not pending.idempotency_key:
        pending.idempotency_key = default_key or content_key(pending)
    return pending, []


def content_key(pending: Pending) -> str:
    """The key of an event given without one: its content, so re-importing a file writes it once."""
    import hashlib

    return "content:" + hashlib.sha256(pending.content_text().encode()).hexdigest()


def pending_from_model(stream: str, payload: EventPayload, effective_date: date, *,
                       metadata: Mapping[str, Any], idempotency_key: str) -> Pending:
    """An event built in code (by a command handler); still checked like an import."""
    event_type = type(payload)
    errors = check_stream(stream, event_type)
    clean, meta_errors = check_metadata(dict(metadata), None)
    errors += meta_errors
    if not KEY_PATTERN.match(idempotency_key or ""):
        errors.append(FieldError("idempotency_key", "must be 1 to 200 printable ASCII characters without spaces"))
    if errors:
        from ledger.errors import ValidationFailed

        raise ValidationFailed(errors, where=event_type.event_type)
    return Pending(
        stream=stream, type=event_type.event_type, schema_version=event_type.schema_version,
        effective_date=_parse_date(effective_date).isoformat(),
        payload_json=canonical_json(payload.model_dump(mode="json")),
        metadata_json=canonical_json(clean), idempotency_key=idempotency_key,
    )


_loads = orjson.loads
_fromdate = date.fromisoformat
_fromdt = datetime.fromisoformat


def decode_row(row: tuple) -> StoredEvent:
    """A raw database row to a StoredEvent; dates arrive as text on SQLite and as objects on PostgreSQL."""
    (position, stream, version, type_, schema_version, effective, recorded, payload, metadata,
     key, prev_hash, hash_) = row
    if effective.__class__ is str:
        effective = _fromdate(effective)
    if recorded.__class__ is str:
        recorded = _fromdt(recorded).replace(tzinfo=UTC)
    elif recorded.tzinfo is not UTC:
        recorded = recorded.astimezone(UTC)
    return StoredEvent(position, stream, version, type_, schema_version, effective, recorded,
                       _loads(payload), _loads(metadata), key, prev_hash, hash_)


def current_payload(event: StoredEvent) -> dict[str, Any]:
    """The payload lifted to the current schema version of its type."""
    event_type = REGISTRY[event.type]
    if event.schema_version == event_type.schema_version:
        return event.payload
    return upcast(event_type, dict(event.payload), event.schema_version)


def to_model(event: StoredEvent) -> EventPayload:
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


def parse_lines(lines: Iterable[bytes | str]) -> Iterable[tuple[int, object, Optional[FieldError]]]:
    """JSON lines to objects, numbering lines from 1; blank lines are skipped."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line), None
        except orjson.JSONDecodeError as exc:
            yield number, None, FieldError("line", f"is not valid JSON ({exc.msg})")
