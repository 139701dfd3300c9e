"""Option types that refuse bad input with the option's name and the reason."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import click

from ledger.clock import parse_recorded_at
from ledger.money import MoneyError, parse_money


class ISODate(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
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

    def convert(self, value, param, ctx):
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

    def convert(self, value, param, ctx):
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

    def convert(self, value, param, ctx):
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]{1,12})?", value):
            self.fail(f"{value!r} is not a plain decimal number", param, ctx)
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover
            self.fail(f"{value!r} is not a number", param, ctx)


ISO_DATE = ISODate()
TIMESTAMP = Timestamp()
MONEY = MoneyParam()
DECIMAL = DecimalParam()
