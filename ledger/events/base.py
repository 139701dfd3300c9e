"""The base of every event schema, and the registry that maps type names to them.

Every event type is a frozen, strict pydantic model of its payload. The
envelope (stream, version, dates, hashes) is the store's business; the
payload is the fact itself. A class declares its `event_type`, current
`schema_version`, the stream kind it is written to, and upcasters that lift
a stored payload from older versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ledger.errors import FieldError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

REGISTRY: dict[str, type[EventPayload]] = {}


class EventPayload(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1
    stream_kinds: ClassVar[tuple[str, ...]] = ()
    # upcasters[n] lifts a payload from schema version n to n + 1.
    upcasters: ClassVar[dict[int, Upcaster]] = {}
    # older_versions[n] is the model of schema version n's payload: an upcaster checks an older payload against it
    # (so a refusal names the field), and docs/events.md shows it. Never registered: only the current one is.
    older_versions: ClassVar[dict[int, type[BaseModel]]] = {}
    # Optional fields added to the type after events of it were recorded, without a new schema version: the
    # canonical payload leaves them out when absent or null (instead of writing their default), so that every
    # event recorded before the field existed, and every file written then, keeps its canonical text, its
    # idempotency key and its hash. Each must default to None.
    added_fields: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event_type:
            if cls.event_type in REGISTRY:
                raise TypeError(f"event type {cls.event_type} registered twice")
            missing = [v for v in range(1, cls.schema_version) if v not in cls.upcasters]
            if missing:
                raise TypeError(f"{cls.event_type} lacks upcasters from versions {missing}")
            if set(cls.older_versions) - set(cls.upcasters):
                raise TypeError(f"{cls.event_type}: an older version's model without its upcaster")
            REGISTRY[cls.event_type] = cls

    @classmethod
    def version_of(cls, payload: object) -> int:
        """The schema version of a payload given without one: the current version, unless the type recognises
        the shape of an older one (so every file written before a new version keeps its meaning and its keys)."""
        return cls.schema_version

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name in cls.added_fields:  # (the fields are known only once pydantic has built the class)
            info = cls.model_fields.get(name)
            if info is None or info.is_required() or info.default is not None:
                raise TypeError(f"{cls.__name__}.{name}: an added field must be optional with default None")

    def to_json(self) -> dict[str, Any]:
        """The canonical payload (an added field left out when null)."""
        data = self.model_dump(mode="json")
        for name in self.added_fields:
            if data.get(name, 0) is None:
                del data[name]
        return data


class OlderPayload(BaseModel):
    """The payload of an older schema version of an event type, checked as strictly as a current one."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


def upcast(event_type: type[EventPayload], payload: dict[str, Any], from_version: int) -> dict[str, Any]:
    """Lift a stored payload to the current schema version."""
    for version in range(from_version, event_type.schema_version):
        payload = event_type.upcasters[version](payload)
    return payload


def field_errors(exc: ValidationError, prefix: str = "payload") -> list[FieldError]:
    """Turn pydantic's errors into FieldErrors naming the dotted field path and a plain reason."""
    from ledger.events.types import NO_NUL_REASON, PATTERN_REASONS

    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        name = f"{prefix}.{loc}" if loc else prefix
        message, kind, value = err["msg"], err["type"], err.get("input")
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if kind == "extra_forbidden":
            message = "is not a field of this event type"
        elif kind == "missing":
            message = "is required"
        elif kind == "string_pattern_mismatch" and isinstance(value, str) and "\x00" in value:
            message = NO_NUL_REASON  # whatever else the field's pattern asks, a NUL is never allowed
        elif kind == "string_pattern_mismatch":
            message = PATTERN_REASONS.get(err.get("ctx", {}).get("pattern", ""), message)
        elif kind == "string_type" and isinstance(value, float):
            message = "must be a decimal string such as \"12.34\", not a float"
        elif kind == "string_type" and isinstance(value, (int, bool)):
            message = "must be a string (amounts, rates and dates are written as strings, e.g. \"12.34\")"
        out.append(FieldError(name, message))
    return out


_DEFAULTS: dict[type, dict[str, Any]] = {}


def json_defaults(event_type: type[EventPayload]) -> dict[str, Any]:
    """The JSON values of a type's optional fields, so a canonical payload always names every field."""
    found = _DEFAULTS.get(event_type)
    if found is None:
        found = {name: info.default for name, info in event_type.model_fields.items()
                 if not info.is_required() and name not in event_type.added_fields}
        _DEFAULTS[event_type] = found
    return found
