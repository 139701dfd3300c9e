"""Acceptance checks compiled from the event models.

pydantic stays the authority: a check compiled here only ever says
"certainly valid" or "ask pydantic", and property tests hold each to never
accepting what pydantic refuses. Two kinds:

- `typed_dict_of(model)`: a TypedDict that pydantic-core validates exactly as
  the model (same annotations and constraints, strict, unknown keys
  refused), for checking a whole import chunk in one native call
  (`ledger.store.mapper`). Validating into plain dicts is cheaper than
  building a model instance per event.
- `quick_check(model)`: a plain-Python check for one payload at a time (a
  command recording a few events), used only for models whose every field
  it understands.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, NotRequired, Optional, Union

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from typing_extensions import TypedDict

from ledger.events.types import EventDate, for_python, whole

Check = Callable[[Any], bool]
_CACHE: dict[type, Optional[Callable[[dict[str, Any]], bool]]] = {}


def _search(pattern: str | re.Pattern[str]) -> Optional[Callable[[str], Any]]:
    """pydantic-core's pattern semantics in Python's re: a search, Rust's `\\z` read as Python's `\\Z`.

    None (no quick check: ask pydantic) for a pattern ending in `$`, which Python would also match before a final
    newline; every pattern in the models is `whole(body)` (tests/unit/test_patterns.py).
    """
    if not isinstance(pattern, str):
        return None  # a compiled pattern: pydantic validates it with Python's re itself
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        return None
    return re.compile(for_python(pattern)).search


def _string_check(constraints: list[Any]) -> Optional[Check]:
    pattern: Optional[Callable[[str], Any]] = None
    low: Optional[int] = None
    high: Optional[int] = None
    after: list[Callable[..., Any]] = []
    for item in constraints:
        if isinstance(item, StringConstraints):
            if item.strip_whitespace or item.to_upper or item.to_lower:
                return None
            pattern = _search(item.pattern) if item.pattern else None
            if item.pattern and pattern is None:
                return None
            low, high = item.min_length, item.max_length
        elif isinstance(item, AfterValidator):
            after.append(item.func)
        else:
            return None

    if pattern is not None and low is None and high is None and not after:
        return lambda value: type(value) is str and pattern(value) is not None  # the common case, kept lean

    def check(value: Any) -> bool:
        if type(value) is not str:
            return False
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            return False
        if pattern is not None and pattern(value) is None:
            return False
        try:
            for func in after:
                func(value)
        except (ValueError, ArithmeticError):
            return False
        return True

    return check


def _int_check(constraints: list[Any]) -> Optional[Check]:
    bounds: list[Callable[..., bool]] = []
    for item in constraints:
        if isinstance(item, Ge):
            bounds.append(lambda v, x=item.ge: v >= x)
        elif isinstance(item, Le):
            bounds.append(lambda v, x=item.le: v <= x)
        elif isinstance(item, Gt):
            bounds.append(lambda v, x=item.gt: v > x)
        elif isinstance(item, Lt):
            bounds.append(lambda v, x=item.lt: v < x)
        else:
            return None
    return lambda value: type(value) is int and all(b(value) for b in bounds)


def _check_for(annotation: Any, constraints: list[Any]) -> Optional[Check]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _check_for(base, list(extra) + constraints)
    if origin is Union:
        args = typing.get_args(annotation)
        if len(args) == 2 and type(None) in args and not constraints:
            inner = _check_for(next(a for a in args if a is not type(None)), [])
            return None if inner is None else (lambda v: v is None or inner(v))
        return None
    if origin is Literal:
        values = typing.get_args(annotation)
        if constraints or not all(type(v) is str for v in values):
            return None
        allowed = frozenset(values)
        return lambda v: type(v) is str and v in allowed
    if annotation is str:
        return _string_check(constraints)
    if annotation is int:
        return _int_check(constraints)
    if annotation is bool and not constraints:
        return lambda v: type(v) is bool
    return None


def quick_check(model: type[BaseModel]) -> Optional[Callable[[dict[str, Any]], bool]]:
    """A function that returns True only for payloads the model certainly accepts (None: no quick check)."""
    if model in _CACHE:
        return _CACHE[model]
    checks: dict[str, Check] = {}
    for name, info in model.model_fields.items():
        check = _check_for(info.annotation, list(info.metadata))
        if check is None:
            _CACHE[model] = None
            return None
        checks[name] = check
    required = frozenset(n for n, i in model.model_fields.items() if i.is_required())
    check_of = checks.get

    def accept(payload: dict[str, Any]) -> bool:
        if not required <= payload.keys():
            return False
        for name, value in payload.items():
            check = check_of(name)
            if check is None or not check(value):
                return False
        return True

    _CACHE[model] = accept
    return accept


_STRICT = ConfigDict(strict=True, extra="forbid")
# Model settings that do not change what validates (anything else: the model is not translated).
_INERT_CONFIG = frozenset({"strict", "extra", "frozen", "title", "json_schema_extra", "use_attribute_docstrings"})

# A real calendar date from 1900 to 2199, in one pattern: the language of EventDate's pattern
# less the days its after-validator refuses (Feb 29 of a non-leap year, Feb 30-31, the 31st of a
# 30-day month), so pydantic-core checks it natively instead of calling back into Python.
# tests/unit/test_chunk_check.py compares the two on every string EventDate's pattern admits.
CALENDAR_DATE = whole(
    r"(?:(?:19|20|21)[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:20(?:[02468][048]|[13579][26])|(?:19|21)(?:0[48]|[2468][048]|[13579][26]))-02-29)"
)
NATIVE: dict[Any, Any] = {EventDate: Annotated[str, StringConstraints(pattern=CALENDAR_DATE)]}


def native(annotation: Any) -> Any:
    """The annotation with each type that has an exact native equivalent (NATIVE) replaced by it."""
    if annotation in NATIVE:
        return NATIVE[annotation]
    if typing.get_origin(annotation) is Union:
        args = typing.get_args(annotation)
        if any(a in NATIVE for a in args):
            return Union[tuple(NATIVE.get(a, a) for a in args)]
    return annotation


def field_annotation(info: Any) -> Any:
    """A model field's type with its constraints, as one annotation (what pydantic validates it against)."""
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def typed_dict_of(model: type[BaseModel], name: Optional[str] = None,
                  replace: Optional[dict[str, Any]] = None) -> Optional[type]:
    """A TypedDict that pydantic validates exactly as `model` (None: the model has something it cannot carry).

    Same field annotations and constraints, strict, unknown keys refused; a
    field with a default is NotRequired (the canonical payload adds defaults
    itself). Types with an exact native equivalent (NATIVE) are swapped for
    it. `replace` swaps some fields' annotations for others, which must be
    narrower (the caller's business; its property tests check it). Models
    with validators, aliases, default factories, validated defaults, a
    post-init or settings beyond strict / extra="forbid" are not translated:
    validate those with the model itself.
    """
    config = model.model_config
    if config.get("strict") is not True or config.get("extra") != "forbid" or not config.keys() <= _INERT_CONFIG:
        return None
    decorators = model.__pydantic_decorators__
    if (model.__pydantic_post_init__ or decorators.validators or decorators.field_validators
            or decorators.root_validators or decorators.model_validators):
        return None
    replace = replace or {}
    fields: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if (info.alias or info.validation_alias or info.discriminator or info.default_factory is not None
                or info.validate_default):
            return None
        annotation = native(replace[field] if field in replace else field_annotation(info))
        fields[field] = annotation if info.is_required() else NotRequired[annotation]
    cls = TypedDict(name or f"{model.__name__}Dict", fields)  # type: ignore[misc]  # built at run time
    cls.__pydantic_config__ = _STRICT  # type: ignore[attr-defined]  # pydantic reads it
    return cls
