"""What a command takes: option types that refuse bad input with the option's name and the reason, and the options
every query (`--as-of`, `--as-known-at`, `--json`) and every write (`--actor`, `--json`, `--prior-period`) shares."""

from __future__ import annotations

import functools
import getpass
import os
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal, Optional, TypeVar, cast

import click

from ledger.calendar import given_date
from ledger.clock import parse_recorded_at
from ledger.money import MoneyError, money_text, parse_money

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.source import StoreSource

F = TypeVar("F", bound=Callable[..., Any])


class ISODate(click.ParamType):
    name = "date"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> date:
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            self.fail(f"{value!r} is not an ISO date (YYYY-MM-DD)", param, ctx)
        try:
            return given_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Timestamp(click.ParamType):
    name = "timestamp"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                value = value + "T23:59:59.999999Z"
            return parse_recorded_at(value)
        except (ValueError, TypeError) as exc:
            self.fail(f"{value!r} is not an ISO-8601 UTC timestamp such as 2030-04-15T12:00:00Z ({exc})", param, ctx)


class AmountParam(click.ParamType):
    """Pounds and pence, as the events keep them (two places, so 660 and 660.00 are one fact): above zero, or zero
    allowed (a deposit, a price), or `signed`, below zero too (a reserve transfer out)."""

    name = "amount"

    def __init__(self, least: Literal["positive", "zero", "signed"] = "positive") -> None:
        self.least = least

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            amount = parse_money(value)
        except MoneyError as exc:
            self.fail(f"{value!r} {exc}", param, ctx)
        if amount <= 0 and self.least == "positive":
            self.fail(f"{value!r} must be more than zero", param, ctx)
        if amount < 0 and self.least == "zero":
            self.fail(f"{value!r} must not be below zero", param, ctx)
        return Decimal(money_text(amount))


MoneyParam = AmountParam  # (its older name)


class DecimalParam(click.ParamType):
    name = "decimal"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]{1,12})?", value):
            self.fail(f"{value!r} is not a plain decimal number", param, ctx)
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover
            self.fail(f"{value!r} is not a number", param, ctx)


class NumberParam(click.ParamType):
    """A plain decimal (a rate, a fraction, units), kept in its shortest form (0.330 and 0.33 are one fact)."""

    name = "decimal"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Decimal:
        number = DECIMAL.convert(value, param, ctx)
        return Decimal(format(number.normalize(), "f"))


class MonthParam(click.ParamType):
    """A month, YYYY-MM."""

    name = "month"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])", value):
            self.fail(f"{value!r} is not a month such as 2025-04 (YYYY-MM)", param, ctx)
        return value


class Position(click.ParamType):
    """A position in the log: 1 to 2^63 - 1, the largest a ledger can hold on either database (a larger one is
    refused here; SQLite cannot even be asked about it)."""

    name = "position"
    LARGEST = 2**63 - 1

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> int:
        try:
            number = value if isinstance(value, int) else int(value, 10)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a whole number", param, ctx)
        if not 1 <= number <= self.LARGEST:
            self.fail(f"{value!r} is not a position: positions run from 1 to {self.LARGEST}", param, ctx)
        return number


ISO_DATE = ISODate()
POSITION = Position()
TIMESTAMP = Timestamp()
MONEY = AmountParam()
AMOUNT = AmountParam("zero")
SIGNED_AMOUNT = AmountParam("signed")
DECIMAL = DecimalParam()
NUMBER = NumberParam()
MONTH = MonthParam()


class IdParam(click.ParamType):
    """An id as the events spell it: letters, digits and _ . : - (at most 64), so nothing odd reaches the database."""

    name = "id"
    pattern = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            self.fail(f"{value!r} is not an id (letters, digits and _ . : -, starting with a letter or digit)",
                      param, ctx)
        return value


ID = IdParam()

AS_OF_HELP = "Effective date of the figures (default: today)."
KNOWN_HELP = "Recorded time: the books as they stood then, as an earlier audit saw them (default: now)."


def query_options(f: F) -> F:
    """`--as-of`, `--as-known-at`, `--json`, `--format` and `-o`: every query answers for a date, as the books
    stood at a time, in the form asked for."""
    f = output_options(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print JSON (sorted keys, amounts as strings).")(f)
    f = click.option("--as-known-at", "as_known_at", type=TIMESTAMP, default=None, help=KNOWN_HELP)(f)
    f = click.option("--as-of", "as_of", type=ISO_DATE, default=None, help=AS_OF_HELP)(f)
    return f


FORMAT_HELP = ("table (for people: amounts as £1,234.56), csv (one header row, amounts 1234.56), xlsx (needs -o: "
               "numbers in £, dates as dates, and an `about` sheet naming the chain head) or json (as --json). "
               "Default: table, or what the -o file's name ends in.")
OUTPUT_HELP = "Write to FILE instead of the terminal (needed for xlsx; - is stdout)."
SUFFIX_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".txt": "table"}


