"""Money as Decimal, refusing floats, with one documented rounding rule.

Amounts are pounds as `Decimal`. Wherever a computed amount becomes a
recorded amount (an event payload, a report figure) it is rounded to the
penny with ROUND_HALF_UP -- the rule a treasurer expects from a calculator.
Intermediate arithmetic is left unrounded.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")
ZERO = Decimal("0")

# A decimal string with at most two places: no exponent, no NaN/Infinity.
_MONEY_TEXT = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?")  # fullmatch: the whole string


class MoneyError(ValueError):
    """An amount that is not a well-formed sum of money."""


def round_money(value: Decimal) -> Decimal:
    """Round to the penny, half up (the project's one money rounding rule)."""
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def parse_money(value: object) -> Decimal:
    """Accept a decimal string (or Decimal/int) with at most 2 places; refuse floats.

    Floats are refused outright because their binary value is not the amount
    the user typed; NaN, Infinity and exponents are refused because a ledger
    amount is always a plain number of pounds and pence.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError("must be a decimal string such as \"12.34\", not a float")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("must be a finite amount")
        value = format(value, "f")
    if not isinstance(value, str):
        raise MoneyError("must be a decimal string such as \"12.34\"")
    if not _MONEY_TEXT.fullmatch(value):
        raise MoneyError(
            "must be a decimal string with at most 2 decimal places and no exponent, such as \"12.34\""
        )
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise MoneyError("is not a number") from exc


def money_text(value: Decimal) -> str:
    """The canonical text of an amount: always two places, e.g. "5800.00"."""
    return format(round_money(value), "f")


def exact_decimal(name: str, value: object) -> Decimal:
    """A rule's numeric argument: a Decimal or an int, never a float (its binary value is not the figure typed)."""
    if type(value) is Decimal and value.is_finite():  # what the folds pass: no copy, no more checks
        return value
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return value
