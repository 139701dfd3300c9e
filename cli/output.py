"""How the CLI speaks: JSON for machines, rich tables for people, errors to stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ledger.clock import format_recorded_at


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_recorded_at(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"cannot show {type(value).__name__} as JSON")


def dumps(value: Any, *, indent: bool = True) -> str:
    """Deterministic JSON: sorted keys, decimals as strings, same bytes on every engine."""
    option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(value, default=_default, option=option).decode()


def emit_json(value: Any) -> None:
    click.echo(dumps(value))


def console() -> Console:
    """Full width on a terminal; wide enough not to truncate ids when piped."""
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 240)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table on the terminal; every cell and the title are text, never markup (rich would take a reference's or a
    pattern's `[...]` for markup and drop it)."""
    t = Table(title=escape(title), show_lines=False)
    for name in columns:
        t.add_column(name, justify="right" if name.lower() in NUMERIC else "left")
    for row in rows:
        t.add_row(*[_cell(v) for v in row])
    console().print(t)


NUMERIC = {"position", "version", "units", "value", "amount", "debt", "balance", "points", "count"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (Decimal, date, datetime)):
        return _default(value)
    return escape(str(value))


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
