"""How the CLI speaks: JSON for machines, tables for people, CSV and XLSX for spreadsheets, errors to stderr.

A query prints through `table` and `emit_json` only. Which of the four forms comes out is chosen once, by the
`--format` / `-o` options (cli/params.py `output_options`), and kept in the click context for the command's run:
the command itself never knows. docs/outputs.md says what each form holds and why.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ledger.clock import format_recorded_at

if TYPE_CHECKING:
    from ledger.store import EventStore

FORMATS = ("table", "csv", "xlsx", "json")


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
    """The JSON a query answers with (to stdout, or to the `-o` file: the run sends stdout there)."""
    click.echo(dumps(value))


def console() -> Console:
    """Full width on a terminal; wide enough not to truncate ids when piped."""
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 240)


# --- what a column holds ------------------------------------------------------------------------------------------

MONEY, UNITS, POINTS, RATE, COUNT, DATE, TIMESTAMP, TEXT = (
    "money", "units", "points", "rate", "count", "date", "timestamp", "text")
NUMBERS = (MONEY, UNITS, POINTS, RATE, COUNT)

# Whole names first (a column's header, or a figure's name in a figure/value table: lower case, spaces and dashes
# as underscores; a dotted name by its longest known ending); then the words its last part contains, in this order.
KIND_OF_NAME: dict[str, str] = {
    **dict.fromkeys((
        "position", "version", "count", "members", "months", "month", "year", "years", "lines", "matched",
        "ignored", "order", "events", "written", "annual_fee_count", "months_in_arrears", "members_in_arrears",
        "broken_arrangements", "reversed_position", "reversal_position", "head_position", "instalments_due",
        "instalments_received", "shares", "term_months", "notice_days", "mortgage_years_posted",
        "minimum_tenure_years"), COUNT),
    **dict.fromkeys(("units", "clt", "financed", "total", "units.member"), UNITS),  # (a holder's units, not an id)
    **dict.fromkeys(("opening", "consumed", "earned", "closing"), POINTS),  # (the points curve's columns)
    **dict.fromkeys((
        "factor", "rate", "index", "payment_rate", "indexation", "appreciation_cap", "formula_in_force.deduction",
        "resale_formula.deduction", "setup_fee_rate", "annual_fee_rate", "share_deposit_rate"), RATE),
    **dict.fromkeys((
        "0_30_days", "31_60_days", "61_90_days", "90+_days", "debt_added_for_units", "top_up_loans"), MONEY),
    **dict.fromkeys((
        "as_of", "on", "from", "to", "booked", "booked_date", "admitted", "admitted_on", "left", "left_on",
        "agreed_on", "start", "end", "recorded_through", "effective_date", "statement_balance_date",
        "opening_balance_date", "due", "due_date", "granted_on", "disbursed_on"), DATE),
    **dict.fromkeys(("recorded_at", "recorded", "taken", "as_known_at"), TIMESTAMP),
    "member": TEXT, "account": TEXT, "account_id": TEXT, "accounts": COUNT,  # (not "count" in "account")
}
KIND_BY_WORD: tuple[tuple[str, str], ...] = (
    ("points", POINTS), ("units", UNITS), ("count", COUNT), ("position", COUNT),
    *((word, RATE) for word in ("rate", "factor", "multiple", "fraction", "percent")),
    ("_date", DATE), ("_on", DATE),
    *((word, MONEY) for word in (
        "amount", "balance", "debt", "value", "reserve", "saving", "outstanding", "liquidity", "equity", "payout",
        "charge", "instalment", "fee", "deposit", "paid", "required", "arrears", "capital", "price", "income",
        "expense", "total", "written_off", "locked", "free", "payment", "principal", "repaid", "due", "received",
        "withdraw", "release", "interest", "credit", "dividend", "gross", "growth", "deduction", "difference",
        "held", "flows", "disbursed", "shares_", "cost", "refund", "salary", "debit", "surplus", "deficit")),
)
# A table whose first column is one of these lists one figure a row: each row's figure names its kind.
ROW_LABELS = {"figure", "field", "row"}


def _key(name: str) -> str:
    """A name as the maps spell it: lower case, spaces and dashes as underscores, dots kept."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower()).strip("_* ")


