"""Unitisation: who holds a dwelling's N equity units on a date (report 6.5, Annex 5b).

    unit value     = dwelling value / N
    financed units = member's outstanding debt share / unit value   (capped at N - CLT)
    member units   = N - CLT units - financed units                 (never below zero)
    gross equity   = member units x unit value

Units are fractional. They are reported to six decimal places (ROUND_HALF_UP
on the financed units, member units taking the remainder so that CLT +
member + financed = N exactly). Gross equity is computed from the unrounded
units and rounded to the penny, so it equals (N - CLT) x unit value - debt.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ledger.money import ZERO, round_money
from ledger.money import exact_decimal as _decimal

PRECISION = 40
UNIT_QUANTUM = Decimal("0.000001")



def round_units(units: Decimal) -> Decimal:
    """Units as reported and recorded: six places, half up."""
    return units.quantize(UNIT_QUANTUM, rounding=ROUND_HALF_UP)


def unit_value(dwelling_value: Decimal, total_units: Decimal) -> Decimal:
    """The value of one unit, unrounded: it is a divisor, not a posted amount."""
    dwelling_value = _decimal("dwelling_value", dwelling_value)
    total_units = _decimal("total_units", total_units)
    if dwelling_value <= 0:
        raise ValueError("dwelling_value must be above zero")
    if total_units <= 0:
        raise ValueError("total_units must be above zero")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return dwelling_value / total_units


@dataclass(frozen=True, slots=True)
class UnitHolding:
    """The three holders' units on one date; `uncovered_debt` is debt beyond the non-CLT value."""

    total_units: Decimal
    clt_units: Decimal
    financed_units: Decimal
    member_units: Decimal
    unit_value: Decimal
    gross_equity: Decimal
    uncovered_debt: Decimal


def unitise(
    total_units: Decimal,
    clt_units: Decimal,
    unit_value: Decimal,
    debt_share: Decimal,
) -> UnitHolding:
    """Split N units between CLT, financed (debt share) and member on one date."""
    total_units = _decimal("total_units", total_units)
    clt_units = _decimal("clt_units", clt_units)
    unit_value = _decimal("unit_value", unit_value)
    debt_share = _decimal("debt_share", debt_share)
    if total_units <= 0:
        raise ValueError("total_units must be above zero")
    if not ZERO <= clt_units <= total_units:
        raise ValueError("clt_units must be between zero and total_units")
    if unit_value <= 0:
        raise ValueError("unit_value must be above zero")
    if debt_share < 0:
        raise ValueError("debt_share must not be negative")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        available = total_units - clt_units
        exact_financed = min(debt_share / unit_value, available)
        exact_member = available - exact_financed
        financed = round_units(exact_financed)
        return UnitHolding(
            total_units=total_units,
            clt_units=clt_units,
            financed_units=financed,
            member_units=available - financed,
            unit_value=unit_value,
            gross_equity=round_money(exact_member * unit_value),
            uncovered_debt=round_money(max(debt_share - available * unit_value, ZERO)),
        )
