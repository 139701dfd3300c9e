"""Points gifts: points move from the giver to the receiver on the gift's date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger.folded import Event
from ledger.fund.common import ordered
from ledger.fund.typed import GIFTED, points_gifted


@dataclass(frozen=True, slots=True)
class Gift:
    on: date
    giver: str
    receiver: str
    points: Decimal


def gifts_of(facts: Iterable[Event]) -> tuple[Gift, ...]:
    return tuple(Gift(f.effective_date, *points_gifted(f)) for f in ordered(facts) if f.type == GIFTED)
