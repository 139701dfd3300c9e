"""The fund's folds (ledger/fund/) on hand-made events: no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

from ledger.fund.account import Release, account_state
from ledger.fund.flows import fund_flows, position_of
from ledger.fund.forecast import forecast_years
from ledger.fund.holder import holder_state
from ledger.fund.loan import contract_of, loan_state
from ledger.fund.policy import factor_on, policies
from ledger.fund.releases import PointsCurve, holder_releases
from ledger.rules.loans import quote
from ledger.store.records import FoldedEvent


class Log:
    def __init__(self) -> None:
        self.facts: list[FoldedEvent] = []

    def add(self, stream, type_, on, **payload) -> FoldedEvent:
        fact = FoldedEvent(len(self.facts) + 1, stream, type_, 1, on, payload)
        self.facts.append(fact)
        return fact

    def of(self, stream):
        return [f for f in self.facts if f.stream == stream]


def policy(log, on, **kinds):
    log.add("society-f", "FundPolicySet", on, fund_id="f", setup_fee="0.035", annual_fee="0.01", share_deposit="0.06",
            minimum_presaving_months=0, maximum_loan_multiple=None,
            account_kinds=[{"kind": k, "factor": v, "notice_days": 0} for k, v in kinds.items()])


def granted(log, loan="L", amount="1200", months=12, points="0", on=date(2024, 1, 1), recorded=True):
    c = quote(D(amount), months, D(points))
    extra = dict(final_instalment=str(c.final_instalment), first_after_saving=str(c.first_after_saving),
                 final_after_saving=str(c.final_after_saving)) if recorded else {}
    return log.add(f"loan-{loan}", "LoanGranted", on, loan_id=loan, fund_id="f", holder_id="m", account_id="a",
                   principal=amount, months=months, instalment=str(c.instalment), points_used=points,
                   after_saving=str(c.after_saving), setup_fee=str(c.setup_fee), annual_fee=str(c.annual_fee),
                   share_deposit=str(c.share_deposit), **extra)


def test_a_factor_change_applies_from_its_date_and_a_policy_that_omits_a_kind_keeps_it():
    log = Log()
    policy(log, date(2024, 1, 1), jak="1", instant="0.1")
    policy(log, date(2024, 6, 1), jak="0.9")
    found = policies(log.facts)
    assert factor_on(found, "jak", date(2024, 5, 31)) == 1 and factor_on(found, "jak", date(2024, 6, 1)) == D("0.9")
    assert factor_on(found, "instant", date(2025, 1, 1)) == D("0.1")
    assert factor_on(found, "jak", date(2023, 12, 31)) == 0


def test_a_contract_without_its_optional_fields_is_recomputed_to_the_same_schedule():
    log = Log()
    full, bare = granted(log, "A", "500", 24), granted(log, "B", "500", 24, recorded=False)
    a, b = contract_of(full), contract_of(bare)
    assert a.instalments == b.instalments and a.after_savings == b.after_savings
    assert a.instalments[-1] == D("20.91") and sum(a.instalments) == 500


def test_loan_state_counts_due_received_arrears_and_points():
    log = Log()
    granted(log)
    log.add("loan-L", "LoanDisbursed", date(2024, 1, 1), loan_id="L", amount="1200")
    log.add("loan-L", "FeeCharged", date(2024, 1, 1), loan_id="L", kind="setup", amount="42.00")
    log.add("loan-L", "InstalmentReceived", date(2024, 2, 1), loan_id="L", repayment="100", after_saving="100", fee="0")
    state = loan_state(log.of("loan-L"), date(2024, 3, 10))
    assert state.outstanding == 1100 and state.instalments_due == 2 and state.instalments_received == 1
    assert state.arrears == 200 and state.fee_arrears == 12 and state.next_due == date(2024, 4, 1)
    assert state.points_consumed == 1200 + 1100 * Fraction(10, 31) + 1100  # Jan, Feb, 1-10 Mar


def test_a_holder_points_are_accounts_less_loans_plus_gifts():
    log = Log()
    policy(log, date(2024, 1, 1), jak="1")
    log.add("account-a", "SavingsAccountOpened", date(2024, 1, 1), account_id="a", fund_id="f", holder_id="m",
            holder_kind="member", kind="jak")
    log.add("account-a", "SavingsDeposited", date(2024, 1, 1), account_id="a", amount="300", after_saving_for_loan=None)
    log.add("member-x", "PointsGifted", date(2024, 2, 1), from_member_id="x", to_member_id="m", points="12.5")
    state = holder_state("m", date(2024, 2, 29), {"a": log.of("account-a")}, {}, log.of("member-x"),
                         {"f": log.of("society-f")})
    assert state.points == D("612.5000") and state.savings == 300


def test_after_savings_are_locked_by_loan_and_released_into_the_free_balance():
    log = Log()
    log.add("account-a", "SavingsAccountOpened", date(2024, 1, 1), account_id="a", fund_id="f", holder_id="m",
            holder_kind="member", kind="jak")
    # written by `settle` before the release was a fold: read as nothing
    log.add("account-a", "AfterSavingsReleased", date(2024, 4, 1), account_id="a", loan_id="L", amount="30")
    paid = [(date(2024, 2, 1), "L", D("10")), (date(2024, 3, 1), "L", D("20"))]
    assert account_state(log.of("account-a"), date(2024, 4, 1), paid).locked_by_loan == {"L": 30}
    released = [Release(date(2024, 4, 1), "L", "a", D("30"))]
    before = account_state(log.of("account-a"), date(2024, 3, 31), paid, released)
    assert before.locked_by_loan == {"L": 30} and before.free_balance == 0
    after = account_state(log.of("account-a"), date(2024, 4, 1), paid, released)
    assert after.locked_balance == 0 and after.free_balance == 30 and after.released == {"L": 30}


def test_the_points_curve_finds_the_first_day_back_at_zero_or_above():
    from ledger.rules.points import BalanceChange, FactorChange

    loan = [BalanceChange(date(2024, 1, 1), D("-310")), BalanceChange(date(2024, 1, 11), D("310"))]
    saved = [BalanceChange(date(2024, 1, 1), D("31"))]
    curve = PointsCurve([(loan, [FactorChange(date(1900, 1, 1), D(1))]),
                         (saved, [FactorChange(date(1900, 1, 1), D(1))])])
    # 1..10 Jan: -279 a month, so -90 by the 10th; then +31 a month: back at zero or above about 3 months on
    assert curve.on(date(2024, 1, 10)) == -90
    day = curve.first_day_at_or_above_zero(date(2024, 1, 11), date(2025, 1, 1))
    assert curve.on(day) >= 0 > curve.on(date.fromordinal(day.toordinal() - 1))
    assert curve.first_day_at_or_above_zero(date(2024, 1, 11), date(2024, 2, 1)) is None


def test_a_release_is_the_day_after_the_points_are_back_and_changes_later_points():
    log = Log()
    policy(log, date(2024, 1, 1), jak="0.5")
    log.add("account-a", "SavingsAccountOpened", date(2024, 1, 1), account_id="a", fund_id="f", holder_id="m",
            holder_kind="member", kind="jak")
    granted(log, "L", "1200", 12, on=date(2024, 1, 1))
    log.add("loan-L", "LoanDisbursed", date(2024, 1, 1), loan_id="L", amount="1200")
    for k in range(1, 13):
        log.add("loan-L", "InstalmentReceived", date(2024 + (k // 12), k % 12 + 1, 1), loan_id="L",
                repayment="100.00", after_saving="100.00", fee="0")
    streams = ({"a": log.of("account-a")}, {"L": log.of("loan-L")}, [], {"f": log.of("society-f")})
    (r,) = holder_releases("m", date(2026, 1, 1), *streams)
    assert r == Release(date(2025, 2, 1), "L", "a", D("1200.00"))  # the day after the settling month
    assert holder_releases("m", date(2025, 1, 31), *streams) == ()
    after = holder_state("m", date(2025, 3, 31), *streams)
    assert after.locked_after_savings == 0 and after.loans[0].locked_after_savings == 0
    # from the release on, the 1,200 earns at the kind's factor 0.5, not 1: 600 points a month
    assert after.points_exact - holder_state("m", date(2025, 2, 28), *streams).points_exact == 600


def test_the_year_table_is_the_liquidity_formula():
    log = Log()
    log.add("account-a", "SavingsDeposited", date(2024, 1, 1), account_id="a", amount="1000", after_saving_for_loan=None)
    log.add("loan-L", "LoanDisbursed", date(2024, 6, 1), loan_id="L", amount="600")
    log.add("loan-L", "ShareDepositBought", date(2024, 6, 1), loan_id="L", amount="36")
    log.add("loan-L", "LoanWrittenOff", date(2025, 2, 1), loan_id="L", amount="100", reason="gone")
    log.add("society-f", "FundExpense", date(2025, 3, 1), fund_id="f", amount="50", purpose="audit")
    flows = fund_flows(log.of("society-f"), log.of("account-a"), log.of("loan-L"))
    rows = forecast_years(flows, date(2024, 1, 1), 2)
    assert rows[0]["fund_balance"] == 436 and rows[0]["lowest_balance"] == 0
    # a write-off moves no cash: loans outstanding fall by what the loss adds to expenses
    assert rows[1]["expenses"] == 50 and rows[1]["written_off"] == 100 and rows[1]["fund_balance"] == 436 - 50
    assert position_of(flows, date(2025, 12, 31)).liquidity == rows[1]["fund_balance"]
