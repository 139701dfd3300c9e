"""Option types that refuse bad input with the option's name and the reason."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

import click

from ledger.clock import parse_recorded_at
from ledger.money import MoneyError, parse_money


class ISODate(click.ParamType):
    name = "date"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> date:
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            self.fail(f"{value!r} is not an ISO date (YYYY-MM-DD)", param, ctx)
        try:
            parsed = date.fromisoformat(value)
        except ValueError as exc:
            self.fail(f"{value!r} is not a real date ({exc})", param, ctx)
        if not 1900 <= parsed.year <= 2199:
            self.fail(f"{value!r} is outside the years 1900 to 2199", param, ctx)
        return parsed


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


class MoneyParam(click.ParamType):
    name = "amount"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            amount = parse_money(value)
        except MoneyError as exc:
            self.fail(f"{value!r} {exc}", param, ctx)
        if amount <= 0:
            self.fail(f"{value!r} must be more than zero", param, ctx)
        return amount


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
MONEY = MoneyParam()
DECIMAL = DecimalParam()