def _kind_of_part(part: str) -> str | None:
    if part in KIND_OF_NAME:
        return KIND_OF_NAME[part]
    for word, kind in KIND_BY_WORD:
        if word in part:
            return kind
    return None


@functools.lru_cache(maxsize=4096)
def kind_of(name: str) -> str:
    """What a column (or a figure) named `name` holds: money, units, points, rate, count, date, timestamp or
    text. A dotted figure (`payout_detail.deposit`) is known by its longest known ending, else by its last part's
    words, else (a mapping by id or kind: `share_capital_by_society.riverside`, `charges.insurance`) by its
    parent's. A name the maps do not know is text: shown as given, never taken for an amount."""
    parts = _key(name).split(".")
    for start in range(len(parts)):
        if ".".join(parts[start:]) in KIND_OF_NAME:
            return KIND_OF_NAME[".".join(parts[start:])]
    found = _kind_of_part(parts[-1])
    if found is None and len(parts) > 1:
        found = _kind_of_part(parts[-2])
    return found or TEXT


_NUMBER = re.compile(r"-?£?-?[0-9]+(\.[0-9]+)?")


def as_decimal(value: Any) -> Decimal | None:
    """The exact Decimal a cell holds (a Decimal, an int, or its text, with or without a £), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip().replace("£", "")
        try:
            return Decimal("-" + text.replace("-", "") if text.count("-") else text)
        except InvalidOperation:  # pragma: no cover - the pattern lets through only numbers
            return None
    return None


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def decimal_places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def money_for_people(amount: Decimal) -> str:
    """£1,234.56 in en_GB: at least two places, and every place the figure has (never rounded here)."""
    from babel.numbers import format_currency

    pattern = "¤#,##0." + "0" * max(2, decimal_places(amount))
    return format_currency(amount, "GBP", format=pattern, locale="en_GB", currency_digits=False)


def number_for_people(amount: Decimal) -> str:
    """1,234.5678 in en_GB: grouped, with exactly the places the figure has."""
    from babel.numbers import format_decimal

    places = decimal_places(amount)
    return format_decimal(amount, format="#,##0" + ("." + "0" * places if places else ""), locale="en_GB")


def money_for_machines(amount: Decimal) -> str:
    """1234.56: no £, no separators, at least two places, and every place the figure has."""
    return format(amount.quantize(Decimal(1).scaleb(-max(2, decimal_places(amount)))), "f")


# --- where the output goes ----------------------------------------------------------------------------------------


@dataclass
class Captured:
    """A table a command printed, kept as it was given (raw values) for a CSV or XLSX."""

    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Output:
    """The form chosen for this run and, for CSV and XLSX, the tables and text the command printed."""

    format: str = "table"
    path: Path | None = None
    as_known_at: datetime | None = None
    command: str = ""
    tables: list[Captured] = field(default_factory=list)
    printed: io.StringIO = field(default_factory=io.StringIO)

    @property
    def captures(self) -> bool:
        return self.format in ("csv", "xlsx")


KEY = "mutual.output"


def current() -> Output:
    """The output of the command running now (a plain table when no option chose one)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.meta.get(KEY) if ctx is not None else None
    return found if isinstance(found, Output) else Output()


@contextlib.contextmanager
def output_to(out: Output) -> Iterator[None]:
    """Run a query with its output going where `out` says: tables captured and written as CSV / XLSX when the
    command ends (also when it ends with a non-zero exit, as `audit` does on a discrepancy), or its printed
    text sent to the `-o` file."""
    ctx = click.get_current_context()
    ctx.meta[KEY] = out
    try:
        if out.captures:
            try:
                with contextlib.redirect_stdout(out.printed):
                    yield
            except SystemExit:
                _write(out, ctx)
                raise
            _write(out, ctx)
        else:
            with contextlib.ExitStack() as stack:
                if out.path is not None:
                    stack.enter_context(contextlib.redirect_stdout(stack.enter_context(_open_for_text(out.path))))
                yield
                if out.format == "table" and out.tables:
                    _name_head(ctx, out)
    finally:
        ctx.meta.pop(KEY, None)


