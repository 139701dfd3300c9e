from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.mortgage import (
    MortgageKind,
    MortgageTerms,
    MortgageYear,
    next_payment,
    post_year,
    schedule,
    solve_first_payment,
)

REAL = D("0.0235")
INFLATION = D("0.025")


def index_linked(principal=D("108492"), years=30, rate=REAL):
    return MortgageTerms(MortgageKind.INDEX_LINKED, principal, years, rate)


def test_first_payment_clears_annex_debt_over_thirty_years():
    assert solve_first_payment(index_linked(), INFLATION) == D("5080.38")


def test_index_linked_first_payment_is_the_real_annuity_whatever_inflation_is_assumed():
    terms = index_linked()
    assert solve_first_payment(terms, D("0")) == solve_first_payment(terms, D("0.07")) == D("5080.38")


def test_annex_4_per_thousand_figures_come_from_the_same_solver():
    assert solve_first_payment(index_linked(D("1000"), 20), INFLATION) == D("63.24")
    assert solve_first_payment(index_linked(D("1000"), 30), INFLATION) == D("46.83")
    conventional = MortgageTerms(MortgageKind.CONVENTIONAL, D("1000"), 20, D("0.0485"))
    assert solve_first_payment(conventional) == D("79.23")


def test_one_year_follows_the_annual_convention():
    row = post_year(index_linked(), 1, D("108492"), D("5080.38"), INFLATION)
    assert row.interest == D("2549.56")  # 2.35% x 108,492
    assert row.indexation == D("2649.03")  # 2.5% x (108,492 + 2,549.56 - 5,080.38)
    assert row.closing_debt == D("108610.21")
    assert row.closing_debt == row.opening_debt + row.interest - row.payment + row.indexation


def test_index_linked_debt_is_never_indexed_downwards():
    row = post_year(index_linked(), 1, D("108492"), D("5080.38"), D("-0.03"))
    assert row.indexation == 0
    assert row.closing_debt == D("108492") + D("2549.56") - D("5080.38")


def test_index_linked_payment_grows_with_the_index_but_does_not_fall():
    terms = index_linked()
    assert next_payment(terms, D("5080.38"), INFLATION) == D("5207.39")
    assert next_payment(terms, D("5080.38"), D("-0.02")) == D("5080.38")


def test_conventional_payment_is_fixed_and_debt_is_not_indexed():
    terms = MortgageTerms(MortgageKind.CONVENTIONAL, D("100000"), 20, D("0.0485"))
    rows = schedule(terms, INFLATION)
    assert {row.indexation for row in rows} == {D("0")}
    assert len({row.payment for row in rows[:-1]}) == 1
    assert rows[-1].closing_debt == 0
    # Rounding the annuity to the penny leaves pence for the final payment to settle.
    assert abs(rows[-1].payment - rows[0].payment) < D("0.50")


def test_tilted_payment_rises_by_inflation_less_the_tilt():
    terms = MortgageTerms(MortgageKind.TILTED, D("100000"), 25, D("0.0485"), tilt=D("0.01"))
    assert next_payment(terms, D("1000.00"), INFLATION) == D("1015.00")
    rows = schedule(terms, INFLATION)
    assert rows[-1].closing_debt == 0
    assert abs(rows[-1].payment - rows[-2].payment * D("1.015")) < D("1")


def test_tilted_first_payment_starts_lower_than_a_conventional_one():
    conventional = MortgageTerms(MortgageKind.CONVENTIONAL, D("100000"), 25, D("0.0485"))
    tilted = MortgageTerms(MortgageKind.TILTED, D("100000"), 25, D("0.0485"), tilt=D("0.01"))
    assert solve_first_payment(tilted, INFLATION) < solve_first_payment(conventional, INFLATION)


def test_report_table_6_1_first_payments_at_three_per_cent_real():
    from tests.unit.annex_figures import TABLE_6_1_FIRST_PAYMENTS

    for years, printed in TABLE_6_1_FIRST_PAYMENTS.items():
        payment = solve_first_payment(index_linked(D("100000"), years, D("0.03")), INFLATION)
        assert abs(payment - printed) <= D("0.5")


