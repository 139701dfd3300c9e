"""An event's payload to its canonical text: validated against its type's model (upcast first if it is of an
older schema version), its ids checked against its stream, a correction's replacement checked as an event of
its own type."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from ledger.canonical import canonical_json
from ledger.errors import FieldError
from ledger.events import REGISTRY, EventPayload, upcast
from ledger.events.audit import AUDIT_TYPES, EventReversed
from ledger.events.base import field_errors, json_defaults
from ledger.events.fastcheck import quick_check
from ledger.store.streams import belongs_elsewhere, own_id_errors


def encode_payload(event_type: type[EventPayload], payload: object, schema_version: int,
                   stream: str | None = None) -> tuple[str, list[FieldError]]:
    """Validate a payload (upcasting it first if it is from an older schema) and return canonical text."""
    text, _, errors = checked_payload(event_type, payload, schema_version, stream)
    return text, errors


def checked_payload(event_type: type[EventPayload], payload: object, schema_version: int,
                    stream: str | None = None) -> tuple[str, dict[str, Any] | None, list[FieldError]]:
    """Validate a payload (upcasting it first if it is from an older schema): its canonical text as stored (at the
    schema version it came with), and the payload at its type's current version, which a check reads (so nothing
    parses the stored text again), or the errors.

    A correction's replacement is checked as an event of its own type (on `stream`, when given) and kept as given,
    like the rest of the payload: a log re-imports to the same text and hashes whatever wrote it (the read side
    fills in the replacement's defaults, ledger/corrections.py).
    """
    if not isinstance(payload, dict):
        return "", None, [FieldError("payload", "must be an object")]
    try:
        if schema_version == event_type.schema_version:
            quick = quick_check(event_type)
            if quick is None or not quick(payload):
                event_type.model_validate(payload)
            wrong = own_id_errors(stream, payload) if stream is not None else []
            if wrong:
                return "", None, wrong
            defaults = json_defaults(event_type)
            if event_type is EventReversed and (payload.get("replacement_type") is not None
                                                or payload.get("replacement_payload") is not None):
                _, errors = encode_replacement(stream, payload.get("replacement_type"),
                                               payload.get("replacement_payload"))
                if errors:
                    return "", None, [FieldError(f"payload.{e.field}", e.reason) for e in errors]
            if event_type.added_fields and any(payload.get(f, 0) is None for f in event_type.added_fields):
                payload = {k: v for k, v in payload.items() if not (k in event_type.added_fields and v is None)}
            whole = {**defaults, **payload} if defaults else payload
            return canonical_json(whole), whole, []
        older = event_type.older_versions.get(schema_version)
        if older is not None:  # checked as its own version first, so a refusal names the field as it was given
            older.model_validate(payload)
        current = upcast(event_type, dict(payload), schema_version)
        event_type.model_validate(current)
        wrong = own_id_errors(stream, current) if stream is not None else []
        return ("", None, wrong) if wrong else (canonical_json(payload), current, [])
    except ValidationError as exc:
        return "", None, field_errors(exc)
    except (TypeError, ValueError, KeyError) as exc:
        return "", None, [FieldError("payload", f"cannot be upcast from schema version {schema_version}: {exc}")]


def encode_replacement(stream: str | None, replacement_type: object,
                       replacement_payload: object) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """A correction's replacement as an event of its own: its canonical payload, or why it is refused (no type or
    no payload, an unknown type, a correction's type, a stream of another kind, or its type's schema: so no float,
    no unknown field, no missing one)."""
    if replacement_type is None:
        return None, [FieldError("replacement_type", "is required with a replacement payload")]
    if replacement_payload is None:
        return None, [FieldError("replacement_payload", f"is required with a replacement type ({replacement_type})")]
    # (a string when the reversal's own schema was checked; from elsewhere, anything but one is no known type)
    event_type = REGISTRY.get(replacement_type) if isinstance(replacement_type, str) else None
    if event_type is None:
        return None, [FieldError("replacement_type",
                                 f"{replacement_type!r} is not a known event type; see docs/events.md")]
    if replacement_type in AUDIT_TYPES:
        return None, [FieldError("replacement_type", f"a correction cannot be replaced by a {replacement_type}")]
    elsewhere = belongs_elsewhere(event_type, stream.partition("-")[0]) if stream is not None else None
    if elsewhere:
        return None, [FieldError("replacement_type", f"{elsewhere}, not on {stream}")]
    text, errors = encode_payload(event_type, replacement_payload, event_type.version_of(replacement_payload), stream)
    if errors:
        return None, [FieldError("replacement_" + e.field if e.field.startswith("payload") else e.field, e.reason)
                      for e in errors]
    return orjson.loads(text), []

