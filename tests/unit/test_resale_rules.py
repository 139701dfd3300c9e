from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.resale import ResalePayout, ResalePolicy, completed_years, repaid_equity, resale_payout

ADMITTED = date(2004, 4, 1)
TEN_PERCENT = ResalePolicy(deduction=D("0.10"))


def report_example(**changes):
    """Report 6.5: 70 x £1,000 units funded, £5,000 deposit, £1,100 principal repaid, values up 10%."""
    arguments = dict(
        deposit=D("5000"),
        principal_repaid=D("1100"),
        funded_units=D("70"),
        unit_value_at_admission=D("1000"),
        unit_value_at_leaving=D("1100"),
        admission_date=ADMITTED,
        leaving_date=date(2009, 4, 1),
        policy=TEN_PERCENT,
    )
    arguments.update(changes)
    return resale_payout(**arguments)


def test_report_6_5_worked_example_pays_twelve_thousand_four_hundred():
    result = report_example()
    assert result.growth == D("7000.00")
    assert result.deduction == D("700.00")
    assert result.payout == D("12400.00")  # 5,000 + 1,100 + 7,000 - 10% of 7,000


def test_leaving_in_a_falling_market_pays_no_growth_and_no_deduction():
    result = report_example(unit_value_at_leaving=D("900"))
    assert result.growth == 0 and result.deduction == 0
    assert result.payout == D("6100")


def test_payout_is_never_negative_even_when_indexed_debt_has_grown():
    result = report_example(principal_repaid=D("-9000"), unit_value_at_leaving=D("800"))
    assert result.payout == 0
    assert result.gross == 0


def test_arrears_are_deducted_from_the_payout_under_the_lien():
    result = report_example(arrears=D("400.50"))
    assert result.arrears_deducted == D("400.50")
    assert result.payout == D("11999.50")
    assert result.unrecovered_arrears == 0


def test_arrears_beyond_the_payout_stay_owed_and_payout_is_zero():
    result = report_example(principal_repaid=D("0"), unit_value_at_leaving=D("1000"), arrears=D("6000"))
    assert result.payout == 0
    assert result.arrears_deducted == D("5000")
    assert result.unrecovered_arrears == D("1000")


def test_before_minimum_tenure_member_gets_deposit_and_principal_only():
    policy = ResalePolicy(deduction=D("0.10"), minimum_tenure_years=3)
    result = report_example(leaving_date=date(2007, 3, 31), policy=policy)
    assert result.tenure_years == 2 and not result.growth_eligible
    assert result.payout == D("6100")


def test_minimum_tenure_is_met_on_the_anniversary():
    policy = ResalePolicy(deduction=D("0.10"), minimum_tenure_years=3)
    assert report_example(leaving_date=date(2007, 4, 1), policy=policy).payout == D("12400.00")


def test_appreciation_cap_limits_the_member_to_a_quarter_of_the_growth():
    policy = ResalePolicy(deduction=D("0.10"), appreciation_cap=D("0.25"))
    result = report_example(policy=policy)
    assert result.deduction == D("5250.00")
    assert result.payout == D("5000") + D("1100") + D("1750.00")


def test_a_generous_cap_does_not_override_the_deduction():
    policy = ResalePolicy(deduction=D("0.10"), appreciation_cap=D("0.95"))
    assert report_example(policy=policy).payout == D("12400.00")


def test_statement_adds_up_to_the_penny():
    result = report_example(funded_units=D("747.333333"), unit_value_at_leaving=D("1000.017"))
    assert result.payout == result.deposit + result.principal_repaid + result.growth - result.deduction
    assert result.growth == result.growth.quantize(D("0.01"))


def test_tenure_counts_whole_years_and_leap_day_anniversaries_fall_on_first_of_march():
    assert completed_years(date(2004, 4, 1), date(2007, 3, 31)) == 2
    assert completed_years(date(2004, 2, 29), date(2007, 2, 28)) == 2
    assert completed_years(date(2004, 2, 29), date(2007, 3, 1)) == 3
    assert completed_years(date(2004, 2, 29), date(2008, 2, 29)) == 4
    with pytest.raises(ValueError, match="leaving_date"):
        completed_years(date(2004, 1, 2), date(2004, 1, 1))


def test_annex_repaid_equity_is_financed_share_of_value_less_debt():
    figure = repaid_equity(
        original_debt=D("108492"), original_value=D("145000"), value_at_leaving=D("160764"), debt_at_leaving=D("107743")
    )
    assert abs(figure - D("12544")) <= 1


def test_floats_and_bad_policy_are_refused_with_the_field_named():
    with pytest.raises(TypeError, match="deposit"):
        report_example(deposit=5000.0)
    with pytest.raises(TypeError, match="unit_value_at_leaving"):
        report_example(unit_value_at_leaving=1100.0)
    with pytest.raises(ValueError, match="deduction"):
        ResalePolicy(deduction=D("1.5"))
    with pytest.raises(ValueError, match="appreciation_cap"):
        ResalePolicy(appreciation_cap=D("-0.1"))
    with pytest.raises(ValueError, match="minimum_tenure_years"):
        ResalePolicy(minimum_tenure_years=-1)
    with pytest.raises(ValueError, match="arrears"):
        report_example(arrears=D("-1"))


def test_result_is_immutable():
    result = report_example()
    assert isinstance(result, ResalePayout)
    with pytest.raises(AttributeError):
        result.payout = D("0")  # type: ignore[misc]


@settings(max_examples=100, deadline=None)
@given(
    deposit=st.integers(0, 50_000),
    principal=st.integers(-20_000, 200_000),
    units=st.integers(0, 1000),
    before=st.integers(1, 1000),
    after=st.integers(1, 1000),
    arrears=st.integers(0, 20_000),
    deduction=st.integers(0, 100),
    cap=st.one_of(st.none(), st.integers(0, 100)),
)
def test_payout_is_never_negative_and_never_more_than_the_unreduced_formula(
    deposit, principal, units, before, after, arrears, deduction, cap
):
    policy = ResalePolicy(deduction=D(deduction) / 100, appreciation_cap=None if cap is None else D(cap) / 100)
    result = report_example(
        deposit=D(deposit),
        principal_repaid=D(principal),
        funded_units=D(units),
        unit_value_at_admission=D(before),
        unit_value_at_leaving=D(after),
        arrears=D(arrears),
        policy=policy,
    )
    assert result.payout >= 0
    assert result.deduction <= result.growth
    assert result.payout <= max(D(deposit) + D(principal) + max(D(units) * (after - before), 0), 0)
    assert result.arrears_deducted + result.unrecovered_arrears == arrears
