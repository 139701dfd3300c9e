"""A query's tables as CSV (for machines: one header row, plain decimals) and XLSX (for an accountant: numbers
that sum, in £, dates as dates, and a sheet that names the chain head the figures were drawn from).
docs/outputs.md says why each choice."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from cli.output import (
    COUNT,
    DATE,
    MONEY,
    NUMBERS,
    TIMESTAMP,
    Captured,
    Output,
    as_date,
    as_decimal,
    cell_kinds,
    decimal_places,
    money_for_machines,
)
from ledger.clock import format_recorded_at
from ledger.errors import LedgerError

# --- CSV ----------------------------------------------------------------------------------------------------------


def csv_cell(value: Any, kind: str, *, guard: bool = True) -> str:
    """A cell as a machine reads it: an amount 1234.56 (no £, no separators, at least two places, never rounded),
    other numbers as the books hold them, dates ISO, recorded times as the log spells them; text guarded."""
    if value is None:
        return ""
    if kind in NUMBERS:
        amount = as_decimal(value)
        if amount is not None:
            return money_for_machines(amount) if kind == MONEY else format(amount, "f")
    if isinstance(value, datetime):
        return format_recorded_at(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return guarded(str(value)) if guard else str(value)


def guarded(text: str) -> str:
    """Text a spreadsheet would run as a formula (a payer's name or a reference from a bank statement may start
    with =, +, -, @) gets a leading ' so that it is shown, never run; a number is left as it is."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and as_decimal(text) is None:
        return "'" + text
    return text


def csv_rows(captured: Captured) -> list[list[str]]:
    rows = [list(captured.columns)]
    for row in captured.rows:
        rows.append([csv_cell(v, k) for v, k in zip(row, cell_kinds(captured.columns, row), strict=False)])
    return rows


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "table"


def write_csv(out: Output, head: tuple[int, str] | None, printed: list[str]) -> None:
    """The first table to the file (or stdout); each further table beside the file as STEM-TITLE.csv (on stdout
    there is room for one table: the others are named on stderr). What the command printed besides its tables,
    and the chain head, go to stderr."""
    tables = out.tables
    sys.stdout.flush()
    for line in printed:
        click.echo(line, err=True)
    if out.path is None:
        if tables:
            _csv_to(sys.stdout, tables[0])
        for other in tables[1:]:
            click.echo(f"not written: the table {other.title!r} (give -o FILE.csv to write each table)", err=True)
    else:
        _csv_file(out.path, tables[0] if tables else None)
        for number, other in enumerate(tables[1:], start=2):
            path = out.path.with_name(f"{out.path.stem}-{number}-{_slug(other.title)}{out.path.suffix or '.csv'}")
            _csv_file(path, other)
            click.echo(f"wrote {path}", err=True)
    if not tables:
        click.echo("no table to write: the command printed none", err=True)
    _say_head(out, head)


def _csv_to(stream: Any, captured: Captured) -> None:
    csv.writer(stream, lineterminator="\r\n").writerows(csv_rows(captured))


def _csv_file(path: Path, captured: Captured | None) -> None:
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            if captured is not None:
                _csv_to(handle, captured)
    except OSError as exc:
        raise LedgerError(f"-o/--output: cannot write {path} ({exc.strerror})") from None


def _say_head(out: Output, head: tuple[int, str] | None) -> None:
    if head is not None:
        known = f" as known at {format_recorded_at(out.as_known_at)}" if out.as_known_at else ""
        click.echo(f"drawn from chain head {head[0]} {head[1]}{known}", err=True)


# --- XLSX ---------------------------------------------------------------------------------------------------------

SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\']")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = SHEET_NAME_BAD.sub(" ", title).strip()[:28] or "table"
    name, number = base, 2
    while name.lower() in taken:
        name, number = f"{base[:26]} {number}", number + 1
    taken.add(name.lower())
    return name


def _as_float(amount: Decimal) -> float | None:
    """The float a spreadsheet cell holds, when it reads back as exactly `amount` (amounts to the penny up to
    ten thousand billion pounds do); None when it would not."""
    number = float(amount)
    return number if Decimal(repr(number)) == amount else None


def _number_format(kind: str, places: int) -> str:
    decimals = ("." + "0" * places) if places else ""
    if kind == MONEY:
        pattern = "£#,##0" + ("." + "0" * max(2, places))
        return f"{pattern};-{pattern}"
    if kind == COUNT:
        return "0" + decimals
    return "#,##0" + decimals


