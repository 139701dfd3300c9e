"""A loan on any date: its contract, what is owed, due, received and in arrears (a fold of its stream)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from ledger.calendar import add_months
from ledger.folded import Event
from ledger.fund.common import Streams, money_json, ordered
from ledger.fund.policy import FACTOR_ONE
from ledger.fund.typed import (
    DISBURSED,
    FEE,
    GRANTED,
    RECEIVED,
    SHARES_BOUGHT,
    SHARES_RELEASED,
    WRITTEN_OFF,
    fee_charged,
    instalment_received,
    loan_disbursed,
    loan_granted,
    loan_written_off,
    share_deposit_bought,
    share_deposit_released,
)
from ledger.money import ZERO
from ledger.rules.loans import LoanPolicy, quote
from ledger.rules.points import (
    BalanceChange,
    accrue,
    to_points,
)

if TYPE_CHECKING:
    from ledger.fund.account import Release




@dataclass(frozen=True, slots=True)
class Contract:
    """A LoanGranted, with its full schedule (recorded, or recomputed from points_used)."""

    loan_id: str
    fund_id: str
    holder_id: str
    account_id: str
    granted_on: date
    principal: Decimal
    months: int
    points_used: Decimal
    instalments: tuple[Decimal, ...]
    after_savings: tuple[Decimal, ...]
    setup_fee: Decimal
    annual_fee: Decimal
    share_deposit: Decimal

    @property
    def annual_fee_count(self) -> int:
        return -(-self.months // 12)

    @property
    def monthly_total(self) -> Decimal:
        return self.instalments[0] + (self.after_savings[1] if self.months > 2 else self.after_savings[0])


def contract_of(fact: Event) -> Contract:
    """A LoanGranted's contract; the schedule figures a grant left out are recomputed from its points used."""
    g = loan_granted(fact)
    final_instalment, first, final = g.final_instalment, g.first_after_saving, g.final_after_saving
    if final_instalment is None or first is None or final is None:
        recomputed = quote(g.principal, g.months, g.points_used, LoanPolicy(ZERO, ZERO, ZERO))
        final_instalment = recomputed.final_instalment if final_instalment is None else final_instalment
        first = recomputed.first_after_saving if first is None else first
        final = recomputed.final_after_saving if final is None else final
    months = g.months
    schedule = (g.instalment,) * (months - 1) + (final_instalment,)
    saved = (final,) if months == 1 else (first,) + (g.after_saving,) * (months - 2) + (final,)
    return Contract(g.loan_id, g.fund_id, g.holder_id, g.account_id, fact.effective_date, g.principal, months,
                    g.points_used, schedule, saved, g.setup_fee, g.annual_fee, g.share_deposit)


