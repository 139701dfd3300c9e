"""Field types shared by every event schema.

Amounts, rates, units and dates travel as strings, checked by patterns that
pydantic's core evaluates natively (fast enough for a million-event import).
The canonical text of a payload is the text that passed these checks; the
domain turns it into `Decimal` (ledger.money.parse_money) where it computes.
A float never passes: a JSON number is not a string.

Every pattern matches the whole string. pydantic-core evaluates patterns with
Rust's regex crate, where `\\z` is the end of the text; Python's `re` spells
that `\\Z`, and its `$` also matches before a final newline (a key "k1\\n"
once passed a `$`-anchored pattern that way). So patterns are written as
bodies, given to pydantic as `whole(body)` and matched in Python only with
`re.fullmatch` (tests/unit/test_patterns.py scans the code for anything else).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints


def whole(body: str) -> str:
    """A pattern for pydantic-core that matches the whole string: `\\A` and Rust's end of text `\\z`."""
    return rf"\A(?:{body})\z"


def for_python(pattern: str) -> str:
    """A pattern written for pydantic-core as Python's `re` must read it (Rust's `\\z` is Python's `\\Z`)."""
    return pattern[:-2] + r"\Z" if pattern.endswith(r"\z") and not pattern.endswith(r"\\z") else pattern


_AMOUNT = r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?"
_POSITIVE_AMOUNT = r"([1-9][0-9]{0,14}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))"
_DECIMAL = r"(0|[1-9][0-9]{0,14})(\.[0-9]{1,12})?"
_DATE = r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
ID_BODY = r"[A-Za-z0-9][A-Za-z0-9_.:-]*"
PERIOD_BODY = r"[0-9]{4}(-(0[1-9]|1[0-2]))?"
# Free text: any characters but NUL (U+0000), which PostgreSQL cannot keep in text and C tools end a string at.
TEXT_BODY = r"[^\x00]*"
NO_NUL_REASON = "must not contain a NUL character (\\u0000)"

# What each pattern means, for error messages that a treasurer can read.
PATTERN_REASONS = {
    whole(f"-?{_AMOUNT}"): "must be a decimal string with at most 2 decimal places and no exponent, such as \"12.34\"",
    whole(_AMOUNT): "must be a decimal string of zero or more with at most 2 decimal places and no exponent, "
                    "such as \"12.34\"",
    whole(_POSITIVE_AMOUNT): "must be a decimal string of more than zero with at most 2 decimal places "
                             "and no exponent, such as \"12.34\"",
    whole(f"-?{_DECIMAL}"): "must be a decimal string with at most 12 decimal places and no exponent, "
                            "such as \"0.035\"",
    whole(_DECIMAL): "must be a decimal string of zero or more with at most 12 places, such as \"0.035\"",
    whole(_DATE): "must be an ISO date such as \"2024-04-01\"",
    whole(ID_BODY): "must be an id of letters, digits and _ . : - starting with a letter or digit",
    whole(PERIOD_BODY): "must be a period YYYY or YYYY-MM",
    whole(TEXT_BODY): NO_NUL_REASON,
}


def _real_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"is not a real calendar date ({exc})") from None
    return text


def _between(low: str, high: str) -> Callable[[str], str]:
    lo, hi = Decimal(low), Decimal(high)

    def check(text: str) -> str:
        if not lo <= Decimal(text) <= hi:
            raise ValueError(f"must be between {low} and {high}")
        return text

    return check


def _positive(text: str) -> str:
    if Decimal(text) <= 0:
        raise ValueError("must be more than zero")
    return text


EventDate = Annotated[str, StringConstraints(pattern=whole(_DATE)), AfterValidator(_real_date)]

Money = Annotated[str, StringConstraints(pattern=whole(f"-?{_AMOUNT}"))]
NonNegativeMoney = Annotated[str, StringConstraints(pattern=whole(_AMOUNT))]
PositiveMoney = Annotated[str, StringConstraints(pattern=whole(_POSITIVE_AMOUNT))]

# Rates and percentages are fractions: 0.035 is 3.5 per cent.
Rate = Annotated[str, StringConstraints(pattern=whole(f"-?{_DECIMAL}")), AfterValidator(_between("-1", "10"))]
NonNegativeRate = Annotated[str, StringConstraints(pattern=whole(_DECIMAL)), AfterValidator(_between("0", "10"))]
Fraction01 = Annotated[str, StringConstraints(pattern=whole(_DECIMAL)), AfterValidator(_between("0", "1"))]

# Units are fractional: a member's holding follows their outstanding debt share.
Units = Annotated[str, StringConstraints(pattern=whole(_DECIMAL))]
PositiveUnits = Annotated[str, StringConstraints(pattern=whole(_DECIMAL)), AfterValidator(_positive)]
IndexValue = Annotated[str, StringConstraints(pattern=whole(_DECIMAL)), AfterValidator(_positive)]

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=whole(ID_BODY))]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=whole(TEXT_BODY))]
Period = Annotated[str, StringConstraints(pattern=whole(PERIOD_BODY))]
Count = Annotated[int, Field(ge=1, le=100_000)]
Months = Annotated[int, Field(ge=1, le=600)]
Years = Annotated[int, Field(ge=1, le=100)]
