from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.errors import ValidationFailed
from ledger.rules.loans import (
    LoanPolicy,
    LoanRefused,
    after_saving,
    consumption,
    dated_flows,
    early_repayment,
    instalments,
    nominal_consumption,
    quote,
    refusals,
)
from ledger.rules.points import FactorChange, accrue

FULL = [FactorChange(date(2000, 1, 1), D("1"))]


def engine_close(contract, disbursed_on, extra_points=D(0)):
    """The points engine's figure at the end of the settling month, on the contract's dated flows."""
    flows = dated_flows(contract, disbursed_on)
    through = flows.released_on - timedelta(days=1)
    return accrue(flows.loan + flows.after_savings, FULL, disbursed_on, through) + Fraction(extra_points)


# --- schedule and consumption ----------------------------------------------------------------------


def test_instalments_sum_to_the_loan_with_the_last_absorbing_the_remainder():
    schedule = instalments(D("500"), 24)
    assert schedule[:23] == (D("20.83"),) * 23
    assert schedule[-1] == D("20.91")
    assert sum(schedule) == D("500")


def test_consumption_is_l_times_n_plus_one_over_two_when_the_instalment_is_whole_pence():
    assert consumption(D("750"), 24) == nominal_consumption(D("750"), 24) == D("9375")
    assert consumption(D("1200"), 12) == D("7800")


def test_consumption_of_a_penny_schedule_is_the_sum_of_its_opening_balances():
    # 500/24 = 20.8333...: the last instalment absorbs r = 0.08, adding r(n-1)/2 = 0.92 points.
    assert consumption(D("500"), 24) == D("6250.92")
    assert nominal_consumption(D("500"), 24) == D("6250")


# --- no pre-savings --------------------------------------------------------------------------------


def test_with_no_pre_savings_the_after_saving_equals_the_instalment_and_points_close_at_exactly_zero():
    contract = quote(D("750"), 24)
    assert contract.after_saving == contract.instalment == contract.final_after_saving == D("31.25")
    assert contract.points_consumed == D("9375")
    assert contract.closing_points == 0
    assert contract.after_savings_total == D("750")


def test_with_no_pre_savings_the_after_savings_are_the_instalments_in_reverse_and_close_at_exactly_zero():
    contract = quote(D("500"), 24)
    assert contract.after_saving == contract.instalment == D("20.83")
    assert contract.first_after_saving == contract.final_instalment == D("20.91")
    assert contract.after_savings == tuple(reversed(contract.instalments))
    assert contract.closing_points == 0


@settings(max_examples=80, deadline=None)
@given(
    amount=st.decimals(min_value=D("50"), max_value=D("50000"), places=2),
    months=st.integers(min_value=1, max_value=120),
)
def test_any_loan_without_pre_savings_has_after_saving_equal_to_the_instalment_and_closes_at_zero(amount, months):
    assume(not refusals(amount, months))
    contract = quote(amount, months)
    assert contract.after_saving == contract.instalment
    assert contract.closing_points == 0


# --- pre-savings -----------------------------------------------------------------------------------


def test_pre_savings_covering_half_the_consumption_halve_the_after_saving():
    contract = quote(D("1200"), 12, points=D("3900"))
    assert contract.after_savings == (D("50.00"),) * 12
    assert contract.closing_points == 0


def test_pre_savings_covering_all_the_consumption_need_no_after_saving():
    contract = quote(D("1200"), 12, points=D("7800"))
    assert contract.after_savings == (0,) * 12
    assert contract.monthly_total == contract.instalment == D("100.00")
    assert contract.closing_points == 0
    assert min(m.closing for m in contract.points_curve) == 0


def test_pre_savings_beyond_the_consumption_leave_the_surplus_on_the_points_balance():
    contract = quote(D("1200"), 12, points=D("9000"))
    assert contract.after_saving == 0
    assert contract.closing_points == D("1200")


def test_the_after_saving_formula_is_rounded_up_to_the_penny():
    assert after_saving(D("6250.92"), D("300"), D("20.83")) == D("19.84")  # 19.8303...
    assert after_saving(D("100"), D("100"), D("10")) == 0
    assert after_saving(D("100"), D("150"), D("10")) == 0