@dataclass(frozen=True, slots=True)
class LoanState:
    """A loan on `as_of`: what is owed, due, received and in arrears."""

    contract: Contract
    as_of: date
    status: str  # granted | disbursed | repaid | written_off
    disbursed_on: date | None
    disbursed: Decimal
    repaid: Decimal
    written_off: Decimal
    repaid_on: date | None
    instalments_due: int
    repayment_due: Decimal
    after_saving_due: Decimal
    instalments_received: int  # whole instalments the money received covers (instalments_covered), not payments
    after_savings_paid: Decimal
    after_savings_released: Decimal
    fees_due: Decimal
    fees_paid: Decimal
    share_deposit_paid: Decimal
    share_deposit_released: Decimal
    next_due: date | None
    loan_changes: tuple[BalanceChange, ...]
    instalment_part_paid: Decimal = ZERO  # received towards the instalment after the whole ones
    payments_received: int = 0  # InstalmentReceived events, whatever each paid

    @property
    def outstanding(self) -> Decimal:
        return self.disbursed - self.repaid - self.written_off

    @property
    def repayment_arrears(self) -> Decimal:
        if self.status == "written_off":
            return ZERO
        return max(self.repayment_due - self.repaid, ZERO)

    @property
    def after_saving_arrears(self) -> Decimal:
        if self.status == "written_off":
            return ZERO
        return max(self.after_saving_due - self.after_savings_paid, ZERO)

    @property
    def fee_arrears(self) -> Decimal:
        return max(self.fees_due - self.fees_paid, ZERO)

    @property
    def arrears(self) -> Decimal:
        return self.repayment_arrears + self.after_saving_arrears

    @property
    def locked_after_savings(self) -> Decimal:
        return self.after_savings_paid - self.after_savings_released

    @property
    def points_consumed(self) -> Fraction:
        """Points the loan has consumed through as_of (a positive figure)."""
        if not self.loan_changes:
            return Fraction(0)
        return -accrue(self.loan_changes, FACTOR_ONE, self.loan_changes[0].on, self.as_of)

    def due_date(self, k: int) -> date:
        """Instalment k (1..n) falls due k months after the disbursement (docs/rules-fund.md)."""
        if self.disbursed_on is None:
            raise ValueError(f"loan {self.contract.loan_id} is not paid out: no instalment falls due")
        return add_months(self.disbursed_on, k)

    def to_json(self) -> dict[str, Any]:
        c = self.contract
        data = {
            "loan_id": c.loan_id,
            "fund_id": c.fund_id,
            "holder_id": c.holder_id,
            "account_id": c.account_id,
            "as_of": self.as_of,
            "status": self.status,
            "principal": c.principal,
            "months": c.months,
            "granted_on": c.granted_on,
            "disbursed_on": self.disbursed_on,
            "repaid_on": self.repaid_on,
            "instalment": c.instalments[0],
            "final_instalment": c.instalments[-1],
            "after_saving": c.after_savings[1] if c.months > 2 else c.after_savings[0],
            "points_used": c.points_used,
            "disbursed": self.disbursed,
            "repaid": self.repaid,
            "written_off": self.written_off,
            "outstanding": self.outstanding,
            "instalments_due": self.instalments_due,
            "instalments_received": self.instalments_received,
            "instalment_part_paid": self.instalment_part_paid,
            "payments_received": self.payments_received,
            "repayment_due": self.repayment_due,
            "after_saving_due": self.after_saving_due,
            "after_savings_paid": self.after_savings_paid,
            "after_savings_released": self.after_savings_released,
            "locked_after_savings": self.locked_after_savings,
            "repayment_arrears": self.repayment_arrears,
            "after_saving_arrears": self.after_saving_arrears,
            "arrears": self.arrears,
            "fees_due": self.fees_due,
            "fees_paid": self.fees_paid,
            "fee_arrears": self.fee_arrears,
            "share_deposit": c.share_deposit,
            "share_deposit_paid": self.share_deposit_paid,
            "share_deposit_released": self.share_deposit_released,
            "next_due": self.next_due,
            "points_consumed": to_points(self.points_consumed),
        }
        return money_json(data, [k for k in data if k not in ("points_used", "points_consumed", "months")])


def grant_of(loan_facts: Iterable[Event]) -> Event | None:
    """The loan's LoanGranted, or None."""
    return next((f for f in loan_facts if f.type == GRANTED), None)


class _Received:
    """What a loan's stream records up to a date: paid out, repaid, saved, fees, shares (the fold's running sums)."""

    __slots__ = (
        "changes",
        "disbursed",
        "disbursed_on",
        "ended_by_write_off",
        "fees",
        "payments",
        "repaid",
        "repaid_on",
        "saved",
        "shares",
        "shares_back",
        "written_off",
    )

    def __init__(self) -> None:
        self.disbursed_on: date | None = None
        self.disbursed = self.repaid = self.written_off = self.saved = ZERO
        self.fees = self.shares = self.shares_back = ZERO
        self.repaid_on: date | None = None
        self.ended_by_write_off = False
        self.payments = 0
        self.changes: list[BalanceChange] = []

    def take(self, f: Event) -> None:
        t, on = f.type, f.effective_date
        if t == DISBURSED:
            amount = loan_disbursed(f).amount
            self.disbursed_on = self.disbursed_on or on
            self.disbursed += amount
            self.changes.append(BalanceChange(on, -amount))
        elif t == RECEIVED:
            paid = instalment_received(f)
            self.repaid += paid.repayment
            self.saved += paid.after_saving
            self.fees += paid.fee
            self.payments += 1
            if paid.repayment:
                self.changes.append(BalanceChange(on, paid.repayment))
        elif t == FEE:
            self.fees += fee_charged(f).amount
        elif t == SHARES_BOUGHT:
            self.shares += share_deposit_bought(f).amount
        elif t == SHARES_RELEASED:
            self.shares_back += share_deposit_released(f).amount
        elif t == WRITTEN_OFF:
            amount = loan_written_off(f).amount
            self.written_off += amount
            self.changes.append(BalanceChange(on, amount))
        if self.disbursed and self.repaid_on is None and self.disbursed - self.repaid - self.written_off <= 0:
            self.repaid_on = on
            self.ended_by_write_off = t == WRITTEN_OFF

    @property
    def status(self) -> str:
        """A loan whose last pound was written off is written off; one the borrower paid off is repaid, even with
        a part written off along the way (a £1 write-off for goodwill once kept a borrower's after-savings and share
        deposit locked for good)."""
        if not self.disbursed:
            return "granted"
        if self.repaid_on is None:
            return "disbursed"
        return "written_off" if self.ended_by_write_off else "repaid"


