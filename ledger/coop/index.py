"""Index series (RPI, house prices): the values published, and the rate of a year."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ledger.coop.fold import PRECISION, RATE_QUANTUM, Events, of_type
from ledger.coop.payloads import IndexValue
from ledger.events.coop import IndexValuePublished


def index_values(events: Events) -> dict[str, Decimal]:
    """A series' values by period (`YYYY` or `YYYY-MM`)."""
    return {v.period: v.value for v in map(IndexValue.of, of_type(events, IndexValuePublished))}


def index_periods(values: dict[str, Decimal], year_end: date) -> tuple[str, str]:
    """The two periods whose values give the index rate of a year ending on `year_end` (before, now)."""
    if any(len(p) == 7 for p in values):  # a monthly series
        return f"{year_end.year - 1}-{year_end.month:02d}", f"{year_end.year}-{year_end.month:02d}"
    return str(year_end.year - 1), str(year_end.year)


def index_rate(values: dict[str, Decimal], year_end: date) -> tuple[Decimal | None, str | None]:
    """The index rate of a year ending on `year_end`, rounded half up to six places; or (None, the missing period).

    S(E.year) / S(E.year - 1) - 1 for an annual series (periods `YYYY`), S(E's month) / S(12 months before) - 1
    for a monthly one (`YYYY-MM`).
    """
    before, now = index_periods(values, year_end)
    for period in (before, now):
        if period not in values:
            return None, period
    with localcontext() as ctx:
        ctx.prec = PRECISION
        rate: Decimal = (values[now] / values[before] - 1).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)
        return rate, None
