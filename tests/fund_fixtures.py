"""Builders for JAK fund tests: a fund with a policy, accounts, and a loan run through its schedule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.commands import fund as fund_commands
from ledger.calendar import add_months

ACTOR = "test-clerk"
FUND = "jak1"
D = Decimal


def fund_with_policy(store, on=date(2024, 1, 1), fund=FUND, **terms):
    kinds = terms.pop("kinds", (("jak", D("1"), 0), ("instant", D("0.2"), 0), ("notice", D("0.8"), 30)))
    fund_commands.set_policy(store, fund, on=on, actor=ACTOR, kinds=kinds, **terms)
    return fund


def member_account(store, holder="m1", account=None, kind="jak", on=date(2024, 1, 1), fund=FUND, holder_kind="member"):
    account = account or f"{holder}-{kind}"
    fund_commands.open_account(store, account, fund=fund, holder=holder, holder_kind=holder_kind, kind=kind, on=on, actor=ACTOR)
    return account


def run_loan(store, loan, holder, account, amount, months, on, *, pay_months=None, shares=True):
    """Grant, buy shares, disburse on `on`, then pay the first `pay_months` instalments on their due dates."""
    fund_commands.grant_loan(store, loan, holder=holder, account=account, amount=D(amount), months=months, on=on, actor=ACTOR)
    if shares:
        fund_commands.buy_share_deposit(store, loan, on=on, actor=ACTOR)
    fund_commands.disburse(store, loan, on=on, actor=ACTOR)
    for k in range(1, (months if pay_months is None else pay_months) + 1):
        pay_due(store, loan, on, k)


def pay_due(store, loan, disbursed_on, k):
    """Pay instalment k (repayment + after-saving + any fee due) on its due date."""
    from ledger.commands.fund import StoreReader, _loan

    due = add_months(disbursed_on, k)
    state = _loan(StoreReader(store), loan, due, "test")
    c = state.contract
    amount = c.instalments[k - 1] + c.after_savings[k - 1] + state.fee_arrears
    amount = min(amount, state.outstanding + c.after_savings[k - 1] + state.fee_arrears)
    fund_commands.receive_instalment(store, loan, amount, on=due, actor=ACTOR)
