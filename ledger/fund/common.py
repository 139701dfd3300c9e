"""What every fund fold shares: the events it takes, amounts as shown, dates and the order of a stream."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledger.folded import EFFECTIVE_ORDER, Event
from ledger.money import PENNY, ZERO

ONE_DAY = timedelta(days=1)
EPOCH = date(1900, 1, 1)
ONE = Decimal(1)


# Streams by id (an account's, a loan's, a fund's society stream): what the folds of a holder or a fund take.
Streams = Mapping[str, Sequence[Event]]


# (effective date, position): the order a fold takes a stream in (C-level keys: a fold sorts every stream it reads).
EVENT_ORDER = EFFECTIVE_ORDER


def money(value: Decimal) -> Decimal:
    """An amount as shown: always two places (0.00, not 0), so JSON is the same whatever the sum's history."""
    return Decimal(value).quantize(PENNY)


def money_json(data: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    for key in keys:
        if isinstance(data.get(key), Decimal):
            data[key] = money(data[key])
    return data


def _d(value: str | None) -> Decimal:
    return ZERO if value is None else Decimal(value)


def ordered(facts: Iterable[Event]) -> list[Event]:
    return sorted(facts, key=EVENT_ORDER)