class _Book:
    """One workbook: its formats made once each."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.path = path
        self.book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                                    "strings_to_urls": False})
        self.bold = self.book.add_format({"bold": True, "bottom": 1})
        self.date = self.book.add_format({"num_format": "dd/mm/yyyy"})
        self.timestamp = self.book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})
        self.formats: dict[str, Any] = {}
        self.taken: set[str] = set()

    def number(self, pattern: str) -> Any:
        if pattern not in self.formats:
            self.formats[pattern] = self.book.add_format({"num_format": pattern})
        return self.formats[pattern]

    def sheet(self, captured: Captured) -> None:
        sheet = self.book.add_worksheet(_sheet_name(captured.title, self.taken))
        widths = [len(str(c)) for c in captured.columns]
        for column, name in enumerate(captured.columns):
            sheet.write_string(0, column, str(name), self.bold)
        for number, row in enumerate(captured.rows, start=1):
            for column, (value, kind) in enumerate(zip(row, cell_kinds(captured.columns, row), strict=False)):
                shown = self.cell(sheet, number, column, value, kind)
                if column < len(widths):
                    widths[column] = max(widths[column], len(shown))
                else:
                    widths.append(len(shown))
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(max(width + 2, 8), 60))
        sheet.freeze_panes(1, 0)

    def cell(self, sheet: Any, row: int, column: int, value: Any, kind: str) -> str:
        """Write one cell; the text it shows (for the column's width)."""
        if value is None:
            return ""
        if kind in NUMBERS:
            amount = as_decimal(value)
            if amount is not None:
                pattern = _number_format(kind, decimal_places(amount))
                number = _as_float(amount)
                if number is not None:
                    sheet.write_number(row, column, number, self.number(pattern))
                else:  # more digits than a spreadsheet number holds: the exact text, said so
                    sheet.write_string(row, column, format(amount, "f"))
                    sheet.write_comment(row, column, "exact figure kept as text: more digits than a spreadsheet "
                                                     "number holds")
                return "£" + format(amount, ",f")
        if kind == DATE:
            day = as_date(value)
            if day is not None:
                sheet.write_datetime(row, column, datetime.combine(day, time()), self.date)
                return "00/00/0000"
        if kind == TIMESTAMP and isinstance(value, datetime):
            sheet.write_datetime(row, column, value.replace(tzinfo=None), self.timestamp)
            return "00/00/0000 00:00:00"
        text = csv_cell(value, "text", guard=False)  # (a string cell is never run as a formula)
        sheet.write_string(row, column, text)
        return text

    def about(self, out: Output, head: tuple[int, str] | None, printed: Sequence[str]) -> None:
        sheet = self.book.add_worksheet(_sheet_name("about", self.taken))
        rows: list[tuple[str, str]] = [("what", t.title) for t in out.tables]
        rows += [("command", out.command)]
        if head is not None:
            rows += [("chain head position", str(head[0])), ("chain head hash", head[1])]
        rows += [("as known at", format_recorded_at(out.as_known_at) if out.as_known_at else "now (when drawn)")]
        rows += [("printed", line) for line in printed]
        sheet.write_string(0, 0, "about", self.bold)
        sheet.write_string(0, 1, "value", self.bold)
        for number, (name, value) in enumerate(rows, start=1):
            sheet.write_string(number, 0, name)
            if name == "chain head position":
                sheet.write_number(number, 1, int(value), self.number("0"))
            else:
                sheet.write_string(number, 1, value)
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, 1, min(max([len(v) for _, v in rows] + [10]) + 2, 100))

    def close(self) -> None:
        try:
            self.book.close()
        except Exception as exc:  # xlsxwriter wraps the OSError of a file it cannot write
            reason = getattr(exc, "strerror", None) or str(exc)
            raise LedgerError(f"-o/--output: cannot write {self.path} ({reason})") from None


def write_xlsx(out: Output, head: tuple[int, str] | None, printed: list[str]) -> None:
    """A sheet per table (a bold header row, fitted widths), then `about`: the title, the command, the chain head
    and the as-known-at time, and whatever the command printed besides its tables."""
    assert out.path is not None, "an XLSX needs a file (refused by the option)"
    book = _Book(out.path)
    for captured in out.tables:
        book.sheet(captured)
    book.about(out, head, printed)
    book.close()
    for line in printed:
        click.echo(line, err=True)
    click.echo(f"wrote {out.path}", err=True)
    _say_head(out, head)
