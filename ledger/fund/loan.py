"""A loan on any date: its contract, what is owed, due, received and in arrears (a fold of its stream)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Optional

from ledger.calendar import add_months
from ledger.fund.common import Event, money_json, ordered
from ledger.fund.policy import FACTOR_ONE
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
    p = fact.payload
    principal, months, used = Decimal(p["principal"]), int(p["months"]), Decimal(p["points_used"])
    zero_fees = LoanPolicy(ZERO, ZERO, ZERO)
    recomputed = None
    if p.get("final_instalment") is None or p.get("first_after_saving") is None or p.get("final_after_saving") is None:
        recomputed = quote(principal, months, used, zero_fees)
    instalment = Decimal(p["instalment"])
    final_instalment = Decimal(p["final_instalment"]) if p.get("final_instalment") else recomputed.final_instalment
    regular = Decimal(p["after_saving"])
    first = Decimal(p["first_after_saving"]) if p.get("first_after_saving") is not None else recomputed.first_after_saving
    final = Decimal(p["final_after_saving"]) if p.get("final_after_saving") is not None else recomputed.final_after_saving
    schedule = (instalment,) * (months - 1) + (final_instalment,)
    saved = (final,) if months == 1 else (first,) + (regular,) * (months - 2) + (final,)
    return Contract(p["loan_id"], p["fund_id"], p["holder_id"], p["account_id"], fact.effective_date, principal,
                    months, used, schedule, saved, Decimal(p["setup_fee"]), Decimal(p["annual_fee"]),
                    Decimal(p["share_deposit"]))


@dataclass(frozen=True, slots=True)
class LoanState:
    """A loan on `as_of`: what is owed, due, received and in arrears."""

    contract: Contract
    as_of: date
    status: str  # granted | disbursed | repaid | written_off
    disbursed_on: Optional[date]
    disbursed: Decimal
    repaid: Decimal
    written_off: Decimal
    repaid_on: Optional[date]
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
    next_due: Optional[date]
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


def loan_state(loan_facts: Iterable[Event], as_of: date, releases: Iterable[Release] = ()) -> LoanState:
    """Fold a loan stream up to `as_of` (with the holder's releases, `holder_releases`, for its locked after-savings)."""
    facts = ordered(loan_facts)
    granted = next((f for f in facts if f.type == "LoanGranted"), None)
    if granted is None:
        raise ValueError("the loan stream has no LoanGranted")
    c = contract_of(granted)
    disbursed_on, disbursed, repaid, written_off = None, ZERO, ZERO, ZERO
    received, saved, fees, shares, shares_back, repaid_on = 0, ZERO, ZERO, ZERO, ZERO, None
    changes: list[BalanceChange] = []
    for f in facts:
        if f.effective_date > as_of:
            break
        p = f.payload
        if f.type == "LoanDisbursed":
            amount = Decimal(p["amount"])
            disbursed_on = disbursed_on or f.effective_date
            disbursed += amount
            changes.append(BalanceChange(f.effective_date, -amount))
        elif f.type == "InstalmentReceived":
            r = Decimal(p["repayment"])
            repaid += r
            saved += Decimal(p["after_saving"])
            fees += Decimal(p["fee"])
            received += 1
            if r:
                changes.append(BalanceChange(f.effective_date, r))
        elif f.type == "FeeCharged":
            fees += Decimal(p["amount"])
        elif f.type == "ShareDepositBought":
            shares += Decimal(p["amount"])
        elif f.type == "ShareDepositReleased":
            shares_back += Decimal(p["amount"])
        elif f.type == "LoanWrittenOff":
            amount = Decimal(p["amount"])
            written_off += amount
            changes.append(BalanceChange(f.effective_date, amount))
        if disbursed and repaid_on is None and disbursed - repaid - written_off <= 0:
            repaid_on = f.effective_date
    # the release (a fold: holder_releases) unlocks all the loan's after-savings from its day on
    released = saved if any(r.loan_id == c.loan_id and r.on <= as_of for r in releases) else ZERO
    status = "granted"
    if disbursed:
        status = "disbursed"
        if repaid_on is not None:
            status = "written_off" if written_off else "repaid"
    due_rep = due_saved = ZERO
    count, fees_due, next_due = 0, ZERO, None
    if disbursed_on is not None:
        end = min(as_of, repaid_on) if repaid_on else as_of
        for k in range(1, c.months + 1):
            on = add_months(disbursed_on, k)
            if on <= end:
                count += 1
                due_rep += c.instalments[k - 1]
                due_saved += c.after_savings[k - 1]
            elif next_due is None and status == "disbursed":
                next_due = on
        if repaid_on and repaid_on <= as_of:
            due_rep = repaid  # repaid in full (early or on time): nothing more falls due
        fees_due = c.setup_fee + c.annual_fee * sum(
            1 for j in range(c.annual_fee_count) if add_months(disbursed_on, 12 * j) <= end)
    whole, part = instalments_covered(c, repaid, saved, cleared=status == "repaid")
    return LoanState(c, as_of, status, disbursed_on, disbursed, repaid, written_off, repaid_on, count, due_rep,
                     due_saved, whole, saved, released, fees_due, fees, shares, shares_back, next_due,
                     tuple(changes), part, received)


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
    for instalment, after_saving in zip(c.instalments, c.after_savings):
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



def after_savings_by_account(loan_streams: dict[str, list[Event]]) -> dict[str, list[tuple[date, str, Decimal]]]:
    """The after-savings paid with instalments, by the account the loan names."""
    out: dict[str, list[tuple[date, str, Decimal]]] = defaultdict(list)
    for facts in loan_streams.values():
        granted = next((f for f in facts if f.type == "LoanGranted"), None)
        if granted is None:
            continue
        account, loan = granted.payload["account_id"], granted.payload["loan_id"]
        for f in facts:
            if f.type == "InstalmentReceived" and Decimal(f.payload["after_saving"]):
                out[account].append((f.effective_date, loan, Decimal(f.payload["after_saving"])))
    return out
