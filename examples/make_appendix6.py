"""Write examples/appendix6.jsonl: the report's Appendix 6 as the ledger's events.

    python examples/make_appendix6.py > examples/appendix6.jsonl
    mutual --db sqlite:///app6.db init
    mutual --db sqlite:///app6.db import examples/appendix6.jsonl
    mutual --db sqlite:///app6.db fund forecast app6 --years 6

Thirty residents, half of them in the scheme: three groups of five borrow
£500, £750 and £1,000 over 24 months after saving 10% in advance, then each
a loan of double over 48 months; 3.5% set-up, 1% a year, 6% shares; the
co-op's £2,500-a-year landlord sinking fund, spent every three years.

This is the JAK reading of the appendix (`examples.appendix6.APPENDIX_6`):
the contracts come from `examples.appendix6.group_contracts` (so from
`ledger.rules.loans.quote`), savings are the 10% pre-saving six months
ahead and the contracts' after-savings, share deposits come back with the
last instalment, and the landlord spends its own savings (a withdrawal, no
fees). Timing follows the forecast's month convention (docs/rules-fund.md):
payouts, fees and shares on the 1st of the month; instalment k with its
after-saving on the LAST day of loan month k (the month it falls due in,
as the report books it); the landlord pays in on 1 January and spends on
31 December of years 3 and 6. The fifteen residents outside the scheme
have no events.
"""

from __future__ import annotations

import calendar
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from examples.appendix6 import APPENDIX_6, ForecastPlan, group_contracts
from ledger import streams
from ledger.calendar import add_months
from ledger.events.fund import (
    FeeCharged,
    FundPolicySet,
    InstalmentReceived,
    LoanDisbursed,
    LoanGranted,
    SavingsAccountOpened,
    SavingsDeposited,
    SavingsWithdrawn,
    ShareDepositBought,
    ShareDepositReleased,
)
from ledger.money import money_text, round_money
from ledger.rules.loans import LoanContract
from ledger.rules.points import to_points

FUND = "app6"
START = date(2004, 1, 1)
ACTOR = "appendix-6"


def month_start(month: int) -> date:
    return add_months(START, month)


