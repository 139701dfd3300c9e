"""Field types shared by every event schema.

Each type parses its JSON text form strictly and serialises back to the
same canonical text, so a payload survives export -> import unchanged.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints

from ledger.money import money_text, parse_money

_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL_TEXT = re.compile(r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,12})?$")


def _parse_date(value: object) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if not isinstance(value, str) or not _DATE_TEXT.match(value):
        raise ValueError("must be an ISO date such as \"2024-04-01\"")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"is not a real calendar date ({exc})") from None
    if not (1900 <= parsed.year <= 2200):
        raise ValueError("must fall between the years 1900 and 2200")
    return parsed


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError("must be a decimal string such as \"0.025\", not a float")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be finite")
        value = format(value, "f")
    if not isinstance(value, str) or not _DECIMAL_TEXT.match(value):
        raise ValueError("must be a decimal string with at most 12 places and no exponent")
    return Decimal(value)


def _money(value: object) -> Decimal:
    return parse_money(value)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


EventDate = Annotated[date, BeforeValidator(_parse_date), PlainSerializer(lambda d: d.isoformat(), return_type=str)]

Money = Annotated[Decimal, BeforeValidator(_money), PlainSerializer(money_text, return_type=str)]
PositiveMoney = Annotated[Money, Field(gt=0)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]

# Rates and percentages are fractions: 0.035 is 3.5 per cent.
Rate = Annotated[Decimal, BeforeValidator(_parse_decimal), Field(ge=-1, le=10), PlainSerializer(_decimal_text, return_type=str)]
NonNegativeRate = Annotated[Rate, Field(ge=0)]
Fraction01 = Annotated[Rate, Field(ge=0, le=1)]

# Units are fractional: a member's holding follows their outstanding debt share.
Units = Annotated[Decimal, BeforeValidator(_parse_decimal), Field(ge=0), PlainSerializer(_decimal_text, return_type=str)]
PositiveUnits = Annotated[Units, Field(gt=0)]
IndexValue = Annotated[Decimal, BeforeValidator(_parse_decimal), Field(gt=0), PlainSerializer(_decimal_text, return_type=str)]

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Period = Annotated[str, StringConstraints(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$")]
Count = Annotated[int, Field(ge=1, le=100_000)]
Months = Annotated[int, Field(ge=1, le=600)]
Years = Annotated[int, Field(ge=1, le=100)]
