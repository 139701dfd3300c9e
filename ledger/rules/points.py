"""Savings points: pound-months earned on savings and consumed by loans (report App. 6).

    points = amount x time x factor

Day convention (DOMAIN "The JAK interest-free savings and loans fund"):

- Points accrue on the END-OF-DAY balance. A change dated D (a deposit, a
  withdrawal, a disbursement, an instalment) is part of D's end-of-day
  balance, so it earns or consumes points for D itself.
- Each day is 1/(days in its calendar month) of a month. A balance held for
  every day of a calendar month therefore earns exactly balance x factor.
- A factor change dated E applies from E: E's end-of-day balance uses the new
  factor. Factors are between 0 and 1 (instant access near 0).
- A loan is an account with a NEGATIVE balance (what is owed) and factor 1,
  so it accrues negative points. An instalment that reduces the debt from
  month k's opening balance to month k+1's is dated the 1st of month k+1
  (the "end of month k" payment, value-dated before that day's end). With
  the disbursement on the 1st of month 1, every day of month k then carries
  the opening balance of month k and a loan of L in n equal instalments
  consumes exactly L(n+1)/2 points by the end of month n.

Arithmetic is exact (`fractions.Fraction`) throughout; points are rounded
only when shown: to 0.0001 of a pound-month, ROUND_HALF_EVEN (points are not
money, and banker's rounding keeps sums of many accounts unbiased).

Speed: time is accrued per interval of constant balance and factor, and the
months an interval spans are counted in O(1), so thirty years of history
costs one step per change, not one per day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

POINTS_QUANTUM = Decimal("0.0001")
ONE_DAY = timedelta(days=1)


def _check_exact(name: str, value: object) -> None:
    """Amounts must be exact: a float's binary value is not the figure typed."""
    if value.__class__ is Decimal and value.is_finite():  # the common case, checked first
        return
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, Fraction)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be a finite number")


def _exact(name: str, value: object) -> Fraction:
    _check_exact(name, value)
    return Fraction(cast("Decimal | int | Fraction", value))


def _day(name: str, value: object) -> date:
    """Points are per calendar day; a datetime would hide a time-of-day."""
    if value.__class__ is date:
        return value
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


def _factor(value: object) -> Fraction:
    factor = _exact("factor", value)
    if not 0 <= factor <= 1:
        raise ValueError("factor must be between 0 and 1, e.g. Decimal('0.8')")
    return factor


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _month_number(day: date) -> int:
    return day.year * 12 + day.month


def month_time(first: date, last: date) -> Fraction:
    """Months of time in the days first..last inclusive, each day 1/(days in its month)."""
    first, last = _day("first", first), _day("last", last)
    if last < first:
        return Fraction(0)
    if _month_number(first) == _month_number(last):
        return Fraction(last.day - first.day + 1, days_in_month(first))
    head = Fraction(days_in_month(first) - first.day + 1, days_in_month(first))
    whole = _month_number(last) - _month_number(first) - 1
    return head + whole + Fraction(last.day, days_in_month(last))


def to_points(value: Fraction | Decimal | int) -> Decimal:
    """The shown figure: 0.0001 of a pound-month, half to even (Python's exact `round`)."""
    return Decimal(round(Fraction(value) * 10_000)).scaleb(-4) + Decimal("0.0000")


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """A change to an account's balance, part of the end-of-day balance of `on`."""

    on: date
    delta: Decimal

    def __post_init__(self) -> None:
        _day("on", self.on)
        _check_exact("delta", self.delta)


@dataclass(frozen=True, slots=True)
class FactorChange:
    """A savings factor in force from `effective` (that day's end-of-day balance included)."""

    effective: date
    factor: Decimal

    def __post_init__(self) -> None:
        _day("effective", self.effective)
        _factor(self.factor)


Change = BalanceChange | FactorChange


def _dated(change: Change) -> date:
    return change.on if isinstance(change, BalanceChange) else change.effective


@dataclass(frozen=True, slots=True)
class PointsState:
    """A fold of one account's changes: points accrued through the end of `last_date`.

    `balance` and `factor` are those carried into the next day; a change may
    only be applied for a day after `last_date` (several on one day are fine).
    """

    last_date: date
    balance: Fraction
    factor: Fraction
    points: Fraction

    @classmethod
    def opening(cls, start: date, factor: Decimal, balance: Decimal = Decimal(0)) -> PointsState:
        """An account whose first accruing day is `start`, nothing accrued yet."""
        start = _day("start", start)
        return cls(start - ONE_DAY, _exact("balance", balance), _factor(factor), Fraction(0))

    def accrued_through(self, day: date) -> PointsState:
        """Accrue the carried balance for every day up to and including `day`."""
        day = _day("day", day)
        if day < self.last_date:
            raise ValueError(f"day {day} is before points were already accrued through {self.last_date}")
        time = month_time(self.last_date + ONE_DAY, day)
        return PointsState(day, self.balance, self.factor, self.points + self.balance * self.factor * time)

    def apply(self, change: Change) -> PointsState:
        """Accrue up to the day before the change, then take it into that day's balance."""
        on = _dated(change)
        if on <= self.last_date:
            raise ValueError(
                f"a change dated {on} arrives after points were accrued through {self.last_date}; "
                "apply changes in date order"
            )
        state = self.accrued_through(on - ONE_DAY)
        if isinstance(change, BalanceChange):
            return PointsState(state.last_date, state.balance + Fraction(change.delta), state.factor, state.points)
        return PointsState(state.last_date, state.balance, Fraction(change.factor), state.points)

    def points_through(self, day: date) -> Decimal:
        """Points to the end of `day`, as shown (0.0001, half even)."""
        return to_points(self.accrued_through(day).points)