@settings(max_examples=120, deadline=None)
@given(
    amount=st.decimals(min_value=D("10"), max_value=D("20000"), places=2),
    months=st.integers(min_value=1, max_value=96),
    share=st.fractions(min_value=0, max_value=Fraction(3, 2)),
)
def test_every_contract_closes_with_points_at_or_above_zero_and_within_a_penny_month(amount, months, share):
    assume(not refusals(amount, months))
    points = (consumption(amount, months) * D(share.numerator) / D(share.denominator)).quantize(D("0.0001"))
    contract = quote(amount, months, points=points)
    assert contract.closing_points >= 0
    if points < contract.points_consumed and contract.first_after_saving > 0:
        assert contract.closing_points < D("0.01")
    assert all(saved >= 0 for saved in contract.after_savings)
    assert contract.after_saving <= contract.instalment


# --- the contract and the day engine agree ---------------------------------------------------------


@pytest.mark.parametrize(
    "amount, months, points",
    [(D("750"), 24, D("0")), (D("500"), 24, D("0")), (D("500"), 24, D("300")), (D("1000"), 48, D("724.92")),
     (D("1200"), 12, D("3900")), (D("333.33"), 7, D("12.3456"))],  # fmt: skip
)
def test_the_points_curve_equals_the_day_engine_when_disbursed_on_the_first(amount, months, points):
    contract = quote(amount, months, points=points)
    assert engine_close(contract, date(2024, 1, 1), points) == Fraction(contract.closing_points)
    flows = dated_flows(contract, date(2024, 1, 1))
    end_of_month_3 = accrue(flows.loan + flows.after_savings, FULL, date(2024, 1, 1), date(2024, 3, 31))
    assert end_of_month_3 + Fraction(points) == Fraction(contract.points_curve[2].closing)


def test_the_points_curve_runs_the_loan_months_then_one_settling_month():
    contract = quote(D("750"), 24)
    assert len(contract.points_curve) == 25
    first, settling = contract.points_curve[0], contract.points_curve[-1]
    assert (first.opening, first.consumed, first.earned, first.closing) == (0, D("750"), 0, D("-750"))
    assert (settling.consumed, settling.earned, settling.closing) == (0, D("750"), 0)


def test_a_mid_month_disbursement_counts_its_partial_months_by_the_day():
    contract = quote(D("1200"), 12)
    assert engine_close(contract, date(2024, 1, 1)) == 0
    mid_month = engine_close(contract, date(2024, 1, 15))
    assert mid_month != 0 and abs(mid_month) < 60  # partial months: a few days' points either way


# --- fees ------------------------------------------------------------------------------------------


def test_fees_follow_the_report_terms():
    contract = quote(D("1000"), 24)
    assert contract.setup_fee == D("35.00")
    assert contract.annual_fee == D("10.00")
    assert contract.annual_fee_count == 2 and contract.annual_fee_months == (1, 13)
    assert contract.share_deposit == D("60.00")
    assert contract.fees_total == D("55.00")


def test_the_annual_fee_is_due_for_every_loan_year_begun():
    assert quote(D("1000"), 48).annual_fee_months == (1, 13, 25, 37)
    assert quote(D("1000"), 30).annual_fee_count == 3
    assert quote(D("1000"), 6).annual_fee_count == 1


def test_fee_rates_are_policy():
    policy = LoanPolicy(setup_fee_rate=D("0.02"), annual_fee_rate=D("0"), share_deposit_rate=D("0.1"))
    contract = quote(D("999.99"), 10, policy=policy)
    assert (contract.setup_fee, contract.annual_fee, contract.share_deposit) == (D("20.00"), 0, D("100.00"))


def test_the_monthly_total_is_the_instalment_plus_the_after_saving():
    contract = quote(D("500"), 24, points=D("300"))
    assert contract.monthly_total == D("20.83") + D("19.84")


# --- early repayment -------------------------------------------------------------------------------


