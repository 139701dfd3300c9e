"""A loan's instalments received count what was paid against what was due, not the payments (issue #10 item 6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ledger.fund.loan import contract_of, instalments_covered, loan_state
from tests.unit.test_fund_folds import Log, granted


def paid(log, on, repayment, after_saving, fee="0"):
    log.add("loan-L", "InstalmentReceived", on, loan_id="L", repayment=repayment, after_saving=after_saving, fee=fee)


def loan(points="3900") -> Log:
    """£1,200 over 12 months with half the points saved: 100.00 repayment + 50.00 after-saving a month."""
    log = Log()
    granted(log, points=points)
    log.add("loan-L", "LoanDisbursed", date(2024, 1, 1), loan_id="L", amount="1200")
    return log


def test_a_part_paid_sixth_instalment_is_not_counted_whole():
    log = loan()
    for month in range(2, 7):
        paid(log, date(2024, month, 1), "100.00", "50.00")
    paid(log, date(2024, 7, 1), "100.00", "0.00")  # the sixth: £100 of £150
    state = loan_state(log.of("loan-L"), date(2024, 7, 15))
    assert state.instalments_due == 6 and state.payments_received == 6
    assert state.instalments_received == 5 and state.instalment_part_paid == D("100.00")
    assert state.arrears == D("50.00")
    shown = state.to_json()
    assert (shown["instalments_received"], shown["instalment_part_paid"], shown["payments_received"]) == (
        5, D("100.00"), 6)


def test_small_payments_add_up_to_whole_instalments():
    log = loan()
    for day in (1, 8, 15, 22):  # 4 x 75 = two instalments of 150
        paid(log, date(2024, 2, day), "50.00", "25.00")
    state = loan_state(log.of("loan-L"), date(2024, 3, 15))
    assert state.payments_received == 4 and state.instalments_received == 2 and state.instalment_part_paid == 0
    paid(log, date(2024, 3, 20), "20.00", "0.00")
    state = loan_state(log.of("loan-L"), date(2024, 3, 31))
    assert state.instalments_received == 2 and state.instalment_part_paid == D("20.00")


def test_an_early_repayment_is_not_an_instalment_until_the_loan_is_cleared():
    log = loan()
    paid(log, date(2024, 2, 1), "600.00", "50.00")  # one instalment, then 500 repaid early
    state = loan_state(log.of("loan-L"), date(2024, 2, 15))
    assert state.instalments_received == 1
    assert state.instalment_part_paid == D("100.00")  # the next instalment's repayment, not the whole 500
    paid(log, date(2024, 3, 1), "600.00", "0.00")  # repaid in full: after-savings stop with the repayment
    state = loan_state(log.of("loan-L"), date(2024, 3, 15))
    assert state.status == "repaid" and state.instalments_received == 12 and state.instalment_part_paid == 0


def test_instalments_covered_by_hand():
    log = loan()
    c = contract_of(log.facts[0])
    assert instalments_covered(c, D("0"), D("0")) == (0, D("0"))
    assert instalments_covered(c, D("99.99"), D("50")) == (0, D("149.99"))
    assert instalments_covered(c, D("300"), D("100")) == (2, D("100"))
    assert instalments_covered(c, D("1200"), D("600")) == (12, D("0"))