def _as(kind: type, item: object, name: str) -> Any:
    """Plain (date, amount) pairs are accepted too, and checked the same way."""
    if isinstance(item, kind):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        return kind(*item)
    raise TypeError(f"{name} must be {kind.__name__} or (date, Decimal) pairs, not {type(item).__name__}")


def _factor_at(factors: Iterable[FactorChange], day: date) -> Fraction:
    """The latest factor dated on or before `day`; of two on one date, the later listed."""
    best: FactorChange | None = None
    for item in factors:
        if item.effective <= day and (best is None or item.effective >= best.effective):
            best = item
    if best is None:
        raise ValueError(f"factors: no savings factor is in force on {day}")
    return Fraction(best.factor)


def accrue(
    changes: Iterable[BalanceChange],
    factors: Iterable[FactorChange],
    start: date,
    as_of: date,
) -> Fraction:
    """Exact points from the start of `start` to the end of `as_of`.

    Changes dated before `start` make up the opening balance; changes and
    factor changes after `as_of` are ignored. Input order does not matter.
    Either list may hold plain (date, Decimal) pairs.
    """
    start, as_of = _day("start", start), _day("as_of", as_of)
    changes = [_as(BalanceChange, item, "changes") for item in changes]
    factors = [_as(FactorChange, item, "factors") for item in factors]
    if as_of < start:
        return Fraction(0)
    in_pence = _accrue_in_pence(changes, factors, start, as_of)
    return in_pence if in_pence is not None else accrue_stepwise(changes, factors, start, as_of)


def accrue_stepwise(changes: list[BalanceChange], factors: list[FactorChange], start: date, as_of: date) -> Fraction:
    """`accrue` one `PointsState` step per change, in Fractions: the reference the integer fold is held to."""
    if as_of < start:
        return Fraction(0)
    opening = sum((Fraction(c.delta) for c in changes if c.on < start), Fraction(0))
    state = PointsState(start - ONE_DAY, opening, _factor_at(factors, start), Fraction(0))
    later: list[Change] = [c for c in changes if start <= c.on <= as_of]
    later += [f for f in factors if start < f.effective <= as_of]
    for change in sorted(later, key=_dated):
        state = state.apply(change)
    return state.accrued_through(as_of).points


# Every day is a whole number of these units of a month: 377,580 is divisible by 28, 29, 30 and 31.
MONTH_UNITS = 377_580
_DAY_UNITS: dict[tuple[int, int], int] = {}


def _units_before(day: date, through: bool = False) -> int:
    """Month units from a fixed origin to the start of `day` (to its end: `through`).

    A day weighs 1/(days in its month) of a month.
    """
    key = (day.year, day.month)
    weight = _DAY_UNITS.get(key)
    if weight is None:
        weight = _DAY_UNITS[key] = MONTH_UNITS // calendar.monthrange(day.year, day.month)[1]
    return (day.year * 12 + day.month) * MONTH_UNITS + (day.day if through else day.day - 1) * weight


def _pence(delta: object) -> int | None:
    if type(delta) is Decimal:
        if delta.as_tuple().exponent >= -2:  # type: ignore[operator]  # a finite amount's exponent is an int
            return int(delta.scaleb(2))
        scaled = delta.scaleb(2)  # 1.230 is still whole pence
        return int(scaled) if scaled == scaled.to_integral_value() else None
    if type(delta) is int:
        return delta * 100
    return None  # a Fraction, or finer than a penny: the exact Fraction path takes it


_NO_FACTOR = Fraction(0)


def _accrue_in_pence(changes: list[BalanceChange], factors: list[FactorChange], start: date,
                     as_of: date) -> Fraction | None:
    """`accrue` in integers: pence x month units, summed while the factor holds, scaled once per factor.

    Exactly the same figure as the Fraction fold (every term is an integer
    multiple of 1/(100 x MONTH_UNITS)), at a fraction of the cost; None when a
    change is finer than a penny.
    """
    opening = 0
    later: list[tuple[date, int, int, Fraction]] = []  # (day, 0: a balance change | 1: a factor, pence, factor)
    for c in changes:
        pence = _pence(c.delta)
        if pence is None:
            return None
        if c.on < start:
            opening += pence
        elif c.on <= as_of:
            later.append((c.on, 0, pence, _NO_FACTOR))
    later += [(f.effective, 1, 0, Fraction(f.factor)) for f in factors if start < f.effective <= as_of]
    later.sort(key=lambda item: (item[0], item[1]))  # on one day: balances first, then the factor
    factor, balance, weighted, points = _factor_at(factors, start), opening, 0, Fraction(0)
    last = _units_before(start)
    for on, kind, pence, new_factor in later:
        before = _units_before(on)
        weighted += balance * (before - last)
        last = before
        if kind == 0:
            balance += pence
        else:
            points += factor * Fraction(weighted, 100 * MONTH_UNITS)
            factor, weighted = new_factor, 0
    weighted += balance * (_units_before(as_of, through=True) - last)
    return points + factor * Fraction(weighted, 100 * MONTH_UNITS)


def accrued_points(
    changes: Iterable[BalanceChange],
    factors: Iterable[FactorChange],
    start: date,
    as_of: date,
) -> Decimal:
    """Points through the end of `as_of`, rounded once: 0.0001, ROUND_HALF_EVEN."""
    return to_points(accrue(changes, factors, start, as_of))