def month_end(month: int) -> date:
    first = month_start(month)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def points_text(value: Decimal) -> str:
    text = format(to_points(value).normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


class Log:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def add(self, stream: str, type_: str, on: date, payload: dict[str, Any], key: str) -> None:
        self.lines.append({"stream": stream, "type": type_, "effective_date": on.isoformat(), "payload": payload,
                           "metadata": {"actor": ACTOR}, "idempotency_key": key})


def loan_events(log: Log, loan: str, holder: str, account: str, contract: LoanContract, month: int) -> None:
    """One contract, paid out at the start of `month` and paid to the day."""
    paid_out = month_start(month)
    stream = streams.loan(loan)
    log.add(stream, LoanGranted.event_type, paid_out, {
        "loan_id": loan, "fund_id": FUND, "holder_id": holder, "account_id": account,
        "principal": money_text(contract.amount), "months": contract.months,
        "instalment": money_text(contract.instalment), "points_used": points_text(contract.available_points),
        "after_saving": money_text(contract.after_saving), "setup_fee": money_text(contract.setup_fee),
        "annual_fee": money_text(contract.annual_fee), "share_deposit": money_text(contract.share_deposit),
        "final_instalment": money_text(contract.final_instalment),
        "first_after_saving": money_text(contract.first_after_saving),
        "final_after_saving": money_text(contract.final_after_saving)}, f"grant:{loan}")
    shares = {"loan_id": loan, "amount": money_text(contract.share_deposit)}
    log.add(stream, ShareDepositBought.event_type, paid_out, shares, f"shares:{loan}")
    log.add(stream, LoanDisbursed.event_type, paid_out, {"loan_id": loan, "amount": money_text(contract.amount)},
            f"disburse:{loan}")
    setup = {"loan_id": loan, "kind": "setup", "amount": money_text(contract.setup_fee)}
    log.add(stream, FeeCharged.event_type, paid_out, setup, f"fee:{loan}:setup")
    for year, due in enumerate(contract.annual_fee_months, start=1):
        annual = {"loan_id": loan, "kind": "annual", "amount": money_text(contract.annual_fee)}
        log.add(stream, FeeCharged.event_type, month_start(month + due - 1), annual, f"fee:{loan}:annual:{year}")
    for k, (paid, saved) in enumerate(zip(contract.instalments, contract.after_savings, strict=True), start=1):
        log.add(stream, InstalmentReceived.event_type, month_end(month + k - 1),
                {"loan_id": loan, "repayment": money_text(paid), "after_saving": money_text(saved), "fee": "0.00"},
                f"instalment:{loan}:{k}")
    log.add(stream, ShareDepositReleased.event_type, month_end(month + contract.months - 1),
            {"loan_id": loan, "amount": money_text(contract.share_deposit)}, f"shares-back:{loan}")


def build(plan: ForecastPlan = APPENDIX_6) -> list[dict[str, Any]]:
    log = Log()
    policy = plan.policy
    log.add(streams.society(FUND), FundPolicySet.event_type, START, {
        "fund_id": FUND, "setup_fee": str(policy.setup_fee_rate), "annual_fee": str(policy.annual_fee_rate),
        "share_deposit": str(policy.share_deposit_rate), "minimum_presaving_months": 0,
        "maximum_loan_multiple": None, "account_kinds": [{"kind": "jak", "factor": "1", "notice_days": 0}]},
        f"policy:{FUND}:{START}")
    landlord = plan.landlord
    log.add("account-landlord", SavingsAccountOpened.event_type, START, {
        "account_id": "landlord", "fund_id": FUND, "holder_id": "coop-landlord", "holder_kind": "coop", "kind": "jak"},
        "open:landlord")
    for year in range(plan.years):
        log.add("account-landlord", SavingsDeposited.event_type, month_start(12 * year), {
            "account_id": "landlord", "amount": money_text(landlord.saving_per_year), "after_saving_for_loan": None},
            f"landlord:save:{year + 1}")
    for year in range(landlord.spend_every_years, plan.years + 1, landlord.spend_every_years):
        log.add("account-landlord", SavingsWithdrawn.event_type, month_end(12 * year - 1), {
            "account_id": "landlord", "amount": money_text(landlord.saving_per_year * landlord.spend_every_years),
            "notice_given_on": None}, f"landlord:spend:{year}")
    number = 0
    for group in plan.groups:
        first, second = group_contracts(group, policy)
        pre = round_money(group.first_loan * group.pre_saving_rate)
        opened = group.draws_in_month - group.pre_saving_lead_months
        for _ in range(group.members):
            number += 1
            member, account = f"r{number:02d}", f"r{number:02d}-jak"
            log.add(streams.account(account), SavingsAccountOpened.event_type, month_start(opened), {
                "account_id": account, "fund_id": FUND, "holder_id": member, "holder_kind": "member", "kind": "jak"},
                f"open:{account}")
            log.add(streams.account(account), SavingsDeposited.event_type, month_start(opened), {
                "account_id": account, "amount": money_text(pre), "after_saving_for_loan": None}, f"presave:{account}")
            loan_events(log, f"{member}-1", member, account, first, group.draws_in_month)
            loan_events(log, f"{member}-2", member, account, second, group.draws_in_month + first.months)
    horizon = add_months(START, 12 * plan.years) - timedelta(days=1)
    inside = [line for line in log.lines if line["effective_date"] <= horizon.isoformat()]
    # the log in date order, as a treasurer would have recorded it
    return sorted(inside, key=lambda line: line["effective_date"])


def main() -> None:
    out = sys.stdout.buffer
    for line in build():
        out.write(orjson.dumps(line))
        out.write(b"\n")


if __name__ == "__main__":
    main()