@contextlib.contextmanager
def _open_for_text(path: Path) -> Iterator[io.TextIOWrapper]:
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        from ledger.errors import LedgerError

        raise LedgerError(f"-o/--output: cannot write {path} ({exc.strerror})") from None
    with handle:
        yield handle


def _name_head(ctx: click.Context, out: Output) -> None:
    head = chain_head(ctx, out.as_known_at)
    if head is not None:
        click.echo(f"drawn from chain head {head[0]} {head[1]}"
                   + (f" as known at {format_recorded_at(out.as_known_at)}" if out.as_known_at else ""))


def chain_head(ctx: click.Context, as_known_at: datetime | None) -> tuple[int, str] | None:
    """The position and hash of the last event recorded by `as_known_at` (now when None), as `mutual audit prove`
    takes them; None when the command read no ledger (a quote on the policy's terms alone)."""
    obj = ctx.find_root().obj
    if obj is None or "store" not in vars(obj):  # (Context.store is opened only by a command that reads)
        return None
    return head_known_at(obj.store, as_known_at)


def head_known_at(store: EventStore, as_known_at: datetime | None) -> tuple[int, str]:
    from projections.head import head_known_at as known

    head = known(store, as_known_at)
    return head.position, head.hash


def _write(out: Output, ctx: click.Context) -> None:
    from cli import spreadsheet

    head = chain_head(ctx, out.as_known_at)
    printed = [line for line in out.printed.getvalue().splitlines() if line.strip()]
    if out.format == "csv":
        spreadsheet.write_csv(out, head, printed)
    else:
        spreadsheet.write_xlsx(out, head, printed)


# --- tables -------------------------------------------------------------------------------------------------------


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table: on the terminal, amounts in en_GB (£1,234.56) and every cell and the title text, never markup
    (rich would take a reference's or a pattern's `[...]` for markup and drop it); kept as given for a CSV or
    XLSX."""
    out = current()
    if out.captures:
        out.tables.append(Captured(title, list(columns), [list(row) for row in rows]))
        return
    out.tables.append(Captured(title, list(columns), []))
    t = Table(title=escape(title), show_lines=False)
    by_row = bool(columns) and _key(columns[0]) in ROW_LABELS
    for number, (name, kind) in enumerate(zip(columns, cell_kinds(columns, ()), strict=True)):
        right = kind in NUMBERS or name.lower() in NUMERIC or (by_row and number > 0)
        t.add_column(name, justify="right" if right else "left")
    for row in rows:
        t.add_row(*[_cell(v, k) for v, k in zip(row, cell_kinds(columns, row), strict=False)])
    console().print(t)


NUMERIC = {"position", "version", "units", "value", "amount", "debt", "balance", "points", "count"}


def cell_kinds(columns: Sequence[str], row: Sequence[Any]) -> list[str]:
    """The kind of each cell of a row: by its column, or by the row's figure in a figure/value table."""
    if columns and _key(columns[0]) in ROW_LABELS and row:
        kinds = [TEXT, *[kind_of(str(row[0]))] * (len(row) - 1)]
    else:
        kinds = [kind_of(name) for name in columns]
    # an amount is a Decimal or its text, never a Python int: an int under a money name is a count of them
    return [COUNT if kind == MONEY and type(value) is int else kind
            for kind, value in itertools.zip_longest(kinds, row, fillvalue=None) if kind is not None]


def _cell(value: Any, kind: str = TEXT) -> str:
    if value is None:
        return ""
    if kind in (MONEY, UNITS, POINTS):
        amount = as_decimal(value)
        if amount is not None:
            return money_for_people(amount) if kind == MONEY else number_for_people(amount)
    if isinstance(value, (Decimal, date, datetime)):
        return str(_default(value))
    return escape(str(value))


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
