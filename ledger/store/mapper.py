"""Between the outside world and the store's rows: validation, serialisation, upcasting.

The mapper knows the event schemas; the recorder knows only SQL. Everything
that reaches the recorder is validated and in canonical text form.
"""

from __future__ import annotations

import hashlib
import re
import typing
from datetime import date, datetime
from typing import Annotated, Any, Callable, Iterable, Iterator, Literal, Mapping, Optional, Union

import orjson
from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from ledger.canonical import canonical_json, envelope_parts
from ledger.clock import UTC, format_recorded_at, parse_recorded_at
from ledger.errors import FieldError, InconsistentLog
from ledger.events import REGISTRY, EventPayload, upcast
from ledger.events.audit import AUDIT_TYPES, EventReversed
from ledger.events.base import field_errors, json_defaults
from ledger.events.types import NO_NUL_REASON, EventDate, whole
from ledger.events.fastcheck import _check_for, quick_check, typed_dict_of
from ledger.store.records import Pending, StoredEvent, content_text, fact_text

# Pattern bodies: given to pydantic as whole(body), matched in Python with fullmatch only (ledger/events/types.py).
STREAM_BODY = r"([a-z]+)-[A-Za-z0-9][A-Za-z0-9_.:-]{0,150}"
KEY_BODY = r"[\x21\x23-\x5b\x5d-\x7e]{1,200}"  # printable ASCII but space, " and \ (docs/events.md)
HASH_BODY = r"[0-9a-f]{64}"
STREAM_PATTERN = re.compile(STREAM_BODY)
KEY_PATTERN = re.compile(KEY_BODY)
HASH_PATTERN = re.compile(HASH_BODY)
DATE_PATTERN = re.compile(r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
KEY_REASON = "must be 1 to 200 printable ASCII characters without spaces, quotes or backslashes"


def date_text(value: object) -> str:
    """An effective date as canonical text; refuses anything but a real ISO date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise ValueError("must be an ISO date such as \"2024-04-01\" between 1900 and 2199")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"is not a real calendar date ({exc})") from None
    return value

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


def _meta_text_problem(value: object) -> Optional[str]:
    """Why a metadata value is refused (None: it is fine): the import's rule, pydantic's _MetaText, for commands too."""
    if isinstance(value, str) and "\x00" in value:
        return NO_NUL_REASON
    try:
        _META_TEXT.validate_python(value, strict=True)
    except ValidationError:
        return META_TEXT_REASON
    return None


def check_metadata(metadata: object, default_actor: Optional[str]) -> tuple[dict[str, Any], list[FieldError]]:
    """Metadata says who recorded an event and why; the actor is always required."""
    errors: list[FieldError] = []
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return {}, [FieldError("metadata", "must be an object")]
    for key in metadata:
        if key not in METADATA_FIELDS:
            errors.append(FieldError(f"metadata.{key}", "is not a metadata field (actor, reason, correlation_id, causation_id, adjustment)"))
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


def belongs_elsewhere(event_type: type[EventPayload], kind: str) -> Optional[str]:
    """Why an event of this type cannot be on a stream of this kind (None: it can)."""
    if event_type.stream_kinds and kind not in event_type.stream_kinds:
        return f"a {event_type.event_type} event belongs on a {', '.join(event_type.stream_kinds)} stream"
    return None


# A stream's own id: the payload fields that, when set, must name the id of the stream the event is on (a
# LoanGranted on loan-X is the grant of loan X, not of loan Y). Ids of other things (a loan's fund, a member's
# co-op, a gift's receiver) are not the stream's. One rule for every way in: import, `mutual record`, the
# commands, a correction's replacement; and the read side refuses a log that breaks it (projections/view.py).
OWN_ID_FIELDS: dict[str, tuple[str, ...]] = {
    "member": ("member_id", "from_member_id"),
    "dwelling": ("dwelling_id",),
    "mortgage": ("mortgage_id",),
    "loan": ("loan_id",),
    "account": ("account_id",),
    "index": ("series",),
    "society": ("society_id", "coop_id", "fund_id"),
}


def own_id_errors(stream: str, payload: Mapping[str, Any], prefix: str = "payload") -> list[FieldError]:
    """The payload's fields that should name the stream's own id and name another (a valid payload, a valid stream)."""
    kind, _, own = stream.partition("-")
    names = OWN_ID_FIELDS.get(kind)
    if not names:
        return []
    return [FieldError(f"{prefix}.{name}", f"is {payload[name]} but the stream is {stream}")
            for name in names if payload.get(name) is not None and payload[name] != own]


def consistent(events: Iterable[StoredEvent]) -> Iterator[StoredEvent]:
    """The events as read, each checked as every way in checks it before it is written: a known type, on a
    stream of its kind, its ids naming its own stream (own_id_errors). The first that is not raises
    InconsistentLog naming its position: what the read side says of a row written around the ledger, instead of
    folding it into wrong figures or a crash. (Its payload's schema is not checked again here: that costs a
    validation per event read; `mutual audit` re-imports the whole log, which does.)"""
    try:
        yield from _consistent(events)
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # a read stopped by the error (or by its reader) gives its connection back at once


def _consistent(events: Iterable[StoredEvent]) -> Iterator[StoredEvent]:
    kinds: dict[tuple[str, str], tuple[Optional[str], tuple[str, ...]]] = {}
    for event in events:
        stream, type_ = event.stream, event.type
        kind, _, own = stream.partition("-")
        found = kinds.get((type_, kind))
        if found is None:
            found = kinds[(type_, kind)] = _kind_problem(type_, kind)
        problem, names = found
        if problem is None and names:
            try:
                payload = current_payload(event) if event.schema_version != REGISTRY[type_].schema_version \
                    else event.payload
            except (TypeError, ValueError, KeyError) as exc:
                problem = f"payload: cannot be upcast from schema version {event.schema_version} ({exc})"
            else:
                wrong = own_id_errors(stream, payload) if isinstance(payload, dict) else [
                    FieldError("payload", "is not an object")]
                problem = str(wrong[0]) if wrong else None
        if problem is not None:
            raise InconsistentLog(event.position, type_, stream, problem)
        yield event


def _kind_problem(type_: str, kind: str) -> tuple[Optional[str], tuple[str, ...]]:
    """What is wrong with an event of this type on a stream of this kind (None: nothing), and its own-id fields."""
    event_type = REGISTRY.get(type_)
    if event_type is None:
        return f"type: {type_!r} is not a known event type", ()
    elsewhere = belongs_elsewhere(event_type, kind)
    if elsewhere:
        return f"stream: {elsewhere}, not {kind}", ()
    return None, tuple(n for n in OWN_ID_FIELDS.get(kind, ()) if n in event_type.model_fields)


def check_stream(stream: object, event_type: type[EventPayload]) -> list[FieldError]:
    if not isinstance(stream, str):
        return [FieldError("stream", "must be a string such as \"member-m1\"")]
    match = STREAM_PATTERN.fullmatch(stream)
    if not match:
        return [FieldError("stream", "must be <kind>-<id>, e.g. \"member-m1\" (letters, digits, _ . : -)")]
    elsewhere = belongs_elsewhere(event_type, match.group(1))
    return [FieldError("stream", f"{elsewhere}, not {match.group(1)}")] if elsewhere else []


def encode_payload(event_type: type[EventPayload], payload: object, schema_version: int,
                   stream: Optional[str] = None) -> tuple[str, list[FieldError]]:
    """Validate a payload (upcasting it first if it is from an older schema) and return canonical text.

    A correction's replacement is checked as an event of its own type (on `stream`, when given) and kept as given,
    like the rest of the payload: a log re-imports to the same text and hashes whatever wrote it (the read side
    fills in the replacement's defaults, ledger/corrections.py).
    """
    if not isinstance(payload, dict):
        return "", [FieldError("payload", "must be an object")]
    try:
        if schema_version == event_type.schema_version:
            quick = quick_check(event_type)
            if quick is None or not quick(payload):
                event_type.model_validate(payload)
            wrong = own_id_errors(stream, payload) if stream is not None else []
            if wrong:
                return "", wrong
            defaults = json_defaults(event_type)
            if event_type is EventReversed and (payload.get("replacement_type") is not None
                                                or payload.get("replacement_payload") is not None):
                _, errors = encode_replacement(stream, payload.get("replacement_type"), payload.get("replacement_payload"))
                if errors:
                    return "", [FieldError(f"payload.{e.field}", e.reason) for e in errors]
            if event_type.added_fields and any(payload.get(f, 0) is None for f in event_type.added_fields):
                payload = {k: v for k, v in payload.items() if not (k in event_type.added_fields and v is None)}
            return canonical_json({**defaults, **payload} if defaults else payload), []
        current = upcast(event_type, dict(payload), schema_version)
        event_type.model_validate(current)
        wrong = own_id_errors(stream, current) if stream is not None else []
        return ("", wrong) if wrong else (canonical_json(payload), [])
    except ValidationError as exc:
        return "", field_errors(exc)
    except (TypeError, ValueError, KeyError) as exc:
        return "", [FieldError("payload", f"cannot be upcast from schema version {schema_version}: {exc}")]


def encode_replacement(stream: Optional[str], replacement_type: object,
                       replacement_payload: object) -> tuple[Optional[dict], list[FieldError]]:
    """A correction's replacement as an event of its own: its canonical payload, or why it is refused (no type or
    no payload, an unknown type, a correction's type, a stream of another kind, or its type's schema: so no float,
    no unknown field, no missing one)."""
    if replacement_type is None:
        return None, [FieldError("replacement_type", "is required with a replacement payload")]
    if replacement_payload is None:
        return None, [FieldError("replacement_payload", f"is required with a replacement type ({replacement_type})")]
    event_type = REGISTRY.get(replacement_type)  # (a string: the reversal's own schema says so)
    if event_type is None:
        return None, [FieldError("replacement_type", f"{replacement_type!r} is not a known event type; see docs/events.md")]
    if replacement_type in AUDIT_TYPES:
        return None, [FieldError("replacement_type", f"a correction cannot be replaced by a {replacement_type}")]
    elsewhere = belongs_elsewhere(event_type, stream.partition("-")[0]) if stream is not None else None
    if elsewhere:
        return None, [FieldError("replacement_type", f"{elsewhere}, not on {stream}")]
    text, errors = encode_payload(event_type, replacement_payload, event_type.schema_version, stream)
    if errors:
        return None, [FieldError("replacement_" + e.field if e.field.startswith("payload") else e.field, e.reason)
                      for e in errors]
    return orjson.loads(text), []


class _MetadataIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    actor: Optional[_MetaText] = None
    reason: Optional[_MetaText] = None
    correlation_id: Optional[_MetaText] = None
    causation_id: Optional[_MetaText] = None
    adjustment: Optional[Literal["prior-period"]] = None


class _EnvelopeIn(BaseModel):
    """The shape of an imported line; checked natively by pydantic-core in one pass."""

    model_config = ConfigDict(strict=True, extra="forbid")
    stream: Annotated[str, StringConstraints(pattern=whole(STREAM_BODY))]
    type: str
    schema_version: Optional[Annotated[int, Ge(1), Le(1000)]] = None
    effective_date: EventDate
    recorded_at: Optional[Annotated[str, StringConstraints(max_length=40)]] = None
    payload: Any
    metadata: Optional[_MetadataIn] = None
    idempotency_key: Optional[Annotated[str, StringConstraints(pattern=whole(KEY_BODY))]] = None
    version: Optional[Annotated[int, Ge(1), Le(2**62)]] = None
    position: Optional[Annotated[int, Ge(1), Le(2**62)]] = None
    prev_hash: Optional[Annotated[str, StringConstraints(pattern=whole(HASH_BODY))]] = None
    hash: Optional[Annotated[str, StringConstraints(pattern=whole(HASH_BODY))]] = None


_ENVELOPE_REASONS = {
    whole(STREAM_BODY): "must be <kind>-<id>, e.g. \"member-m1\" (letters, digits, _ . : -)",
    whole(KEY_BODY): KEY_REASON,
    whole(HASH_BODY): "must be 64 lower-case hex digits",
    whole(META_TEXT_BODY): META_TEXT_REASON,
}


def pending_from_envelope(envelope: object, *, default_actor: Optional[str] = None,
                          default_key: Optional[str] = None, where: str = "") -> tuple[Optional[Pending], list[FieldError]]:
    """Validate one imported envelope. Returns the pending event or the errors, never both."""
    if not isinstance(envelope, dict):
        return None, [FieldError("envelope", "must be a JSON object")]
    if not _quick_envelope(envelope):
        try:
            _EnvelopeIn.model_validate(envelope)
        except ValidationError as exc:
            errors = [FieldError(e.field.removeprefix("."), _ENVELOPE_REASONS.get(_pattern_of(e.reason), e.reason))
                      for e in field_errors(exc, prefix="")]
            return None, [e if e.field not in ENVELOPE_FIELDS or e.reason != "is not a field of this event type"
                          else FieldError(e.field, "is not an envelope field") for e in errors]
    get = envelope.get
    type_name, stream, effective = envelope["type"], envelope["stream"], envelope["effective_date"]
    event_type = REGISTRY.get(type_name)
    if event_type is None:
        return None, [FieldError("type", f"{type_name!r} is not a known event type; see docs/events.md")]
    schema_version = get("schema_version") or event_type.schema_version
    if schema_version > event_type.schema_version:
        return None, [FieldError(
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
    payload_json, payload_errors = encode_payload(event_type, envelope["payload"], schema_version, stream)
    if errors or payload_errors:
        return None, errors + payload_errors
    metadata_json = canonical_json(metadata)
    key = get("idempotency_key") or default_key or fact_key(stream, type_name, schema_version, effective, payload_json)
    return _pending(stream, type_name, schema_version, effective, payload_json, metadata_json,
                    key, recorded_at, get("version"), get("position"), get("prev_hash"), get("hash"), where), []


def _pending(stream, type_, schema_version, effective, payload_json, metadata_json, key, recorded_at=None,
             version=None, position=None, prev_hash=None, hash_=None, where="") -> Pending:
    head, middle = envelope_parts(stream=stream, type=type_, schema_version=schema_version,
                                  effective_date=effective, payload_json=payload_json,
                                  metadata_json=metadata_json, idempotency_key=key)
    return Pending(stream, type_, schema_version, effective, payload_json, metadata_json, key, head, middle,
                   recorded_at, version, position, prev_hash, hash_, where)


_ENVELOPE_REQUIRED = frozenset({"stream", "type", "effective_date", "payload"})
_ENVELOPE_CHECKS: dict = {}


def _quick_envelope(envelope: dict) -> bool:
    """True only for envelopes _EnvelopeIn certainly accepts (the common case, checked cheaply)."""
    global _ENVELOPE_CHECKS
    if not _ENVELOPE_CHECKS:
        fields = {n: i for n, i in _EnvelopeIn.model_fields.items() if n not in ("payload", "metadata")}
        checks = tuple((n, _check_for(i.annotation, list(i.metadata))) for n, i in fields.items())
        if any(check is None for _, check in checks):
            raise TypeError("every envelope field needs a quick check")
        _ENVELOPE_CHECKS = dict(checks)
        _ENVELOPE_CHECKS["payload"] = lambda value: type(value) is dict
        _ENVELOPE_CHECKS["metadata"] = lambda value: value is None or (type(value) is dict and _quick_metadata(value))
    if not _ENVELOPE_REQUIRED <= envelope.keys():
        return False
    check_of = _ENVELOPE_CHECKS.get
    for name, value in envelope.items():
        check = check_of(name)
        if check is None or not check(value):
            return False
    return True


def _quick_metadata(metadata: dict) -> bool:
    check = quick_check(_MetadataIn)
    return check is not None and check(metadata)


def _pattern_of(reason: str) -> str:
    """pydantic says 'String should match pattern '<p>''; get <p> back to explain it."""
    marker = "String should match pattern '"
    return reason[len(marker):-1] if reason.startswith(marker) else ""


FACT_KEY_PREFIX = "fact:"
LEGACY_KEY_PREFIX = "content:"


def fact_key(stream: str, type_: str, schema_version: int, effective_date: str, payload_json: str) -> str:
    """The key of an event given without one: the business fact (ledger.store.records.fact_text), so that the
    same file entered again, by the same clerk or another, writes it once."""
    return FACT_KEY_PREFIX + hashlib.sha256(fact_text(stream, type_, schema_version, effective_date,
                                                      payload_json).encode()).hexdigest()


def content_key(*content) -> str:
    """The legacy default key (before facts: the content with its metadata, so the actor too). No longer derived
    for new events; events stored under it keep it (their hashes seal it)."""
    return LEGACY_KEY_PREFIX + hashlib.sha256(content_text(*content).encode()).hexdigest()


def pending_from_model(stream: str, payload: EventPayload, effective_date: date, *,
                       metadata: Mapping[str, Any], idempotency_key: str) -> Pending:
    """An event built in code (by a command handler); still checked like an import."""
    event_type = type(payload)
    errors = check_stream(stream, event_type)
    fields = payload.model_dump(mode="json")
    if not errors:
        errors += own_id_errors(stream, fields)
    clean, meta_errors = check_metadata(dict(metadata), None)
    errors += meta_errors
    if not isinstance(idempotency_key, str) or not KEY_PATTERN.fullmatch(idempotency_key):
        errors.append(FieldError("idempotency_key", NO_NUL_REASON if "\x00" in str(idempotency_key) else KEY_REASON))
    if errors:
        from ledger.errors import ValidationFailed

        raise ValidationFailed(errors, where=event_type.event_type)
    return _pending(stream, event_type.event_type, event_type.schema_version, date_text(effective_date),
                    canonical_json(payload.to_json()), canonical_json(clean), idempotency_key)


_loads = orjson.loads
_fromdate = date.fromisoformat
_fromdt = datetime.fromisoformat


def effective_value(value):
    """An effective date as the database hands it back (ISO text on SQLite, a date on PostgreSQL) to a date."""
    return _fromdate(value) if value.__class__ is str else value


def recorded_value(value):
    """A recorded time as the database hands it back to an aware UTC datetime."""
    if value.__class__ is str:
        return _fromdt(value).replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def row_decoder():
    """A decoder for one pass over the log.

    Neighbouring events nearly always share their effective date, recorded
    time and metadata (one import, one actor), so each is parsed once while it
    repeats. Stored events are read-only: the metadata dict may be shared.
    """
    last_effective = last_recorded = last_metadata = None
    effective_date = recorded_at = metadata_dict = None
    new = StoredEvent._make
    loads = _loads

    def decode(row: tuple) -> StoredEvent:
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


def decode_row(row: tuple) -> StoredEvent:
    """A raw database row to a StoredEvent; dates arrive as text on SQLite and as objects on PostgreSQL."""
    (position, stream, version, type_, schema_version, effective, recorded, payload, metadata,
     key, prev_hash, hash_) = row
    return StoredEvent(position, stream, version, type_, schema_version, effective_value(effective),
                       recorded_value(recorded), _loads(payload), _loads(metadata), key, prev_hash, hash_)


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


def validate_lines(lines: list[bytes | str], first_number: int = 1, default_actor: Optional[str] = None,
                   max_errors: int = 20) -> tuple[list[Pending], list[FieldError]]:
    """A chunk of JSON lines to pending events, or the errors naming line, field and reason.

    Each block of _BLOCK lines is checked in one pydantic-core call
    (`_chunk_check`); the lines it accepts become pending events in one lean
    loop, and any other line goes through `pending_from_envelope` (the
    per-line authority, which names the field and the reason), in line
    order. The result is the same as `validate_lines_one_by_one`'s (a
    property test holds them to it).
    """
    pendings: list[Pending] = []
    errors: list[FieldError] = []
    build = _fast_builder(default_actor)
    append = pendings.append
    loads = _loads
    for start in range(0, len(lines), _BLOCK):
        block = lines[start:start + _BLOCK]
        try:
            envelopes = [loads(line) for line in block]
        except orjson.JSONDecodeError:  # a blank or broken line: the per-line path explains it
            envelopes = [_loads_or_none(line) for line in block]
        refused = _chunk_check(envelopes)
        numbers = range(first_number + start, first_number + start + len(block))
        if refused is None:  # the common case: every line of the block accepted
            built = list(map(build, envelopes, numbers))
            if None not in built:
                pendings.extend(built)
                continue
        else:
            built = [None if i in refused else build(e, n) for i, (e, n) in enumerate(zip(envelopes, numbers))]
        for pending, number in zip(built, numbers):
            if pending is not None:
                append(pending)
                continue
            pending, problems = _one_line(lines[number - first_number], number, default_actor)
            if pending is not None:
                append(pending)
            elif problems:
                errors.extend(problems)
                if len(errors) >= max_errors:
                    return pendings, errors
    return pendings, errors


# Lines are checked in blocks this long: big enough to make one native call
# cheap per line, small enough that the block's parsed objects are still in
# the CPU cache when the lean loop reads them (20,000 at once was half as fast).
_BLOCK = 256


def validate_lines_one_by_one(lines: list[bytes | str], first_number: int = 1, default_actor: Optional[str] = None,
                              max_errors: int = 20) -> tuple[list[Pending], list[FieldError]]:
    """`validate_lines` a line at a time through `pending_from_envelope` only: the reference it is tested against."""
    pendings: list[Pending] = []
    errors: list[FieldError] = []
    for number, line in enumerate(lines, start=first_number):
        pending, problems = _one_line(line, number, default_actor)
        if pending is not None:
            pendings.append(pending)
        elif problems:
            errors.extend(problems)
            if len(errors) >= max_errors:
                break
    return pendings, errors


def _one_line(line: bytes | str, number: int, default_actor: Optional[str]) -> tuple[Optional[Pending], list[FieldError]]:
    """One line by the per-line authority: the pending event, or the errors naming the line (none for a blank line)."""
    try:
        envelope = _loads(line)
    except orjson.JSONDecodeError as exc:
        if not line.strip():
            return None, []
        return None, [FieldError(f"line {number}: line", f"is not valid JSON ({exc.msg})")]
    pending, problems = pending_from_envelope(envelope, default_actor=default_actor, where=f"line {number}")
    return pending, [FieldError(f"line {number}: {p.field}", p.reason) for p in problems]


def _loads_or_none(line: bytes | str) -> Any:
    try:
        return _loads(line)
    except orjson.JSONDecodeError:
        return None  # not an envelope: refused by the chunk check, explained by _one_line


# -- the chunk check -----------------------------------------------------------
#
# One pydantic-core validator for a list of envelopes, discriminated by `type`:
# per event type, an envelope TypedDict whose fields are _EnvelopeIn's, narrowed
# to what the lean loop below may take without further questions:
#   stream          _EnvelopeIn's pattern with the kind restricted to the type's stream kinds
#   type            the type's name
#   schema_version  absent, null or the current version (older ones are upcast: per-line path)
#   payload         the event model's fields as a TypedDict (fastcheck.typed_dict_of), or the model
#   metadata        _MetadataIn's fields without nulls (nulls are dropped: per-line path)
# Everything else is exactly _EnvelopeIn's. Narrower only means more lines take
# the per-line path; it never lets through a line the per-line path refuses.

_CHUNK: dict[str, Any] = {}


def _chunk_check(envelopes: list[Any]) -> Optional[set[int]]:
    """Which of the envelopes the chunk validator refuses (None: it accepted them all)."""
    validator = _chunk_validator()
    if validator is None:
        return set(range(len(envelopes)))
    if validator.isinstance_python(envelopes):  # a yes or no, without building the validated copies
        return None
    refused: set[int] = set()
    rest = list(range(len(envelopes)))
    while rest:  # a line counts as accepted only after a call that found nothing wrong with it
        try:
            validator.validate_python([envelopes[i] for i in rest])
            break
        except ValidationError as exc:
            where = [e["loc"][:1] for e in exc.errors(include_url=False, include_context=False, include_input=False)]
            if not where or not all(loc and type(loc[0]) is int for loc in where):
                return set(range(len(envelopes)))  # an error not pinned to one envelope: the per-line path for all
            again = {rest[loc[0]] for loc in where}
            refused |= again
            rest = [i for i in rest if i not in again]
    return refused


def _chunk_validator() -> Any:
    types = tuple(REGISTRY.values())
    if _CHUNK.get("types") != types:  # built once, again only if an event type is registered later
        _CHUNK["validator"] = _build_chunk_validator(types)
        _CHUNK["info"] = {t.event_type: (json_defaults(t), len(t.model_fields), t.schema_version, t.added_fields)
                          for t in types}
        _CHUNK["types"] = types
    return _CHUNK["validator"]


def _without_none(annotation: Any) -> Optional[Any]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if typing.get_origin(annotation) is Union and len(args) == 1 else None


def _build_chunk_validator(types: tuple[type[EventPayload], ...]) -> Any:
    """The chunk validator, or None if the envelope models can no longer be compiled into one.

    (None sends every line down the per-line path: slower, never wrong. The
    tests check that the validator is built and takes the examples.)
    """
    required_fields = {n: _without_none(i.annotation) for n, i in _MetadataIn.model_fields.items()}
    if None in required_fields.values():
        return None
    metadata = typed_dict_of(_MetadataIn, "_MetadataChunk", replace=required_fields)
    patterns = [c.pattern for c in _EnvelopeIn.model_fields["stream"].metadata if getattr(c, "pattern", None)]
    if metadata is None or len(patterns) != 1 or not patterns[0].startswith(r"\A(?:([a-z]+)-") \
            or patterns[0].count("([a-z]+)") != 1:
        return None
    stream_pattern = patterns[0]
    members = []
    for event_type in types:
        kinds = event_type.stream_kinds
        if kinds and all(re.fullmatch("[a-z]+", k) for k in kinds):
            pattern = stream_pattern.replace("([a-z]+)", "(" + "|".join(kinds) + ")", 1)
        elif not kinds:
            pattern = stream_pattern
        else:
            continue  # a stream kind the pattern cannot name: that type takes the per-line path
        if event_type is EventReversed:
            continue  # its replacement is checked as an event of its own type: the per-line path
        version = event_type.schema_version
        payload = typed_dict_of(event_type, f"_{event_type.__name__}Payload") or event_type
        member = typed_dict_of(_EnvelopeIn, f"_{event_type.__name__}Envelope", replace={
            "stream": Annotated[str, StringConstraints(pattern=pattern)],
            "type": Literal[event_type.event_type],  # type: ignore[valid-type]
            "schema_version": Optional[Annotated[int, Ge(version), Le(version)]],
            "payload": payload,
            "metadata": Optional[metadata],
        })
        if member is None:
            return None
        members.append(member)
    if not members:
        return None
    union = members[0] if len(members) == 1 else Annotated[Union[tuple(members)], Field(discriminator="type")]
    return TypeAdapter(list[union]).validator  # type: ignore[valid-type]  (pydantic-core's SchemaValidator)


def _fast_builder(default_actor: Optional[str]) -> Callable[[dict, int], Optional[Pending]]:
    """The lean loop's body: an envelope the chunk check accepted to its pending event (None: ask the per-line path).

    Does what pending_from_envelope does for such an envelope, without the checks the chunk check has made.
    """
    _chunk_validator()
    info = _CHUNK["info"]
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    sha256 = hashlib.sha256
    new, cls = tuple.__new__, Pending
    own_by_type: dict[tuple[str, str], tuple[str, ...]] = {}

    def own_fields(type_name: str, kind: str) -> tuple[str, ...]:
        """The own-id fields (OWN_ID_FIELDS) a type has on a stream of this kind, looked up once per pair."""
        found = own_by_type.get((type_name, kind))
        if found is None:
            found = own_by_type[(type_name, kind)] = tuple(
                n for n in OWN_ID_FIELDS.get(kind, ()) if n in REGISTRY[type_name].model_fields)
        return found

    def build(envelope: dict, number: int) -> Optional[Pending]:
        get = envelope.get
        type_name, stream, effective, payload = envelope["type"], envelope["stream"], envelope["effective_date"], envelope["payload"]
        defaults, fields, schema_version, added = info[type_name]
        if added and any(payload.get(f, 0) is None for f in added):
            return None  # an added field given as null (left out of the canonical payload): the per-line path
        kind, _, own = stream.partition("-")
        names = own_by_type.get((type_name, kind))
        for name in own_fields(type_name, kind) if names is None else names:
            value = payload.get(name)
            if value is not None and value != own:
                return None  # names another stream's id: the per-line path says which field
        if defaults and len(payload) < fields:  # (the chunk check refused unknown keys: all there if as many)
            payload = {**defaults, **payload}
        payload_json = dumps(payload, option=sort).decode()
        metadata, key = get("metadata"), get("idempotency_key")
        if len(envelope) == 4 + (metadata is not None) + (key is not None):  # no schema_version, no claims
            recorded_at = version = position = prev_hash = hash_ = None
        else:
            recorded_at, version, position, prev_hash, hash_ = (
                get("recorded_at"), get("version"), get("position"), get("prev_hash"), get("hash"))
            if recorded_at is not None:
                try:
                    recorded_at = parse_recorded_at(recorded_at)
                except (ValueError, OverflowError):
                    return None
        if metadata is None or "actor" not in metadata:
            if not default_actor:
                return None  # the actor is missing: the per-line path says so
            metadata = {**metadata, "actor": default_actor} if metadata else {"actor": default_actor}
        metadata_json = dumps(metadata, option=sort).decode()
        if not key:  # (mapper.fact_key, written out)
            key = "fact:" + sha256("\x1f".join(
                (stream, type_name, str(schema_version), effective, payload_json)).encode()).hexdigest()
        return new(cls, (stream, type_name, schema_version, effective, payload_json, metadata_json, key,
                         f'{{"effective_date":"{effective}","idempotency_key":"{key}","metadata":{metadata_json}'
                         f',"payload":{payload_json},"position":',
                         f'","schema_version":{schema_version},"stream":"{stream}","type":"{type_name}","version":',
                         recorded_at, version, position, prev_hash, hash_, f"line {number}"))

    return build
