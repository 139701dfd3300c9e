"""An event as it comes in, to a pending event: the envelope and metadata models and their checks.

`pending_from_envelope` is the per-line authority of the import (it names the field and the reason);
`pending_from_model` builds an event a command made in code, checked like an import. Both seal nothing:
the canonical text around what only the store assigns is built by `ledger.canonical.envelope_parts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

import orjson
from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter, ValidationError

from ledger.canonical import canonical_json, envelope_parts
from ledger.clock import parse_recorded_at
from ledger.errors import FieldError, ValidationFailed
from ledger.events import REGISTRY, EventPayload
from ledger.events.base import field_errors, upcast
from ledger.events.fastcheck import _check_for, quick_check
from ledger.events.types import NO_NUL_REASON, EventDate, whole
from ledger.store.keys import HASH_BODY, KEY_BODY, KEY_PATTERN, KEY_REASON, STREAM_BODY, date_text, fact_key
from ledger.store.payloads import checked_payload
from ledger.store.records import Pending
from ledger.store.streams import belongs_elsewhere, check_stream, own_id_errors

ENVELOPE_FIELDS = frozenset({
    "position", "stream", "version", "type", "schema_version", "effective_date", "recorded_at",
    "payload", "metadata", "idempotency_key", "prev_hash", "hash",
})
METADATA_FIELDS = frozenset({"actor", "reason", "correlation_id", "causation_id", "adjustment"})
ADJUSTMENT_KINDS = ("prior-period",)  # metadata.adjustment: an event dated inside a closed period (docs/audit.md)
META_TEXT_BODY = r"[^\x00]*[^\x00\s][^\x00]*"  # not only white space, no NUL
META_TEXT_REASON = "must be a non-empty string of at most 500 characters, not only white space"
_MetaText = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=whole(META_TEXT_BODY))]
_META_TEXT = TypeAdapter(_MetaText)


def _meta_text_problem(value: object) -> str | None:
    """Why a metadata value is refused (None: it is fine): the import's rule, pydantic's _MetaText, for commands too."""
    if isinstance(value, str) and "\x00" in value:
        return NO_NUL_REASON
    try:
        _META_TEXT.validate_python(value, strict=True)
    except ValidationError:
        return META_TEXT_REASON
    return None


def check_metadata(metadata: object, default_actor: str | None) -> tuple[dict[str, Any], list[FieldError]]:
    """Metadata says who recorded an event and why; the actor is always required."""
    errors: list[FieldError] = []
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return {}, [FieldError("metadata", "must be an object")]
    for key in metadata:
        if key not in METADATA_FIELDS:
            errors.append(FieldError(f"metadata.{key}", "is not a metadata field (actor, reason, correlation_id, "
                                                        "causation_id, adjustment)"))
    clean = {k: v for k, v in metadata.items() if k in METADATA_FIELDS and v is not None}
    if "actor" not in clean and default_actor:
        clean["actor"] = default_actor
    for key, value in clean.items():
        problem = _meta_text_problem(value)
        if problem:
            errors.append(FieldError(f"metadata.{key}", problem))
        elif key == "adjustment" and value not in ADJUSTMENT_KINDS:
            errors.append(FieldError("metadata.adjustment", "must be \"prior-period\""))
    if "actor" not in clean:
        errors.append(FieldError("metadata.actor", "is required: every event records who recorded it"))
    return clean, errors



class _MetadataIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    actor: _MetaText | None = None
    reason: _MetaText | None = None
    correlation_id: _MetaText | None = None
    causation_id: _MetaText | None = None
    adjustment: Literal["prior-period"] | None = None


class _EnvelopeIn(BaseModel):
    """The shape of an imported line; checked natively by pydantic-core in one pass."""

    model_config = ConfigDict(strict=True, extra="forbid")
    stream: Annotated[str, StringConstraints(pattern=whole(STREAM_BODY))]
    type: str
    schema_version: Annotated[int, Ge(1), Le(1000)] | None = None
    effective_date: EventDate
    recorded_at: Annotated[str, StringConstraints(max_length=40)] | None = None
    payload: Any
    metadata: _MetadataIn | None = None
    idempotency_key: Annotated[str, StringConstraints(pattern=whole(KEY_BODY))] | None = None
    version: Annotated[int, Ge(1), Le(2 ** 62)] | None = None
    position: Annotated[int, Ge(1), Le(2 ** 62)] | None = None
    prev_hash: Annotated[str, StringConstraints(pattern=whole(HASH_BODY))] | None = None
    hash: Annotated[str, StringConstraints(pattern=whole(HASH_BODY))] | None = None


_ENVELOPE_REASONS = {
    whole(STREAM_BODY): "must be <kind>-<id>, e.g. \"member-m1\" (letters, digits, _ . : -)",
    whole(KEY_BODY): KEY_REASON,
    whole(HASH_BODY): "must be 64 lower-case hex digits",
    whole(META_TEXT_BODY): META_TEXT_REASON,
}


def pending_from_envelope(envelope: object, *, default_actor: str | None = None,
                          default_key: str | None = None, where: str = "") -> tuple[Pending | None, list[FieldError]]:
    """Validate one imported envelope. Returns the pending event or the errors, never both."""
    pending, _, errors = checked_envelope(envelope, default_actor=default_actor, default_key=default_key, where=where)
    return pending, errors


def checked_envelope(envelope: object, *, default_actor: str | None = None, default_key: str | None = None,
                     where: str = ""
                     ) -> tuple[Pending | None, dict[str, Any] | None, list[FieldError]]:
    """Validate one envelope: the pending event and its payload at its type's current schema version (what a
    command's checks read, so nothing parses the stored text again), or the errors.

    An older payload given without a key is keyed by its lift's fact, on every way in: the key never carries what
    the lift leaves out (a v1 admission's salary could be found again by hashing guesses), and a line recorded
    (written lifted) or imported (kept as written) is the same fact under the same key."""
    if not isinstance(envelope, dict):
        return None, None, [FieldError("envelope", "must be a JSON object")]
    if not _quick_envelope(envelope):
        try:
            _EnvelopeIn.model_validate(envelope)
        except ValidationError as exc:
            refused = [FieldError(e.field.removeprefix("."), _ENVELOPE_REASONS.get(_pattern_of(e.reason), e.reason))
                       for e in field_errors(exc, prefix="")]
            return None, None, [e if e.field not in ENVELOPE_FIELDS or e.reason != "is not a field of this event type"
                                else FieldError(e.field, "is not an envelope field") for e in refused]
    get = envelope.get
    type_name, stream, effective = envelope["type"], envelope["stream"], envelope["effective_date"]
    event_type = REGISTRY.get(type_name)
    if event_type is None:
        return None, None, [FieldError("type", f"{type_name!r} is not a known event type; see docs/events.md")]
    schema_version = get("schema_version") or event_type.version_of(envelope["payload"])  # (older shape: older)
    if schema_version > event_type.schema_version:
        return None, None, [FieldError(
            "schema_version", f"must be a whole number from 1 to {event_type.schema_version} for {type_name}")]
    errors: list[FieldError] = []
    kind = stream.partition("-")[0]
    elsewhere = belongs_elsewhere(event_type, kind)
    if elsewhere:
        errors.append(FieldError("stream", f"{elsewhere}, not {kind}"))
    recorded_at = get("recorded_at")
    if recorded_at is not None:
        try:
            recorded_at = parse_recorded_at(recorded_at)
        except (ValueError, OverflowError) as exc:  # an offset can carry a year-1 time out of range
            errors.append(FieldError("recorded_at", f"must be an ISO-8601 UTC timestamp ({exc})"))
    metadata = get("metadata") or {}
    if "actor" not in metadata or None in metadata.values():
        metadata = {k: v for k, v in metadata.items() if v is not None}
        if "actor" not in metadata:
            if default_actor:
                metadata["actor"] = default_actor
            else:
                errors.append(FieldError("metadata.actor", "is required: every event records who recorded it"))
    payload_json, current, payload_errors = checked_payload(event_type, envelope["payload"], schema_version, stream)
    if errors or payload_errors:
        return None, None, errors + payload_errors
    metadata_json = canonical_json(metadata)
    key = get("idempotency_key") or default_key or _derived_key(event_type, stream, schema_version, effective,
                                                                 payload_json, current)
    return _pending(stream, type_name, schema_version, effective, payload_json, metadata_json, key, recorded_at,
                    get("version"), get("position"), get("prev_hash"), get("hash"), where), current, []


def model_fact_key(stream: str, payload: EventPayload, effective_date: date) -> str:
    """The key of an event built in code and given no key: its business fact, as `mutual import` derives it for the
    same line (what the fund's commands key their events by)."""
    return fact_key(stream, payload.event_type, payload.schema_version, effective_date.isoformat(),
                    canonical_json(payload.to_json()))


def _derived_key(event_type: type[EventPayload], stream: str, schema_version: int, effective: str, payload_json: str,
                 current: dict[str, Any] | None) -> str:
    """The key of an event given without one: its fact's SHA-256. An older payload's fact is its lift's, so a key
    never carries what the lift leaves out (a v1 admission's salary could be found again by hashing guesses)."""
    if schema_version == event_type.schema_version or current is None:
        return fact_key(stream, event_type.event_type, schema_version, effective, payload_json)
    return fact_key(stream, event_type.event_type, event_type.schema_version, effective, canonical_json(current))


def _pending(stream: str, type_: str, schema_version: int, effective: str, payload_json: str, metadata_json: str,
             key: str, recorded_at: datetime | None = None, version: int | None = None,
             position: int | None = None, prev_hash: str | None = None, hash_: str | None = None,
             where: str = "") -> Pending:
    """The pending event, its canonical head and middle built by the one encoder (canonical.envelope_parts)."""
    head, middle = envelope_parts(stream, type_, schema_version, effective, payload_json, metadata_json, key)
    return Pending(stream, type_, schema_version, effective, payload_json, metadata_json, key, head, middle,
                   recorded_at, version, position, prev_hash, hash_, where)


_ENVELOPE_REQUIRED = frozenset({"stream", "type", "effective_date", "payload"})
_ENVELOPE_CHECKS: dict[str, Callable[[Any], bool]] = {}


def _quick_envelope(envelope: dict[str, Any]) -> bool:
    """True only for envelopes _EnvelopeIn certainly accepts (the common case, checked cheaply)."""
    global _ENVELOPE_CHECKS
    if not _ENVELOPE_CHECKS:
        fields = {n: i for n, i in _EnvelopeIn.model_fields.items() if n not in ("payload", "metadata")}
        checks = {n: _check_for(i.annotation, list(i.metadata)) for n, i in fields.items()}
        _ENVELOPE_CHECKS = {n: check for n, check in checks.items() if check is not None}
        if len(_ENVELOPE_CHECKS) != len(checks):
            _ENVELOPE_CHECKS = {}
            raise TypeError("every envelope field needs a quick check")
        _ENVELOPE_CHECKS["payload"] = lambda value: type(value) is dict
        _ENVELOPE_CHECKS["metadata"] = lambda value: value is None or (type(value) is dict and _quick_metadata(value))
    if not envelope.keys() >= _ENVELOPE_REQUIRED:
        return False
    check_of = _ENVELOPE_CHECKS.get
    for name, value in envelope.items():
        check = check_of(name)
        if check is None or not check(value):
            return False
    return True


def _quick_metadata(metadata: dict[str, Any]) -> bool:
    check = quick_check(_MetadataIn)
    return check is not None and check(metadata)


def _pattern_of(reason: str) -> str:
    """pydantic says 'String should match pattern '<p>''; get <p> back to explain it."""
    marker = "String should match pattern '"
    return reason[len(marker):-1] if reason.startswith(marker) else ""



def at_current_version(pending: Pending) -> Pending:
    """An event of an older schema version lifted to its type's current one (what `mutual record` writes: a new
    fact enters the chain only in its type's current form, e.g. a `MemberAdmitted` without the salary version 1
    carried). Its key is the one of the fact as given (given, or derived from the lifted payload: checked_envelope),
    so the same line recorded, or imported as written, is one fact: `same_fact` says a stored lift and its older
    form agree."""
    event_type = REGISTRY[pending.type]
    if pending.schema_version == event_type.schema_version:
        return pending
    payload = orjson.loads(pending.payload_json)
    lifted = event_type.model_validate(upcast(event_type, payload, pending.schema_version)).to_json()
    payload_json = canonical_json(lifted)
    key = pending.idempotency_key
    return _pending(pending.stream, pending.type, event_type.schema_version, pending.effective_date, payload_json,
                    pending.metadata_json, key, pending.recorded_at, pending.claimed_version, pending.claimed_position,
                    pending.claimed_prev_hash, pending.claimed_hash, pending.where)


def same_fact(stored_fact_text: str, pending: Pending) -> bool:
    """Whether the log's fact under a key is this pending event's: the same text, or (for an event of an older
    schema version) the text of its lift, which `mutual record` writes in its place."""
    if stored_fact_text == pending.content_text():
        return True
    if pending.schema_version == REGISTRY[pending.type].schema_version:
        return False
    try:
        return stored_fact_text == at_current_version(pending).content_text()
    except (ValidationError, TypeError, ValueError, KeyError, ArithmeticError):
        return False


def pending_from_model(stream: str, payload: EventPayload, effective_date: date, *,
                       metadata: Mapping[str, Any], idempotency_key: str) -> Pending:
    """An event built in code (by a command handler); still checked like an import."""
    event_type = type(payload)
    errors = check_stream(stream, event_type)
    fields = payload.to_json()  # (what is stored: ids checked on it, then written as canonical text)
    if not errors:
        errors += own_id_errors(stream, fields)
    clean, meta_errors = check_metadata(dict(metadata), None)
    errors += meta_errors
    if not isinstance(idempotency_key, str) or not KEY_PATTERN.fullmatch(idempotency_key):
        errors.append(FieldError("idempotency_key", NO_NUL_REASON if "\x00" in str(idempotency_key) else KEY_REASON))
    if errors:
        raise ValidationFailed(errors, where=event_type.event_type)
    return _pending(stream, event_type.event_type, event_type.schema_version, date_text(effective_date),
                    canonical_json(fields), canonical_json(clean), idempotency_key)

