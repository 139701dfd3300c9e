"""The fund's product policy over time: fees, share deposit, pre-saving rules and each account kind's savings factor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.folded import Event
from ledger.fund.common import EPOCH, ONE, ordered
from ledger.fund.typed import POLICY_SET, policy_set
from ledger.money import ZERO
from ledger.rules.loans import LoanPolicy
from ledger.rules.points import (
    FactorChange,
)

# The report's terms, used when a fund has no policy recorded (DOMAIN; docs/rules-fund.md).
REPORT_POLICY = LoanPolicy()




@dataclass(frozen=True, slots=True)
class Kind:
    kind: str
    factor: Decimal
    notice_days: int


@dataclass(frozen=True, slots=True)
class Policy:
    """A FundPolicySet in force from `effective`."""

    fund_id: str
    effective: date
    setup_fee: Decimal
    annual_fee: Decimal
    share_deposit: Decimal
    minimum_presaving_months: int
    maximum_loan_multiple: Decimal | None
    kinds: dict[str, Kind]

    def loan_policy(self) -> LoanPolicy:
        return LoanPolicy(
            setup_fee_rate=self.setup_fee,
            annual_fee_rate=self.annual_fee,
            share_deposit_rate=self.share_deposit,
            min_pre_saving_months=self.minimum_presaving_months,
            max_loan_multiple=self.maximum_loan_multiple,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "effective": self.effective,
            "setup_fee": self.setup_fee,
            "annual_fee": self.annual_fee,
            "share_deposit": self.share_deposit,
            "minimum_presaving_months": self.minimum_presaving_months,
            "maximum_loan_multiple": self.maximum_loan_multiple,
            "account_kinds": {k.kind: {"factor": k.factor, "notice_days": k.notice_days} for k in self.kinds.values()},
        }


def policies(facts: Iterable[Event]) -> tuple[Policy, ...]:
    """Every FundPolicySet of a fund, in effective order (position breaks ties)."""
    found = []
    for f in ordered(facts):
        if f.type != POLICY_SET:
            continue
        p = policy_set(f)
        kinds = {k.kind: Kind(k.kind, k.factor, k.notice_days) for k in p.account_kinds}
        found.append(Policy(p.fund_id, f.effective_date, p.setup_fee, p.annual_fee, p.share_deposit,
                            p.minimum_presaving_months, p.maximum_loan_multiple, kinds))
    return tuple(found)


def policy_at(found: tuple[Policy, ...], day: date) -> Policy | None:
    """The policy in force on `day`, or None before the first."""
    best = None
    for p in found:
        if p.effective <= day:
            best = p
    return best


def factor_timeline(found: tuple[Policy, ...], kind: str) -> tuple[FactorChange, ...]:
    """The kind's savings factor over time: 0 until a policy names it; a policy that omits it keeps the last."""
    changes = [FactorChange(EPOCH, ZERO)]
    for p in found:
        if kind in p.kinds and p.effective > EPOCH:
            changes.append(FactorChange(p.effective, p.kinds[kind].factor))
    return tuple(changes)


FACTOR_ONE = (FactorChange(EPOCH, ONE),)



def factor_on(found: tuple[Policy, ...], kind: str, day: date) -> Decimal:
    best = ZERO
    for change in factor_timeline(found, kind):
        if change.effective <= day:
            best = change.factor
    return best
