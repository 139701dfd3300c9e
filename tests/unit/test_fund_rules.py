from decimal import Decimal as D

import pytest

from examples.appendix6 import (
    APPENDIX_6,
    APPENDIX_6_AS_PRINTED,
    APPENDIX_6_PRINTED,
    ForecastPlan,
    GroupPlan,
    LandlordPlan,
    compare,
    forecast,
    group_contracts,
    printed_layout,
)
from ledger.rules.fund import FundPosition, can_fund, funding_refusal, liquidity

INFLOW_ROWS = ("landlord_saving", "shares_purchased", "fees_on_new_loans", "fees_on_existing_loans")

# --- liquidity -------------------------------------------------------------------------------------


def test_liquidity_is_savings_plus_shares_plus_fees_less_loans_and_expenses():
    assert liquidity(D("10000"), D("600"), D("450"), D("9000"), D("1500")) == D("550")


def test_a_loan_that_leaves_liquidity_at_exactly_zero_can_be_funded():
    position = FundPosition(savings=D("1000"), loans_outstanding=D("400"))
    assert position.liquidity == D("600")
    assert can_fund(position, D("600"))
    assert not can_fund(position, D("600.01"))


def test_a_loan_the_fund_cannot_fund_is_refused_naming_the_field_and_the_shortfall():
    error = funding_refusal(FundPosition(savings=D("100")), D("250"))
    assert error.field == "amount"
    assert "has 100 to lend, less than the 250" in error.reason
    assert funding_refusal(FundPosition(savings=D("100")), D("0")).reason == "must be more than zero"


def test_a_position_moves_by_flows_without_changing():
    position = FundPosition()
    later = position.plus(savings=D("50"), loans_outstanding=D("20"))
    assert position.liquidity == 0 and later.liquidity == D("30")


def test_floats_are_refused_with_a_type_error():
    with pytest.raises(TypeError):
        liquidity(1.0, D("0"), D("0"), D("0"), D("0"))
    with pytest.raises(TypeError):
        FundPosition(savings=1.0)
    with pytest.raises(TypeError):
        can_fund(FundPosition(), 1.0)
    with pytest.raises(TypeError):
        GroupPlan("A", 5, 500.0, 6)


# --- the forecast as the report prints it ----------------------------------------------------------


def test_the_printed_appendix_6_table_is_reproduced_to_the_pound_except_year_6_annual_fees():
    differences = compare(forecast(APPENDIX_6_AS_PRINTED))
    assert [(d.row, d.year, d.forecast, d.printed) for d in differences] == [
        ("Fees on existing loans", 6, D("300.00"), D("250")),
        ("Total inflows", 6, D("13637.50"), D("13588")),
        ("Fund balance", 6, D("22006.05"), D("21956")),
    ]


def test_the_report_s_year_6_annual_fees_leave_out_one_5000_loan():
    # In year 6 the loans in their fee years are the three second loans
    # (5,000 + 7,500 + 10,000) and the landlord's new 7,500: 1% of 30,000.
    # The print's 250 is 1% of 25,000.
    year_6 = forecast(APPENDIX_6_AS_PRINTED)[5]
    assert year_6.fees_on_existing_loans == D("300.00")
    assert APPENDIX_6_PRINTED["Fees on existing loans"][5] * 100 == D("25000")


def test_the_print_s_fees_are_its_own_exact_figures_rounded_to_the_pound():
    rows = forecast(APPENDIX_6_AS_PRINTED)
    assert [r.fees_on_new_loans for r in rows] == [D("87.50"), D("306.25"), D("437.50"), D("612.50"), 0,
                                                    D("262.50")]  # fmt: skip
    assert [r.shares_purchased for r in rows] == [D("150"), D("525"), D("750"), D("1050"), 0, D("450")]


def test_contract_instalments_differ_from_the_print_s_unrounded_l_over_n_by_pennies_that_cancel_out():
    first = [g for r in forecast(APPENDIX_6_AS_PRINTED) for g in r.groups if g.name == "First"]
    assert [g.first_repaid for g in first[:3]] == [D("624.90"), D("1249.80"), D("625.30")]
    assert sum(g.first_repaid for g in first) == D("2500")


