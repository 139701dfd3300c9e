"""Every pattern matches the whole string (issue #10, item 8).

Python's `$` also matches before a final newline, so `re.match(r"^...$", "k1\\n")` succeeds: that is how a key
ending in a newline got into a log. Patterns are matched in Python only with `fullmatch` (or end in `\\Z`), and
the patterns given to pydantic-core are `whole(body)`: `\\A(?:body)\\z`, Rust's end of text. This test scans the
code for anything else and checks every pattern the models and the import carry.
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from ledger.canonical import canonical_json, envelope_parts, envelope_text
from ledger.events import REGISTRY
from ledger.events.fund import AccountKind
from ledger.money import MoneyError, parse_money
from ledger.store.mapper import _EnvelopeIn, _MetadataIn, _chunk_validator, date_text

ROOT = Path(__file__).resolve().parents[2]
CODE = [p for folder in ("ledger", "cli", "projections", "benchmarks", "examples") for p in (ROOT / folder).rglob("*.py")]
# Where a search is the point: pydantic-core's semantics (a search) for patterns anchored by \A and \z -> \Z.
SEARCH_ALLOWED = {("ledger/events/fastcheck.py", "_search")}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _enclosing(tree: ast.AST) -> dict[ast.AST, str]:
    owner: dict[ast.AST, str] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                owner.setdefault(node, fn.name)
    return owner


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_matches_only_whole_strings(path):
    tree = ast.parse(path.read_text())
    owner = _enclosing(tree)
    where = str(path.relative_to(ROOT))
    problems = []
    for call in _calls(tree):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("match", "search") and (where, owner.get(call, "")) not in SEARCH_ALLOWED:
            problems.append(f"line {call.lineno}: .{name}( (use fullmatch)")
        patterns = [a for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        patterns += [k.value for k in call.keywords if k.arg == "pattern" and isinstance(k.value, ast.Constant)]
        for constant in patterns:
            text = constant.value
            if name in ("compile", "fullmatch", "match", "search", "StringConstraints", "Field", "constr", "whole") \
                    and (text.endswith("$") and not text.endswith("\\$") or text.startswith("^")):
                problems.append(f"line {constant.lineno}: pattern {text!r} anchored with ^/$ (use fullmatch or whole)")
    for node in ast.walk(tree):  # a `.search` or `.match` taken as a value (re.compile(...).match)
        if isinstance(node, ast.Attribute) and node.attr in ("match", "search") and not any(
                node is c.func for c in _calls(tree)) and (where, owner.get(node, "")) not in SEARCH_ALLOWED:
            problems.append(f"line {node.lineno}: .{node.attr} taken as a function (use fullmatch)")
    assert not problems, f"{where}: " + "; ".join(problems)


def _patterns(annotation, found: list[str]) -> None:
    for arg in typing.get_args(annotation):
        _patterns(arg, found)
    for item in getattr(annotation, "__metadata__", ()):
        if getattr(item, "pattern", None):
            found.append(item.pattern)


def _model_patterns(model: type[BaseModel]) -> list[str]:
    found: list[str] = []
    for info in model.model_fields.values():
        for item in info.metadata:
            if getattr(item, "pattern", None):
                found.append(item.pattern)
        _patterns(info.annotation, found)
    return found


MODELS = [*REGISTRY.values(), AccountKind, _EnvelopeIn, _MetadataIn]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_pattern_is_anchored_on_the_whole_text(model):
    for pattern in _model_patterns(model):
        assert pattern.startswith(r"\A") and pattern.endswith(r"\z"), (model.__name__, pattern)


def test_the_import_block_validator_is_built_from_whole_string_patterns():
    assert _chunk_validator() is not None  # (still compiled from _EnvelopeIn's stream pattern, now \A...\z)


@pytest.mark.parametrize("text", ["12.30\n", "12.30\r\n", "\n12.30", "12.30 "])
def test_money_text_with_a_trailing_new_line_is_not_money(text):
    with pytest.raises(MoneyError):
        parse_money(text)


def test_a_date_with_a_trailing_new_line_is_not_a_date():
    with pytest.raises(ValueError):
        date_text("2024-01-01\n")


@pytest.mark.parametrize("key", ["k1\n", "k\t1", "k\x01", 'k"1', "k\\1", "ké"])
def test_the_hashed_text_is_json_whatever_a_key_holds(key):
    """Defence in depth: the store never takes such a key, but the text it would hash is canonical JSON all the same."""
    fields = dict(stream="index-RPI", type="IndexValuePublished", schema_version=1, effective_date="2024-01-01",
                  payload_json='{"a":1}', metadata_json='{"actor":"a"}', idempotency_key=key)
    head, middle = envelope_parts(**fields)
    text = f'{head}1,"prev_hash":"{"0" * 64}","recorded_at":"2024-01-01T00:00:00.000000Z{middle}1}}'
    assert text == envelope_text(position=1, version=1, prev_hash="0" * 64, recorded_at="2024-01-01T00:00:00.000000Z",
                                 **fields)
    assert f'"idempotency_key":{canonical_json(key)}' in text
    assert re.fullmatch(r'\{.*\}', text) and "\n" not in text