class _Due(NamedTuple):
    instalments: int
    repayment: Decimal
    after_saving: Decimal
    fees: Decimal
    next_due: date | None


def _due(c: Contract, got: _Received, as_of: date) -> _Due:
    """What the schedule has made due by `as_of` (nothing more once the loan is repaid)."""
    if got.disbursed_on is None:
        return _Due(0, ZERO, ZERO, ZERO, None)
    end = min(as_of, got.repaid_on) if got.repaid_on else as_of
    count, repayment, saving, next_due = 0, ZERO, ZERO, None
    for k in range(1, c.months + 1):
        on = add_months(got.disbursed_on, k)
        if on <= end:
            count += 1
            repayment += c.instalments[k - 1]
            saving += c.after_savings[k - 1]
        elif next_due is None and got.status == "disbursed":
            next_due = on
    if got.repaid_on and got.repaid_on <= as_of:
        repayment = got.repaid  # repaid in full (early or on time): nothing more falls due
    fees = c.setup_fee + c.annual_fee * sum(
        1 for j in range(c.annual_fee_count) if add_months(got.disbursed_on, 12 * j) <= end)
    return _Due(count, repayment, saving, fees, next_due)


def loan_state(loan_facts: Iterable[Event], as_of: date, releases: Iterable[Release] = ()) -> LoanState:
    """Fold a loan stream up to `as_of` (with the holder's releases, `holder_releases`, for its locked
    after-savings)."""
    facts = ordered(loan_facts)
    granted = grant_of(facts)
    if granted is None:
        raise ValueError("the loan stream has no LoanGranted")
    c = contract_of(granted)
    got = _Received()
    for f in facts:
        if f.effective_date > as_of:
            break
        got.take(f)
    # the release (a fold: holder_releases) unlocks all the loan's after-savings from its day on
    released = got.saved if any(r.loan_id == c.loan_id and r.on <= as_of for r in releases) else ZERO
    status = got.status
    due = _due(c, got, as_of)
    whole, part = instalments_covered(c, got.repaid, got.saved, cleared=status == "repaid")
    return LoanState(c, as_of, status, got.disbursed_on, got.disbursed, got.repaid, got.written_off, got.repaid_on,
                     due.instalments, due.repayment, due.after_saving, whole, got.saved, released, due.fees, got.fees,
                     got.shares, got.shares_back, due.next_due, tuple(got.changes), part, got.payments)


def instalments_covered(c: Contract, repaid: Decimal, saved: Decimal, *, cleared: bool = False) -> tuple[int, Decimal]:
    """How many whole instalments the money received covers, and what it paid towards the next one.

    Instalment k is covered when the repayments received reach the contract's first k repayments and the
    after-savings received its first k after-savings (a payment is split instalment by instalment, the repayment
    then the after-saving: ledger/commands/fund.py split_payment). So a sixth payment of £100 of a £203.80
    instalment leaves 5 covered and £100.00 part-paid. The part paid is what was received beyond the whole
    instalments, each half capped at the next instalment's repayment and after-saving (an early repayment beyond
    them is not an instalment). A loan repaid in full (`cleared`) has every instalment covered: its after-savings
    stop with the repayment (docs/fund-projections.md).
    """
    if cleared:
        return c.months, ZERO
    covered, cum_rep, cum_sav = 0, ZERO, ZERO
    for instalment, after_saving in zip(c.instalments, c.after_savings, strict=True):
        if repaid < cum_rep + instalment or saved < cum_sav + after_saving:
            break
        covered += 1
        cum_rep += instalment
        cum_sav += after_saving
    if covered == c.months:
        return covered, ZERO
    part = (min(max(repaid - cum_rep, ZERO), c.instalments[covered])
            + min(max(saved - cum_sav, ZERO), c.after_savings[covered]))
    return covered, part



def after_savings_by_account(loan_streams: Streams) -> dict[str, list[tuple[date, str, Decimal]]]:
    """The after-savings paid with instalments, by the account the loan names."""
    out: dict[str, list[tuple[date, str, Decimal]]] = defaultdict(list)
    for facts in loan_streams.values():
        granted = grant_of(facts)
        if granted is None:
            continue
        g = loan_granted(granted)
        for f in facts:
            if f.type == RECEIVED:
                saved = instalment_received(f).after_saving
                if saved:
                    out[g.account_id].append((f.effective_date, g.loan_id, saved))
    return out
