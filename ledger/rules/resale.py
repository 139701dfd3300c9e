"""The resale formula: what a leaving member is paid (report 6.5, Appendix 4 items 8-9).

    growth    = funded units x (unit value at leaving - unit value at admission)
                (funded units = deposit units + financed units; no growth if values fell)
    member's growth = growth - deduction, where
        deduction = max(deduction rate x growth, (1 - appreciation cap) x growth)
    gross     = deposit + principal repaid + member's growth      (never below zero)
    payout    = gross - arrears (the co-op's lien), never below zero

Before the minimum tenure the member gets deposit + principal repaid only.
The valuation basis (a valuation or an agreed index) is the caller's: it
passes the unit value that basis gives on the leaving date.

Rounding: growth and deduction are rounded to the penny (ROUND_HALF_UP) as
they are reported; the payout is the exact sum of the reported figures, so
the member's statement adds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from ledger.money import ZERO, round_money
from ledger.money import exact_decimal as _decimal

PRECISION = 40
ONE = Decimal(1)



def _fraction(name: str, value: object) -> Decimal:
    value = _decimal(name, value)
    if not ZERO <= value <= ONE:
        raise ValueError(f"{name} must be a fraction between 0 and 1, e.g. Decimal('0.10')")
    return value


@dataclass(frozen=True, slots=True)
class ResalePolicy:
    """The co-op's resale formula in force on the leaving date."""

    deduction: Decimal = ZERO
    appreciation_cap: Decimal | None = None
    minimum_tenure_years: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "deduction", _fraction("deduction", self.deduction))
        if self.appreciation_cap is not None:
            object.__setattr__(self, "appreciation_cap", _fraction("appreciation_cap", self.appreciation_cap))
        years = self.minimum_tenure_years
        if isinstance(years, bool) or not isinstance(years, int) or years < 0:
            raise ValueError("minimum_tenure_years must be a whole number of years, not negative")


@dataclass(frozen=True, slots=True)
class ResalePayout:
    """The outgoing member's statement; `unrecovered_arrears` is what the lien could not cover."""

    deposit: Decimal
    principal_repaid: Decimal
    growth: Decimal
    deduction: Decimal
    gross: Decimal
    arrears_deducted: Decimal
    unrecovered_arrears: Decimal
    payout: Decimal
    tenure_years: int
    growth_eligible: bool


def _anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


def completed_years(start: date, end: date) -> int:
    """Whole years from start to end; a 29 February start has its anniversary on 1 March."""
    if end < start:
        raise ValueError("leaving_date must not be before admission_date")
    years = end.year - start.year
    return years - 1 if _anniversary(start, years) > end else years


def appreciation(funded_units: Decimal, value_at_admission: Decimal, value_at_leaving: Decimal) -> Decimal:
    """Growth of the funded units, unrounded; nothing when values fell."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return max(funded_units * (value_at_leaving - value_at_admission), ZERO)


def common_equity_deduction(growth: Decimal, policy: ResalePolicy) -> Decimal:
    """The co-op's share of growth: the deduction rate, or more if the cap bites."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        rate = policy.deduction
        if policy.appreciation_cap is not None:
            rate = max(rate, ONE - policy.appreciation_cap)
        return round_money(growth * rate)


def resale_payout(
    *,
    deposit: Decimal,
    principal_repaid: Decimal,
    funded_units: Decimal,
    unit_value_at_admission: Decimal,
    unit_value_at_leaving: Decimal,
    admission_date: date,
    leaving_date: date,
    arrears: Decimal = ZERO,
    policy: ResalePolicy = ResalePolicy(),
) -> ResalePayout:
    """Apply the resale formula; `principal_repaid` may be negative while index-linked debt has grown."""
    deposit = _decimal("deposit", deposit)
    principal_repaid = _decimal("principal_repaid", principal_repaid)
    funded_units = _decimal("funded_units", funded_units)
    before = _decimal("unit_value_at_admission", unit_value_at_admission)
    after = _decimal("unit_value_at_leaving", unit_value_at_leaving)
    arrears = _decimal("arrears", arrears)
    for name, value in (("deposit", deposit), ("funded_units", funded_units), ("arrears", arrears)):
        if value < 0:
            raise ValueError(f"{name} must not be negative")
    if before <= 0 or after <= 0:
        raise ValueError("unit values must be above zero")
    tenure = completed_years(admission_date, leaving_date)
    eligible = tenure >= policy.minimum_tenure_years
    growth = round_money(appreciation(funded_units, before, after)) if eligible else ZERO
    deduction = common_equity_deduction(growth, policy)
    gross = max(deposit + principal_repaid + growth - deduction, ZERO)
    arrears_deducted = min(arrears, gross)
    return ResalePayout(
        deposit=deposit,
        principal_repaid=principal_repaid,
        growth=growth,
        deduction=deduction,
        gross=gross,
        arrears_deducted=arrears_deducted,
        unrecovered_arrears=arrears - arrears_deducted,
        payout=gross - arrears_deducted,
        tenure_years=tenure,
        growth_eligible=eligible,
    )


def repaid_equity(
    *,
    original_debt: Decimal,
    original_value: Decimal,
    value_at_leaving: Decimal,
    debt_at_leaving: Decimal,
) -> Decimal:
    """The annexes' "repaid equity at leaving date": financed share of today's value less today's debt.

    It is principal repaid plus the growth of the financed units, with no
    deduction and no floors -- the resale formula on the financed units alone.
    """
    original_debt = _decimal("original_debt", original_debt)
    original_value = _decimal("original_value", original_value)
    value_at_leaving = _decimal("value_at_leaving", value_at_leaving)
    debt_at_leaving = _decimal("debt_at_leaving", debt_at_leaving)
    if original_value <= 0:
        raise ValueError("original_value must be above zero")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return round_money(original_debt / original_value * value_at_leaving - debt_at_leaving)