def test_schedule_is_a_fold_of_one_year_postings():
    terms = index_linked()
    rows = schedule(terms, INFLATION)
    debt, payment = terms.principal, solve_first_payment(terms, INFLATION)
    for row in rows:
        assert row == post_year(terms, row.year, debt, payment, INFLATION)
        debt, payment = row.closing_debt, next_payment(terms, payment, INFLATION)


def test_schedule_rows_are_immutable():
    row = schedule(index_linked(), INFLATION)[0]
    with pytest.raises(AttributeError):
        row.closing_debt = D("0")  # type: ignore[misc]
    assert isinstance(row, MortgageYear)


def test_final_year_payment_clears_the_debt_exactly():
    rows = schedule(index_linked(), INFLATION)
    assert rows[-1].closing_debt == 0
    assert rows[-1].payment == rows[-1].opening_debt + rows[-1].interest
    assert rows[-1].principal_repaid_to_date == D("108492")


def test_principal_repaid_to_date_is_negative_while_indexation_outruns_repayment():
    rows = schedule(index_linked(), INFLATION)
    assert rows[0].principal_repaid_to_date == D("-118.21")
    assert rows[4].principal_repaid_to_date > 0


def test_schedule_uses_published_index_values_year_by_year():
    terms = index_linked(D("10000"), 3)
    rows = schedule(terms, first_payment=D("3500.00"), index_rates=[D("0.05"), D("-0.01"), D("0.02")])
    assert rows[0].indexation > 0 and rows[1].indexation == 0
    assert rows[1].payment == D("3675.00")  # grown by year 1's 5%
    assert rows[2].closing_debt == 0


def test_a_payment_larger_than_the_debt_only_takes_what_is_owed():
    row = post_year(index_linked(D("1000"), 5), 1, D("100"), D("500"), INFLATION)
    assert row.payment == D("102.35")
    assert row.closing_debt == 0


def test_floats_are_refused():
    with pytest.raises(TypeError, match="principal"):
        MortgageTerms(MortgageKind.INDEX_LINKED, 108492.0, 30, REAL)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="opening_debt"):
        post_year(index_linked(), 1, 108492.0, D("5080.38"), INFLATION)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="index_rate"):
        post_year(index_linked(), 1, D("108492"), D("5080.38"), 0.025)  # type: ignore[arg-type]


def test_bad_terms_are_refused_with_the_field_named():
    with pytest.raises(ValueError, match="term_years"):
        MortgageTerms(MortgageKind.CONVENTIONAL, D("1000"), 0, D("0.05"))
    with pytest.raises(ValueError, match="tilt"):
        MortgageTerms(MortgageKind.CONVENTIONAL, D("1000"), 10, D("0.05"), tilt=D("0.01"))
    with pytest.raises(ValueError, match="year"):
        post_year(index_linked(), 31, D("1"), D("1"), INFLATION)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(list(MortgageKind)),
    principal=st.integers(1000, 2_000_000),
    years=st.integers(1, 40),
    rate_bp=st.integers(0, 900),
    index_bp=st.integers(-300, 800),
)
def test_every_schedule_balances_each_year_and_ends_at_zero(kind, principal, years, rate_bp, index_bp):
    tilt = D("0.01") if kind is MortgageKind.TILTED else D("0")
    terms = MortgageTerms(kind, D(principal), years, D(rate_bp) / 10000, tilt=tilt)
    rows = schedule(terms, D(index_bp) / 10000)
    for row in rows:
        assert row.closing_debt == row.opening_debt + row.interest - row.payment + row.indexation
        assert row.indexation >= 0 and row.closing_debt >= 0
    assert rows[-1].closing_debt == 0
    # Rounding the first payment and each year's interest to the penny (each at most half a penny,
    # compounding at the loan's rate) leaves at most a small final adjustment.
    if years > 1 and kind is MortgageKind.CONVENTIONAL:
        growth = 1 + terms.rate
        bound = D("0.01") * sum(growth**k for k in range(years)) + D("0.01")
        assert abs(rows[-1].payment - rows[0].payment) <= bound
