"""Which streams an event may be on: its type's stream kinds and the ids that must name its own stream.

One rule for every way in (the import, per line and in the lean loop; `mutual record`; the commands; a
correction's replacement), and the read side checks every event it reads by it (`consistent`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ledger.errors import FieldError, InconsistentLog
from ledger.events import REGISTRY, EventPayload
from ledger.store.keys import STREAM_PATTERN
from ledger.store.records import StoredEvent
from ledger.store.rows import current_payload


def belongs_elsewhere(event_type: type[EventPayload], kind: str) -> str | None:
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
    "bank": ("account_id",),
    "index": ("series",),
    "society": ("society_id", "coop_id", "fund_id"),
    "proposal": ("proposal_id",),
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
    # What is known of each (type, stream kind) read: its problem, its own-id fields and its current schema version,
    # so an event costs a look-up and a comparison per own-id field. An older payload is lifted here, once, and the
    # event handed on at its type's current version (`ledger.source.current` then passes it through).
    kinds: dict[tuple[str, str], tuple[str | None, tuple[str, ...], int]] = {}
    for event in events:
        stream, type_ = event.stream, event.type
        kind, _, own = stream.partition("-")
        found = kinds.get((type_, kind))
        if found is None:
            problem, names = _kind_problem(type_, kind)
            # a type with an own-id field has every own-id field of its stream's kind checked (own_id_errors)
            checked = OWN_ID_FIELDS.get(kind, ()) if names else ()
            found = kinds[(type_, kind)] = (problem, checked, REGISTRY[type_].schema_version if problem is None else 0)
        problem, names, version = found
        if problem is None:
            payload = event.payload
            if event.schema_version != version:
                try:
                    payload = current_payload(event)
                except (TypeError, ValueError, KeyError) as exc:
                    problem = f"payload: cannot be upcast from schema version {event.schema_version} ({exc})"
                else:
                    event = event._replace(payload=payload, schema_version=version)
            if problem is None and names:
                if not isinstance(payload, dict):
                    problem = "payload: is not an object"
                elif any(payload.get(name) not in (None, own) for name in names):
                    problem = str(own_id_errors(stream, payload)[0])
        if problem is not None:
            raise InconsistentLog(event.position, type_, stream, problem)
        yield event


def _kind_problem(type_: str, kind: str) -> tuple[str | None, tuple[str, ...]]:
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

