"""Quick acceptance checks compiled from the event models, for bulk import.

pydantic stays the authority: a quick check only ever says "certainly
valid" or "ask pydantic". It is built from the same field constraints
(patterns, lengths, bounds, literals, after-validators) and is used only
for models whose every field it understands; anything else goes straight
to pydantic. A property test holds it to never accepting what pydantic
refuses.
"""

from __future__ import annotations

import re
import typing
from typing import Any, Callable, Literal, Optional, Union

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AfterValidator, BaseModel, StringConstraints

Check = Callable[[Any], bool]
_CACHE: dict[type, Optional[Callable[[dict], bool]]] = {}


def _search(pattern: str) -> Callable[[str], Any]:
    """pydantic-core's pattern semantics in Python's re: a search, and `$` only at the very end.

    (Python's `$` also matches before a final newline; Rust's does not, hence \\Z.)
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern).search


def _string_check(constraints: list[Any]) -> Optional[Check]:
    pattern, low, high, after = None, None, None, []
    for item in constraints:
        if isinstance(item, StringConstraints):
            if item.strip_whitespace or item.to_upper or item.to_lower:
                return None
            pattern = _search(item.pattern) if item.pattern else None
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
        if low is not None and len(value) < low or high is not None and len(value) > high:
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
    bounds = []
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


def quick_check(model: type[BaseModel]) -> Optional[Callable[[dict], bool]]:
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

    def accept(payload: dict) -> bool:
        if not required <= payload.keys():
            return False
        for name, value in payload.items():
            check = check_of(name)
            if check is None or not check(value):
                return False
        return True

    _CACHE[model] = accept
    return accept