def test_each_year_s_rows_add_up_to_its_totals_and_the_balance_carries_forward():
    for plan in (APPENDIX_6_AS_PRINTED, APPENDIX_6):
        balance = D("0")
        for row in forecast(plan):
            inflows = sum(getattr(row, name) for name in INFLOW_ROWS) + sum(
                g.savings + g.first_repaid + g.second_repaid for g in row.groups
            )
            outflows = row.landlord_expenses + row.shares_refunded + sum(
                g.borrowed + g.savings_released for g in row.groups
            )
            assert (row.total_inflows, row.total_outflows) == (inflows, outflows)
            balance += inflows - outflows
            assert row.fund_balance == balance


def test_the_forecast_shows_what_the_print_s_year_end_balances_hide():
    # The third group's loans are paid out in July of years 2 and 4, before
    # that year's savings and repayments have come in.
    rows = forecast(APPENDIX_6_AS_PRINTED)
    assert rows[1].unfunded == ("Third group, month 7: 5000",)
    assert rows[3].unfunded == ("Third group, month 7: 10000",)
    assert rows[1].lowest_balance < 0 < rows[1].fund_balance
    assert all(not r.unfunded for r in (rows[0], rows[2], rows[4], rows[5]))


def test_the_printed_layout_has_every_printed_row():
    assert set(printed_layout(forecast(APPENDIX_6))) == set(APPENDIX_6_PRINTED)


# --- the forecast from contracts -------------------------------------------------------------------


def test_the_jak_reading_saves_by_contract_and_every_contract_closes_at_or_above_zero():
    for group in APPENDIX_6.groups:
        first, second = group_contracts(group)
        pre = group.first_loan * group.pre_saving_rate
        assert first.available_points == pre * group.pre_saving_lead_months
        assert first.closing_points >= 0 and second.closing_points >= 0
        assert second.available_points > 0  # the pre-saving kept earning through the first loan


def test_the_first_group_pre_saves_ten_per_cent_six_months_ahead_then_after_saves_with_each_instalment():
    first, _ = group_contracts(APPENDIX_6.groups[0])
    assert first.available_points == D("300.00")  # £50 for six months
    assert (first.instalment, first.after_saving) == (D("20.83"), D("19.84"))
    year_1 = forecast(APPENDIX_6)[0].groups[0]
    assert year_1.savings == 5 * D("50.00") + 5 * (first.first_after_saving + 5 * first.after_saving)


def test_the_jak_reading_charges_no_fees_on_the_landlord_s_own_savings_and_returns_share_deposits():
    rows = forecast(APPENDIX_6)
    assert rows[2].shares_purchased == D("300.00")  # 6% of the first group's second loans only
    assert rows[2].shares_refunded == D("375.00")  # first and second groups' first loans repaid
    assert rows[5].fees_on_new_loans == 0


def test_the_jak_reading_still_pays_the_third_group_before_the_fund_can():
    rows = forecast(APPENDIX_6)
    assert rows[1].unfunded and rows[3].unfunded
    assert rows[1].lowest_balance > D("-200")


def test_a_plan_whose_pre_saving_reaches_back_before_the_forecast_is_refused():
    with pytest.raises(ValueError, match="before the forecast"):
        GroupPlan("Early", 5, D("500"), draws_in_month=2, pre_saving_lead_months=6)


def test_a_longer_plan_releases_the_savings_when_the_last_contract_closes():
    group = GroupPlan("Solo", 1, D("1200"), draws_in_month=6, first_months=12, second_months=12)
    plan = ForecastPlan(years=4, groups=(group,), landlord=LandlordPlan(saving_per_year=D("0")))
    rows = forecast(plan)
    released = sum(g.savings_released for r in rows for g in r.groups)
    saved = sum(g.savings for r in rows for g in r.groups)
    assert released == saved  # released at the end of month 6 + 12 + 12 + 1
    assert rows[-1].fund_balance == sum(r.fees_on_new_loans + r.fees_on_existing_loans for r in rows)
