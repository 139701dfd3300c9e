"""Monthly compounding (issue #10 item 5): interest month by month at rate / 12 on the balance, a twelfth of the
year's payment paid each month, indexation once a year as the annual convention (docs/rules-equity.md)."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.mortgage import (
    Compounding,
    MortgageKind,
    MortgageTerms,
    monthly_parts,
    post_months,
    next_payment,
    post_year,
    schedule,
    solve_first_payment,
)

MONTHLY = Compounding.MONTHLY


def test_a_yearly_payment_is_paid_in_twelve_parts_to_the_penny():
    assert monthly_parts(D("12794.23")) == (D("1066.19"), D("1066.18"), D("1066.19"), D("1066.18"), D("1066.19"),
                                            D("1066.19"), D("1066.18"), D("1066.19"), D("1066.18"), D("1066.19"),
                                            D("1066.18"), D("1066.19"))
    assert sum(monthly_parts(D("12794.23"))) == D("12794.23")
    assert monthly_parts(D("1200")) == (D("100.00"),) * 12


def test_the_worked_example_of_docs_rules_equity():
    """£12,000 at 12% a year (1% a month) over one year: the textbook monthly annuity, 1,066.1855 a month."""
    terms = MortgageTerms(MortgageKind.CONVENTIONAL, D("12000"), 1, D("0.12"), compounding=MONTHLY)
    assert solve_first_payment(terms) == D("12794.23")  # 12 x 1,066.1855..., rounded once
    months = post_months(terms, D("12000"), D("12794.23"), final=True)
    assert [(m.interest, m.payment, m.closing_balance) for m in months[:2]] == [
        (D("120.00"), D("1066.19"), D("11053.81")),  # 1% of 12,000; 12,000 + 120.00 - 1,066.19
        (D("110.54"), D("1066.18"), D("10098.17")),  # 1% of 11,053.81 = 110.5381, rounded
    ]
    assert months[-1].opening_balance == D("1055.64") and months[-1].interest == D("10.56")
    assert months[-1].payment == D("1066.20") and months[-1].closing_balance == 0  # the last month clears the debt
    year = post_year(terms, 1, D("12000"), D("12794.23"), D("0"))
    assert (year.interest, year.payment, year.indexation, year.closing_debt) == (
        D("794.24"), D("12794.24"), D("0.00"), D("0.00"))
    annual = MortgageTerms(MortgageKind.CONVENTIONAL, D("12000"), 1, D("0.12"))
    assert post_year(annual, 1, D("12000"), D("12794.23"), D("0")).interest == D("1440.00")  # what was posted before


def test_monthly_interest_then_the_years_indexation_as_the_annual_convention():
    terms = MortgageTerms(MortgageKind.INDEX_LINKED, D("108492"), 30, D("0.0235"), compounding=MONTHLY)
    first = solve_first_payment(terms, D("0.025"))
    assert first == D("5043.14")  # paid monthly, less than the annexes' yearly 5,080.38
    row = post_year(terms, 1, D("108492"), first, D("0.025"))
    assert row.interest == sum(m.interest for m in post_months(terms, D("108492"), first)) == D("2522.53")
    assert row.payment == first
    assert row.indexation == D("2649.28")  # 2.5% x (108,492 + 2,522.53 - 5,043.14) = 2,649.28475
    assert row.closing_debt == D("108620.67") == row.opening_debt + row.interest - row.payment + row.indexation


@pytest.mark.parametrize("kind, rate, tilt", [
    (MortgageKind.CONVENTIONAL, D("0.0485"), D("0")),
    (MortgageKind.INDEX_LINKED, D("0.0235"), D("0")),
    (MortgageKind.TILTED, D("0.0485"), D("0.02")),
    (MortgageKind.CONVENTIONAL, D("0"), D("0")),
])
def test_the_solved_first_payment_clears_the_debt_at_the_end_of_the_term(kind, rate, tilt):
    terms = MortgageTerms(kind, D("100000"), 25, rate, tilt, compounding=MONTHLY)
    rows = schedule(terms, D("0.025"))
    assert rows[-1].closing_debt == 0
    # the final year's payment (which clears the debt) is the scheduled one to within pennies of rounding
    scheduled = rows[-2].payment
    assert abs(rows[-1].payment - next_payment(terms, scheduled, D("0.025"))) < D("0.50")


@settings(max_examples=40, deadline=None)
@given(principal=st.integers(1_000, 500_000), years=st.integers(1, 35),
       rate=st.decimals(D("0"), D("0.15"), places=4), payment=st.integers(0, 60_000))
def test_a_monthly_year_is_exact_to_the_penny(principal, years, rate, payment):
    terms = MortgageTerms(MortgageKind.CONVENTIONAL, D(principal), years, rate, compounding=MONTHLY)
    months = post_months(terms, D(principal), D(payment), final=years == 1)
    for before, after in zip(months, months[1:]):
        assert after.opening_balance == before.closing_balance
    for m in months:
        assert m.closing_balance == m.opening_balance + m.interest - m.payment >= 0
        assert m.interest == m.interest.quantize(D("0.01"))
    row = post_year(terms, 1, D(principal), D(payment), D("0"))
    assert row.closing_debt == months[-1].closing_balance


def test_compounding_is_annual_or_monthly():
    assert MortgageTerms(MortgageKind.CONVENTIONAL, D("1000"), 5, D("0.05"), compounding="monthly").compounding is MONTHLY
    with pytest.raises(ValueError, match="compounding must be annual or monthly"):
        MortgageTerms(MortgageKind.CONVENTIONAL, D("1000"), 5, D("0.05"), compounding="quarterly")
