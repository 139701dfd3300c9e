"""The import's checks of a chunk of lines: one pydantic-core call per block, then a lean loop.

`validate_lines` must return exactly what `validate_lines_one_by_one` (the per-line path,
`envelope.pending_from_envelope`, alone) returns: tests/unit/test_chunk_check.py holds them to it on
hostile input, and tests/unit/test_canonical.py holds the lean loop's pending events to the per-line
path's and their sealed text to canonical JSON of the envelope.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, Optional, Union, cast

import orjson
from annotated_types import Ge, Le
from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from ledger.canonical import envelope_parts
from ledger.clock import parse_recorded_at
from ledger.errors import FieldError
from ledger.events import REGISTRY, EventPayload
from ledger.events.audit import EventReversed
from ledger.events.base import json_defaults
from ledger.events.fastcheck import typed_dict_of
from ledger.store.envelope import _EnvelopeIn, _MetadataIn, pending_from_envelope
from ledger.store.keys import fact_key
from ledger.store.records import Pending
from ledger.store.streams import OWN_ID_FIELDS

_loads = orjson.loads


def validate_lines(lines: list[bytes | str], first_number: int = 1, default_actor: str | None = None,
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
                pendings.extend(cast("list[Pending]", built))
                continue
        else:
            built = [None if i in refused else build(e, n)
                     for i, (e, n) in enumerate(zip(envelopes, numbers, strict=True))]
        for pending, number in zip(built, numbers, strict=True):
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


def validate_lines_one_by_one(lines: list[bytes | str], first_number: int = 1, default_actor: str | None = None,
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


def _one_line(line: bytes | str, number: int, default_actor: str | None) -> tuple[Pending | None, list[FieldError]]:
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


def _chunk_check(envelopes: list[Any]) -> set[int] | None:
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
            again = {rest[cast(int, loc[0])] for loc in where}
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


def _without_none(annotation: Any) -> Any | None:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if typing.get_origin(annotation) in (Union, types.UnionType) and len(args) == 1 else None


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
            "type": Literal[event_type.event_type],
            # (typing.Optional, not `X | None`: typed_dict_of reads typing.Union)
            "schema_version": Optional[Annotated[int, Ge(version), Le(version)]],
            "payload": payload,
            "metadata": Optional[metadata],
        })
        if member is None:
            return None
        members.append(member)
    if not members:
        return None
    union: Any = members[0] if len(members) == 1 else Annotated[
        Union[tuple(members)], Field(discriminator="type")]
    list_of: Any = list.__class_getitem__(union)  # list[union], with a union built at run time
    return TypeAdapter(list_of).validator  # (pydantic-core's SchemaValidator)


def _fast_builder(default_actor: str | None) -> Callable[[dict[str, Any], int], Pending | None]:
    """The lean loop's body: an envelope the chunk check accepted to its pending event (None: ask the per-line path).

    Does what pending_from_envelope does for such an envelope, without the checks the chunk check has made.
    """
    _chunk_validator()
    info = _CHUNK["info"]
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    parts = envelope_parts  # the one encoder (ledger.canonical)
    new, cls = tuple.__new__, Pending
    own_by_type: dict[tuple[str, str], tuple[str, ...]] = {}

    def own_fields(type_name: str, kind: str) -> tuple[str, ...]:
        """The own-id fields (OWN_ID_FIELDS) a type has on a stream of this kind, looked up once per pair."""
        found = own_by_type.get((type_name, kind))
        if found is None:
            found = own_by_type[(type_name, kind)] = tuple(
                n for n in OWN_ID_FIELDS.get(kind, ()) if n in REGISTRY[type_name].model_fields)
        return found

    def build(envelope: dict[str, Any], number: int) -> Pending | None:
        get = envelope.get
        type_name, stream = envelope["type"], envelope["stream"]
        effective, payload = envelope["effective_date"], envelope["payload"]
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
        if not key:
            key = fact_key(stream, type_name, schema_version, effective, payload_json)
        head, middle = parts(stream, type_name, schema_version, effective, payload_json, metadata_json, key)
        return new(cls, (stream, type_name, schema_version, effective, payload_json, metadata_json, key, head, middle,
                         recorded_at, version, position, prev_hash, hash_, f"line {number}"))

    return build
