"""The collective mortgage under the annexes' annual convention (report Appendix 5).

One year, for every kind of loan::

    interest    = rate x opening_debt
    indexation  = index x (opening_debt + interest - payment)   (index-linked only)
    closing     = opening_debt + interest - payment + indexation

Index-linked: `rate` is the real rate, the debt is indexed and the payment
grows by the index; the debt is on a ratchet, so a negative index indexes
nothing (and the payment does not fall). Conventional: nominal rate, no
indexation, a fixed payment (an ordinary annuity). Tilted: nominal rate, no
indexation, the payment grows by the index less the tilt.

Rounding: interest, indexation and payment are posted amounts, so each is
rounded to the penny (ROUND_HALF_UP, `ledger.money.round_money`) as it is
posted; the closing debt is their exact sum. The first-payment solver works
at 40 significant digits and rounds only its answer. In the final year the
payment is whatever clears the debt, so rounding never leaves a stub.

Monthly compounding (`Compounding.MONTHLY`, the report's Canadian-style
tilted mortgage computes interest monthly). A year is twelve months::

    month k (1..12):  interest_k = round(rate / 12 x balance_k)
                      paid_k     = the k-th twelfth of the year's payment
                      balance_k+1 = balance_k + interest_k - paid_k
    interest    = interest_1 + ... + interest_12      (each month rounded: a lender's statement posts each)
    indexation  = index x (opening_debt + interest - payment)   (as the annual convention, once a year)
    closing     = opening_debt + interest - payment + indexation

The twelfths are the year's payment split to the penny as the members' dues
are (`monthly_parts`: part k = round(P k / 12) - round(P (k - 1) / 12), so the
twelve add up to P exactly). No month takes more than is owed; in the final
year the twelfth month's part is whatever clears the debt. The first payment
is solved in closed form on the same convention without rounding (see
`solve_first_payment`), then rounded to the penny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum

from ledger.money import ZERO, round_money
from ledger.money import exact_decimal as _decimal

PRECISION = 40
ONE = Decimal(1)


class MortgageKind(StrEnum):
    INDEX_LINKED = "index-linked"
    CONVENTIONAL = "conventional"
    TILTED = "tilted"


class Compounding(StrEnum):
    """How often interest is computed: yearly (the annexes) or monthly within each year."""

    ANNUAL = "annual"
    MONTHLY = "monthly"



def _rate(name: str, value: object) -> Decimal:
    value = _decimal(name, value)
    if value <= -1:
        raise ValueError(f"{name} must be a fraction above -1, e.g. Decimal('0.025')")
    return value


@dataclass(frozen=True, slots=True)
class MortgageTerms:
    """The recorded terms of a loan (or of one member's debt share of it)."""

    kind: MortgageKind
    principal: Decimal
    term_years: int
    rate: Decimal
    tilt: Decimal = ZERO
    compounding: Compounding = Compounding.ANNUAL

    def __post_init__(self) -> None:
        if not isinstance(self.kind, MortgageKind):
            raise TypeError("kind must be a MortgageKind")
        if not isinstance(self.compounding, Compounding):  # ("annual" / "monthly", as the event spells it)
            try:
                object.__setattr__(self, "compounding", Compounding(self.compounding))
            except ValueError:
                raise ValueError(f"compounding must be annual or monthly, not {self.compounding!r}") from None
        for name in ("principal", "rate", "tilt"):  # store ints as Decimals
            object.__setattr__(self, name, _decimal(name, getattr(self, name)))
        if self.principal <= 0:
            raise ValueError("principal must be above zero")
        if isinstance(self.term_years, bool) or not isinstance(self.term_years, int) or self.term_years < 1:
            raise ValueError("term_years must be a whole number of years, at least 1")
        if self.rate < 0:
            raise ValueError("rate must not be negative")
        if self.tilt < 0:
            raise ValueError("tilt must not be negative")
        if self.tilt and self.kind is not MortgageKind.TILTED:
            raise ValueError("tilt applies only to a tilted mortgage")


@dataclass(frozen=True, slots=True)
class MortgageYear:
    """One posted year; `principal_repaid_to_date` is negative while indexation outruns repayment."""

    year: int
    opening_debt: Decimal
    interest: Decimal
    payment: Decimal
    indexation: Decimal
    closing_debt: Decimal
    index_rate: Decimal
    principal_repaid_to_date: Decimal


def debt_index_rate(kind: MortgageKind, index_rate: Decimal) -> Decimal:
    """Only an index-linked debt is indexed, and never downwards (the ratchet)."""
    if kind is MortgageKind.INDEX_LINKED:
        return max(index_rate, ZERO)
    return ZERO


def payment_growth_rate(terms: MortgageTerms, index_rate: Decimal) -> Decimal:
    """How much next year's payment grows by, given this year's index."""
    index_rate = _rate("index_rate", index_rate)
    if terms.kind is MortgageKind.INDEX_LINKED:
        return max(index_rate, ZERO)
    if terms.kind is MortgageKind.TILTED:
        return index_rate - terms.tilt
    return ZERO


def next_payment(terms: MortgageTerms, payment: Decimal, index_rate: Decimal) -> Decimal:
    """Next year's payment, rounded to the penny because it becomes a recorded term."""
    payment = _decimal("payment", payment)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return round_money(payment * (ONE + payment_growth_rate(terms, index_rate)))


def post_year(
    terms: MortgageTerms,
    year: int,
    opening_debt: Decimal,
    payment: Decimal,
    index_rate: Decimal,
) -> MortgageYear:
    """Post one year from the recorded terms and the index published for that year."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= terms.term_years:
        raise ValueError(f"year must be between 1 and {terms.term_years}")
    opening_debt = _decimal("opening_debt", opening_debt)
    payment = _decimal("payment", payment)
    index_rate = _rate("index_rate", index_rate)
    if opening_debt < 0:
        raise ValueError("opening_debt must not be negative")
    if payment < 0:
        raise ValueError("payment must not be negative")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        if terms.compounding is Compounding.MONTHLY:
            months = post_months(terms, opening_debt, payment, final=year == terms.term_years)
            interest = sum((m.interest for m in months), ZERO)
            payment = sum((m.payment for m in months), ZERO)
        else:
            interest = round_money(terms.rate * opening_debt)
            # The final payment clears the debt; no payment takes more than is owed.
            payment = opening_debt + interest if year == terms.term_years else min(payment, opening_debt + interest)
        due = opening_debt + interest
        indexation = round_money(debt_index_rate(terms.kind, index_rate) * (due - payment))
        closing = due - payment + indexation
    return MortgageYear(
        year=year,
        opening_debt=opening_debt,
        interest=interest,
        payment=payment,
        indexation=indexation,
        closing_debt=closing,
        index_rate=index_rate,
        principal_repaid_to_date=terms.principal - closing,
    )


@dataclass(frozen=True, slots=True)
class MortgageMonth:
    """One month of a monthly-compounded year (before the year's indexation)."""

    month: int
    opening_balance: Decimal
    interest: Decimal
    payment: Decimal
    closing_balance: Decimal


def monthly_parts(payment: Decimal) -> tuple[Decimal, ...]:
    """A yearly payment in twelve parts to the penny: part k = round(P k / 12) - round(P (k - 1) / 12) (ROUND_HALF_UP),
    so they add up to P exactly and differ by at most a penny (the members' monthly dues are split the same way)."""
    payment = _decimal("payment", payment)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return tuple(round_money(payment * k / 12) - round_money(payment * (k - 1) / 12) for k in range(1, 13))


def post_months(terms: MortgageTerms, opening_debt: Decimal, payment: Decimal, *, final: bool = False
                ) -> tuple[MortgageMonth, ...]:
    """The twelve months of a year under monthly compounding: interest at rate / 12 on each month's opening balance,
    rounded to the penny, then that month's twelfth of the year's payment (never more than is owed; in the `final`
    year of the term the twelfth month pays whatever clears the debt)."""
    opening_debt = _decimal("opening_debt", opening_debt)
    rows: list[MortgageMonth] = []
    with localcontext() as ctx:
        ctx.prec = PRECISION
        monthly_rate = terms.rate / 12
        balance = opening_debt
        for month, part in enumerate(monthly_parts(payment), start=1):
            interest = round_money(monthly_rate * balance)
            due = balance + interest
            paid = due if final and month == 12 else min(part, due)
            rows.append(MortgageMonth(month, balance, interest, paid, due - paid))
            balance = due - paid
    return tuple(rows)


def solve_first_payment(terms: MortgageTerms, assumed_index_rate: Decimal = ZERO) -> Decimal:
    """The first payment that, growing as the terms say, clears the debt at the end of the term.

    Closed form of the yearly fold D' = (D f - s p)(1 + j) with p growing by
    g each year: p = a^n D / ((1 + j) s sum_t (1 + g)^(t-1) a^(n-t)), where
    a = f (1 + j). Annual compounding: f = 1 + r and s = 1. Monthly: f =
    (1 + r/12)^12, the year's growth of a balance, and s = ((1 + r/12)^12 - 1)
    / r (s = 1 when r = 0), what the year's payment, paid in twelfths at the
    end of each month, takes off the balance at the year's end. (The exact
    twelfths; the penny rounding is left to the last payment of the term.)
    For an index-linked loan g = j, so the answer is the real annuity and does
    not depend on the assumed index.
    """
    assumed_index_rate = _rate("assumed_index_rate", assumed_index_rate)
    n = terms.term_years
    with localcontext() as ctx:
        ctx.prec = PRECISION
        j = debt_index_rate(terms.kind, assumed_index_rate)
        g = payment_growth_rate(terms, assumed_index_rate)
        if terms.compounding is Compounding.MONTHLY:
            growth = (ONE + terms.rate / 12) ** 12
            weight = (growth - ONE) / terms.rate if terms.rate else ONE
        else:
            growth, weight = ONE + terms.rate, ONE
        a = growth * (ONE + j)
        weights = sum(((ONE + g) ** (t - 1)) * a ** (n - t) for t in range(1, n + 1))
        return round_money(a**n * terms.principal / ((ONE + j) * weight * weights))


def schedule(
    terms: MortgageTerms,
    assumed_index_rate: Decimal = ZERO,
    *,
    first_payment: Decimal | None = None,
    index_rates: Sequence[Decimal] | None = None,
) -> tuple[MortgageYear, ...]:
    """The whole term as a fold of `post_year`, on given or assumed index values."""
    if index_rates is None:
        index_rates = [assumed_index_rate] * terms.term_years
    if len(index_rates) != terms.term_years:
        raise ValueError(f"index_rates must give one rate for each of the {terms.term_years} years")
    if first_payment is None:
        first_payment = solve_first_payment(terms, assumed_index_rate)
    rows: list[MortgageYear] = []
    debt, payment = terms.principal, _decimal("first_payment", first_payment)
    for year, index_rate in enumerate(index_rates, start=1):
        row = post_year(terms, year, debt, payment, index_rate)
        rows.append(row)
        debt, payment = row.closing_debt, next_payment(terms, payment, index_rate)
    return tuple(rows)
