"""A savings account on any date: its free balance and the after-savings locked per loan, and their release."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from operator import itemgetter
from typing import Any

from ledger.folded import Event
from ledger.fund.common import EVENT_ORDER, money, ordered
from ledger.fund.policy import FACTOR_ONE, Policy, factor_timeline
from ledger.fund.typed import (
    DEPOSITED,
    OPENED,
    WITHDRAWN,
    account_opened,
    savings_deposited,
    savings_withdrawn,
)
from ledger.money import ZERO
from ledger.rules.points import (
    BalanceChange,
    accrue,
)


@dataclass
class AccountState:
    account_id: str
    fund_id: str
    holder_id: str
    holder_kind: str
    kind: str
    opened_on: date
    free: list[BalanceChange] = field(default_factory=list)
    locked: dict[str, list[BalanceChange]] = field(default_factory=lambda: defaultdict(list))
    deposited: Decimal = ZERO
    withdrawn: Decimal = ZERO
    first_deposit: date | None = None
    released: dict[str, Decimal] = field(default_factory=dict)  # loan -> the locked amount its release moved

    @property
    def free_balance(self) -> Decimal:
        return sum((c.delta for c in self.free), ZERO)

    @property
    def locked_by_loan(self) -> dict[str, Decimal]:
        return {loan: sum((c.delta for c in changes), ZERO) for loan, changes in sorted(self.locked.items())}

    @property
    def locked_balance(self) -> Decimal:
        return sum(self.locked_by_loan.values(), ZERO)

    @property
    def balance(self) -> Decimal:
        return self.free_balance + self.locked_balance

    def points(self, found: tuple[Policy, ...], as_of: date) -> Fraction:
        total = Fraction(0)
        if self.free:
            total += accrue(self.free, factor_timeline(found, self.kind), min(c.on for c in self.free), as_of)
        for changes in self.locked.values():
            if changes:
                total += accrue(changes, FACTOR_ONE, min(c.on for c in changes), as_of)
        return total


def account_opening(account_facts: Iterable[Event]) -> Event:
    """The account's (first) `SavingsAccountOpened`: who holds it, in which fund, from when."""
    opened = [f for f in account_facts if f.type == OPENED]
    if not opened:
        raise ValueError("the account stream has no SavingsAccountOpened")
    return min(opened, key=EVENT_ORDER)


def account_state(account_facts: Iterable[Event], as_of: date,
                  after_savings: Iterable[tuple[date, str, Decimal]] = (),
                  releases: Iterable[Release] = ()) -> AccountState:
    """Fold an account stream up to `as_of`; `after_savings` are (date, loan, amount) paid with instalments,
    `releases` the holder's (holder_releases): each moves its loan's locked balance to the free balance at the
    end of its day, and the loan's after-savings dated later go straight to the free balance. A recorded
    `AfterSavingsReleased` is read as nothing (the fold recomputes it)."""
    facts = ordered(account_facts)
    opened = account_opening(facts)
    p = account_opened(opened)
    state = AccountState(p.account_id, p.fund_id, p.holder_id, p.holder_kind, p.kind, opened.effective_date)
    free, locked, released = state.free, state.locked, state.released
    for on, _, what, loan, amount in sorted(_moves(facts, state.account_id, as_of, after_savings, releases),
                                            key=_move_order):
        # a deposit is free, or locked for its loan until the loan's release; a withdrawal takes from the free
        # balance; a loan's release moves its locked after-savings to the free balance
        if what == "deposit":
            state.deposited += amount
            state.first_deposit = min(state.first_deposit or on, on)
            if loan is None or loan in released:
                free.append(BalanceChange(on, amount))
            else:
                locked[loan].append(BalanceChange(on, amount))
        elif what == "withdraw":
            state.withdrawn += amount
            free.append(BalanceChange(on, -amount))
        elif loan is not None and loan not in released:
            moved = sum((c.delta for c in locked.get(loan, ())), ZERO)
            released[loan] = moved
            if moved:
                locked[loan].append(BalanceChange(on, -moved))
                free.append(BalanceChange(on, moved))
    return state


_move_order = itemgetter(0, 1)  # (day, order in the day)


Move = tuple[date, int, str, str | None, Decimal]  # (day, order in the day, deposit|withdraw|release, loan, amount)


def _moves(facts: Iterable[Event], account_id: str, as_of: date, after_savings: Iterable[tuple[date, str, Decimal]],
           releases: Iterable[Release]) -> list[Move]:
    """What moves the account's balances up to `as_of`: its deposits and withdrawals, the after-savings paid with
    instalments, and its loans' releases (each after everything else of its day)."""
    moves: list[Move] = []
    for f in facts:
        if f.effective_date > as_of:
            continue
        if f.type == DEPOSITED:
            deposit = savings_deposited(f)
            moves.append((f.effective_date, f.position, "deposit", deposit.loan, deposit.amount))
        elif f.type == WITHDRAWN:
            moves.append((f.effective_date, f.position, "withdraw", None, savings_withdrawn(f).amount))
    for day, paid_for, paid in after_savings:
        if day <= as_of and paid:
            moves.append((day, 0, "deposit", paid_for, paid))
    for r in releases:
        if r.on <= as_of and r.account_id == account_id:
            moves.append((r.on, RELEASED_LAST, "release", r.loan_id, ZERO))
    return moves


RELEASED_LAST = 1 << 62  # a release is taken after everything else dated on its day


@dataclass(frozen=True, slots=True)
class Release:
    """A repaid loan's locked after-savings moved to the free balance of its account on `on`."""

    on: date
    loan_id: str
    account_id: str
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"loan_id": self.loan_id, "account_id": self.account_id, "on": self.on, "amount": money(self.amount)}