def test_early_repayment_consumes_only_the_months_the_loan_ran_and_locks_the_after_savings_until_points_recover():
    contract = quote(D("1200"), 12)
    settled = early_repayment(contract, 3)
    assert settled.amount_due == D("1000.00")
    assert settled.points_consumed == D("3300")  # 1200 + 1100 + 1000
    assert settled.after_savings_held == D("300.00")
    assert settled.points_at_repayment == D("-3000")  # after-savings earned 0 + 100 + 200
    assert settled.months_locked == 10
    assert settled.points_at_repayment + settled.after_savings_held * settled.months_locked >= 0


def test_early_repayment_in_the_last_month_is_the_ordinary_close_less_the_settling_month():
    contract = quote(D("1200"), 12)
    settled = early_repayment(contract, 12)
    assert settled.amount_due == D("100.00")
    assert settled.months_locked == 1
    assert settled.points_at_repayment == contract.points_curve[11].closing


def test_early_repayment_with_enough_points_locks_nothing():
    settled = early_repayment(quote(D("1200"), 12, points=D("7800")), 2)
    assert settled.months_locked == 0 and settled.points_at_repayment == D("5500")


# --- refusals --------------------------------------------------------------------------------------


def test_months_of_zero_or_less_are_refused_naming_the_field():
    with pytest.raises(LoanRefused) as refused:
        quote(D("500"), 0)
    assert (refused.value.field, refused.value.reason) == ("months", "must be at least one month")
    assert isinstance(refused.value, ValidationFailed)


def test_an_amount_of_zero_or_less_is_refused_naming_the_field():
    assert refusals(D("0"), 12)[0].field == "amount"
    assert refusals(D("-5"), 12)[0].reason == "must be more than zero"
    assert refusals(D("10.005"), 12)[0].reason == "must be a whole number of pence"


def test_a_loan_too_small_for_its_months_cannot_be_scheduled():
    (error,) = refusals(D("0.05"), 10)
    assert error.field == "months" and "at least a penny" in error.reason
    assert refusals(D("10"), 360)  # 0.03 a month would overpay; the last instalment would be negative


def test_points_owed_from_before_that_the_contract_cannot_balance_are_refused():
    (error,) = refusals(D("1200"), 12, points=D("-100"))
    assert error.field == "points" and "cannot balance" in error.reason
    generous = LoanPolicy(max_after_saving_ratio=D("2"))
    assert quote(D("1200"), 12, points=D("-100"), policy=generous).closing_points >= 0


def test_a_pre_saving_period_shorter_than_the_policy_is_refused():
    policy = LoanPolicy(min_pre_saving_months=3)
    assert refusals(D("500"), 12, policy=policy)[0].field == "saved_months"
    assert "fewer than the 3" in refusals(D("500"), 12, policy=policy, saved_months=2)[0].reason
    assert refusals(D("500"), 12, policy=policy, saved_months=3) == ()


def test_a_loan_above_the_policy_multiple_of_savings_is_refused():
    policy = LoanPolicy(max_loan_multiple=D("5"))
    assert refusals(D("500"), 12, policy=policy)[0].field == "savings"
    (error,) = refusals(D("500.01"), 12, policy=policy, savings=D("100"))
    assert error.field == "amount" and "5 times savings" in error.reason
    assert quote(D("500"), 12, policy=policy, savings=D("100")).instalment == D("41.67")


def test_every_reason_is_reported_at_once():
    policy = LoanPolicy(min_pre_saving_months=3, max_loan_multiple=D("2"))
    errors = refusals(D("-1"), 0, policy=policy)
    assert [e.field for e in errors] == ["amount", "months", "saved_months", "savings"]


def test_floats_are_refused_with_a_type_error():
    with pytest.raises(TypeError):
        quote(500.0, 24)
    with pytest.raises(TypeError):
        quote(D("500"), 24, points=1.5)
    with pytest.raises(TypeError):
        quote(D("500"), 24.0)
    with pytest.raises(TypeError):
        LoanPolicy(setup_fee_rate=0.035)


def test_a_contract_is_immutable():
    contract = quote(D("500"), 24)
    with pytest.raises(AttributeError):
        contract.instalment = D("1")
