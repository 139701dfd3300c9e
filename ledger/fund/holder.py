"""Everything a holder has in the fund on a date: accounts, loans, gifts and points."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ledger.folded import Event
from ledger.fund.account import AccountState, account_state
from ledger.fund.common import Streams, money
from ledger.fund.gifts import Gift, gifts_of
from ledger.fund.loan import LoanState, after_savings_by_account, loan_state
from ledger.fund.policy import Policy, factor_on, policies
from ledger.fund.releases import holder_releases
from ledger.money import ZERO
from ledger.rules.points import (
    to_points,
)


@dataclass(frozen=True, slots=True)
class HolderState:
    """Everything a holder has in the fund on `as_of`."""

    holder_id: str
    as_of: date
    accounts: tuple[AccountState, ...]
    loans: tuple[LoanState, ...]
    gifts: tuple[Gift, ...]
    points_exact: Fraction
    policies_by_fund: dict[str, tuple[Policy, ...]]

    @property
    def points(self) -> Decimal:
        return to_points(self.points_exact)

    @property
    def savings(self) -> Decimal:
        return sum((a.balance for a in self.accounts), ZERO)

    @property
    def locked_after_savings(self) -> Decimal:
        return sum((a.locked_balance for a in self.accounts), ZERO)

    @property
    def first_deposit(self) -> date | None:
        days = [a.first_deposit for a in self.accounts if a.first_deposit]
        return min(days) if days else None

    def to_json(self) -> dict[str, Any]:
        given = sum((g.points for g in self.gifts if g.giver == self.holder_id), ZERO)
        got = sum((g.points for g in self.gifts if g.receiver == self.holder_id), ZERO)
        accounts = []
        for a in self.accounts:
            found = self.policies_by_fund.get(a.fund_id, ())
            accounts.append({
                "account_id": a.account_id,
                "fund_id": a.fund_id,
                "kind": a.kind,
                "factor": factor_on(found, a.kind, self.as_of),
                "opened_on": a.opened_on,
                "balance": money(a.balance),
                "free_balance": money(a.free_balance),
                "locked_after_savings": money(a.locked_balance),
                "locked_by_loan": {loan: money(v) for loan, v in a.locked_by_loan.items() if v},
                "points": to_points(a.points(found, self.as_of)),
            })
        return {
            "holder_id": self.holder_id,
            "as_of": self.as_of,
            "accounts": accounts,
            "savings": money(self.savings),
            "locked_after_savings": money(self.locked_after_savings),
            "loans": [{"loan_id": s.contract.loan_id, "status": s.status, "outstanding": money(s.outstanding),
                       "points_consumed": to_points(s.points_consumed)} for s in self.loans],
            "loans_outstanding": money(sum((s.outstanding for s in self.loans), ZERO)),
            "points_gifted_out": to_points(Fraction(given)),
            "points_gifted_in": to_points(Fraction(got)),
            "points": self.points,
        }



def holder_state(holder_id: str, as_of: date, account_streams: Streams,
                 loan_streams: Streams, gift_facts: Iterable[Event],
                 policy_facts: Streams) -> HolderState:
    """A holder's accounts, loans and points on `as_of`, from the streams that concern them.

    `account_streams`/`loan_streams` are the holder's own (by id); `policy_facts`
    the society streams of their funds, by fund id.
    """
    found = {fund: policies(facts) for fund, facts in policy_facts.items()}
    released = holder_releases(holder_id, as_of, account_streams, loan_streams, gift_facts, policy_facts)
    loans = tuple(loan_state(facts, as_of, released) for _, facts in sorted(loan_streams.items()))
    paid = after_savings_by_account(loan_streams)
    accounts = tuple(account_state(facts, as_of, paid.get(account_id, ()), released)
                     for account_id, facts in sorted(account_streams.items()))
    points = Fraction(0)
    for a in accounts:
        points += a.points(found.get(a.fund_id, ()), as_of)
    for s in loans:
        points -= s.points_consumed
    gifts = tuple(g for g in gifts_of(gift_facts) if holder_id in (g.giver, g.receiver) and g.on <= as_of)
    for g in gifts:
        points += Fraction(g.points) * (1 if g.receiver == holder_id else -1)
    return HolderState(holder_id, as_of, accounts, loans, gifts, points, found)