def output_options(f: F) -> F:
    """`--format table|csv|xlsx|json` and `-o/--output FILE` for a command that takes `as_json` and prints through
    cli/output.py (`table`, `emit_json`): the command itself is unchanged; the form is kept in the click context for
    its run (cli/output.py `output_to`). `--format json` is `--json`. A command that declares its own `--format`
    or `-o` below this (a statement's html|pdf) keeps its own: it is left as it is."""
    own = {opt for param in getattr(f, "__click_params__", []) for opt in param.opts}
    if own & {"--format", "-o", "--output"}:
        return f

    @functools.wraps(f)
    def run(*args: Any, output_format: str | None = None, output_path: str | None = None, **kwargs: Any) -> Any:
        from pathlib import Path

        from cli.output import Output, output_to

        path = None if output_path in (None, "-") else Path(output_path)
        chosen = output_format or (SUFFIX_FORMATS.get(path.suffix.lower(), "table") if path else "table")
        if kwargs.get("as_json") and output_format not in (None, "json"):
            raise click.BadParameter(f"{output_format} cannot be given with --json (which is --format json)",
                                     param_hint="'--format'")
        if chosen == "xlsx" and path is None:
            raise click.BadParameter("xlsx is a file, not text for the terminal: give -o FILE.xlsx",
                                     param_hint="'--format' / '-o'")
        if chosen == "json":
            kwargs["as_json"] = True
        ctx = click.get_current_context()
        out = Output(format=chosen, path=path, as_known_at=kwargs.get("as_known_at"), command=ctx.command_path)
        with output_to(out):
            return f(*args, **kwargs)

    wrapped = click.option("-o", "--output", "output_path", metavar="FILE", default=None,
                           help=OUTPUT_HELP)(cast(F, run))
    return click.option("--format", "output_format", type=click.Choice(["table", "csv", "xlsx", "json"]),
                        default=None, help=FORMAT_HELP)(wrapped)


def write_options(f: F) -> F:
    """`--actor`, `--json` and `--prior-period REASON`: what every typed write command takes."""
    f = prior_period_option(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)
    f = click.option("--actor", default=None, help="Who records it (default: $MUTUAL_ACTOR or your user name).")(f)
    return f


def prior_period_option(f: F) -> F:
    """`--prior-period REASON`: record the command's events as prior-period adjustments (docs/audit.md), the one
    way into a closed period; the reason is kept with them."""

    @functools.wraps(f)
    def run(*args: Any, prior_period: str | None = None, **kwargs: Any) -> Any:
        if prior_period is None:
            return f(*args, **kwargs)
        if not prior_period.strip():
            raise click.BadParameter("needs a reason", param_hint="--prior-period")
        from ledger.periods import prior_period_adjustment

        with prior_period_adjustment(prior_period):
            return f(*args, **kwargs)

    return click.option("--prior-period", "prior_period", metavar="REASON", default=None,
                        help="Record it as a prior-period adjustment, with this reason (needed for a date inside a "
                             "closed period).")(cast(F, run))


def actor(value: str | None) -> str:
    """Who is recorded as the actor: --actor, else $MUTUAL_ACTOR, else the user's name. A blank --actor is refused
    (it once fell back silently to $MUTUAL_ACTOR: the clerk who typed it meant someone)."""
    if value is not None and not value.strip():
        from cli.output import fail

        fail("--actor: is blank: give the name of who records it, or leave --actor out")
    if value:
        return value
    try:
        found = os.environ.get("MUTUAL_ACTOR") or getpass.getuser()
    except Exception:  # pragma: no cover - no user database in a container
        return "unknown"
    if any("\udc80" <= ch <= "\udcff" for ch in found):  # bytes that are not UTF-8, as Python hands them on
        from cli.output import fail

        fail(f"--actor: the default actor {found.encode('utf-8', 'surrogateescape')!r} ($MUTUAL_ACTOR or your user "
             "name) is not valid UTF-8 text; give --actor")
    return found


def books(obj: Context, as_known_at: Optional[datetime]) -> StoreSource:
    """The books a query reads: the store as known at `as_known_at` (now when None)."""
    from ledger.source import StoreSource

    return StoreSource(obj.store, as_known_at=as_known_at)
