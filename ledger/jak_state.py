"""The JAK fund's state on any date: pure folds over its events (no I/O).

The read side (projections/jak.py) hands these functions `Fact`s -- the
events of the streams it read, payloads already at their current schema
version -- and an `as_of` date; everything here is a function of those.
The rules themselves live in ledger/rules/{points,loans,fund}.py and are
reused, never restated. docs/jak-projections.md describes the model:

* an account holds a FREE balance, earning points at its kind's savings
  factor (the factor timeline comes from the fund's policy events), and
  LOCKED after-savings per loan, earning at factor 1 (the contract's
  convention) until the loan's release moves them to the free balance: a
  release is itself a fold (`holder_releases`), the day after the holder's
  points are first back to zero or above once the loan is repaid; an
  `AfterSavingsReleased` event (written by `settle` before the release was a
  fold) is read as nothing;
* an instalment's after-saving is paid into the account named by the loan's
  LoanGranted (the loan stream's InstalmentReceived is the only record of
  it; a SavingsDeposited with `after_saving_for_loan` is an after-saving
  paid separately);
* a loan is a negative balance at factor 1: disbursement, less repayments
  and write-offs;
* a gift moves points from the giver to the receiver on its date.

Points are summed exactly (Fraction) and rounded once, when shown.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, NamedTuple, Optional, Protocol

from ledger.money import PENNY, ZERO
from ledger.rules.fund import FundPosition
from ledger.rules.loans import LoanPolicy, add_months, quote
from ledger.rules.points import BalanceChange, FactorChange, accrue, days_in_month, month_time, to_points

ONE_DAY = timedelta(days=1)
EPOCH = date(1900, 1, 1)
ONE = Decimal(1)

# The report's terms, used when a fund has no policy recorded (DOMAIN; docs/rules-jak.md).
REPORT_POLICY = LoanPolicy()


class Fact(NamedTuple):
    """One event as the folds see it: its payload at the current schema version."""

    position: int
    stream: str
    type: str
    effective_date: date
    payload: dict[str, Any]


def money(value: Decimal) -> Decimal:
    """An amount as shown: always two places (0.00, not 0), so JSON is the same whatever the sum's history."""
    return Decimal(value).quantize(PENNY)


def _money_json(data: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    for key in keys:
        if isinstance(data.get(key), Decimal):
            data[key] = money(data[key])
    return data


def _d(value: Optional[str]) -> Decimal:
    return ZERO if value is None else Decimal(value)


def _ordered(facts: Iterable[Fact]) -> list[Fact]:
    return sorted(facts, key=lambda f: (f.effective_date, f.position))


# --- policy -------------------------------------------------------------------------------------


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
    maximum_loan_multiple: Optional[Decimal]
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


def policies(facts: Iterable[Fact]) -> tuple[Policy, ...]:
    """Every FundPolicySet of a fund, in effective order (position breaks ties)."""
    found = []
    for f in _ordered(facts):
        if f.type != "FundPolicySet":
            continue
        p = f.payload
        multiple = p.get("maximum_loan_multiple")
        kinds = {k["kind"]: Kind(k["kind"], Decimal(k["factor"]), int(k.get("notice_days", 0))) for k in p["account_kinds"]}
        found.append(Policy(p["fund_id"], f.effective_date, Decimal(p["setup_fee"]), Decimal(p["annual_fee"]),
                            Decimal(p["share_deposit"]), int(p.get("minimum_presaving_months", 0)),
                            None if multiple is None else Decimal(multiple), kinds))
    return tuple(found)


def policy_at(found: tuple[Policy, ...], day: date) -> Optional[Policy]:
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


# --- loans --------------------------------------------------------------------------------------


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


def contract_of(fact: Fact) -> Contract:
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
        """Instalment k (1..n) falls due k months after the disbursement (docs/rules-jak.md)."""
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
        return _money_json(data, [k for k in data if k not in ("points_used", "points_consumed", "months")])


def loan_state(loan_facts: Iterable[Fact], as_of: date, releases: Iterable["Release"] = ()) -> LoanState:
    """Fold a loan stream up to `as_of` (with the holder's releases, `holder_releases`, for its locked after-savings)."""
    facts = _ordered(loan_facts)
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
    then the after-saving: ledger/commands/jak.py split_payment). So a sixth payment of £100 of a £203.80
    instalment leaves 5 covered and £100.00 part-paid. The part paid is what was received beyond the whole
    instalments, each half capped at the next instalment's repayment and after-saving (an early repayment beyond
    them is not an instalment). A loan repaid in full (`cleared`) has every instalment covered: its after-savings
    stop with the repayment (docs/jak-projections.md).
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


# --- accounts and holders ------------------------------------------------------------------------


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
    first_deposit: Optional[date] = None
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


def account_opening(account_facts: Iterable[Fact]) -> Fact:
    """The account's (first) `SavingsAccountOpened`: who holds it, in which fund, from when."""
    opened = [f for f in account_facts if f.type == "SavingsAccountOpened"]
    if not opened:
        raise ValueError("the account stream has no SavingsAccountOpened")
    return min(opened, key=lambda f: (f.effective_date, f.position))


def account_state(account_facts: Iterable[Fact], as_of: date,
                  after_savings: Iterable[tuple[date, str, Decimal]] = (),
                  releases: Iterable["Release"] = ()) -> AccountState:
    """Fold an account stream up to `as_of`; `after_savings` are (date, loan, amount) paid with instalments,
    `releases` the holder's (holder_releases): each moves its loan's locked balance to the free balance at the
    end of its day, and the loan's after-savings dated later go straight to the free balance. A recorded
    `AfterSavingsReleased` is read as nothing (the fold recomputes it)."""
    facts = _ordered(account_facts)
    opened = account_opening(facts)
    p = opened.payload
    state = AccountState(p["account_id"], p["fund_id"], p["holder_id"], p["holder_kind"], p["kind"], opened.effective_date)
    moves: list[tuple[date, int, str, Optional[str], Decimal]] = []
    for f in facts:
        if f.effective_date > as_of:
            continue
        q = f.payload
        if f.type == "SavingsDeposited":
            moves.append((f.effective_date, f.position, "deposit", q.get("after_saving_for_loan"), Decimal(q["amount"])))
        elif f.type == "SavingsWithdrawn":
            moves.append((f.effective_date, f.position, "withdraw", None, Decimal(q["amount"])))
    for on, loan, amount in after_savings:
        if on <= as_of and amount:
            moves.append((on, 0, "deposit", loan, amount))
    for r in releases:
        if r.on <= as_of and r.account_id == state.account_id:
            moves.append((r.on, RELEASED_LAST, "release", r.loan_id, ZERO))
    for on, _, what, loan, amount in sorted(moves, key=lambda m: (m[0], m[1])):
        if what == "deposit":
            state.deposited += amount
            state.first_deposit = min(state.first_deposit or on, on)
            free = loan is None or loan in state.released
            (state.free if free else state.locked[loan]).append(BalanceChange(on, amount))
        elif what == "withdraw":
            state.withdrawn += amount
            state.free.append(BalanceChange(on, -amount))
        elif loan not in state.released:
            amount = sum((c.delta for c in state.locked.get(loan, ())), ZERO)
            state.released[loan] = amount
            if amount:
                state.locked[loan].append(BalanceChange(on, -amount))
                state.free.append(BalanceChange(on, amount))
    return state


RELEASED_LAST = 1 << 62  # a release is taken after everything else dated on its day


@dataclass(frozen=True, slots=True)
class Gift:
    on: date
    giver: str
    receiver: str
    points: Decimal


def gifts_of(facts: Iterable[Fact]) -> tuple[Gift, ...]:
    return tuple(Gift(f.effective_date, f.payload["from_member_id"], f.payload["to_member_id"], Decimal(f.payload["points"]))
                 for f in _ordered(facts) if f.type == "PointsGifted")


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
    def first_deposit(self) -> Optional[date]:
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


def factor_on(found: tuple[Policy, ...], kind: str, day: date) -> Decimal:
    best = ZERO
    for change in factor_timeline(found, kind):
        if change.effective <= day:
            best = change.factor
    return best


def holder_state(holder_id: str, as_of: date, account_streams: dict[str, list[Fact]],
                 loan_streams: dict[str, list[Fact]], gift_facts: Iterable[Fact],
                 policy_facts: dict[str, list[Fact]]) -> HolderState:
    """A holder's accounts, loans and points on `as_of`, from the streams that concern them.

    `account_streams`/`loan_streams` are the holder's own (by id); `policy_facts`
    the society streams of their funds, by fund id.
    """
    found = {fund: policies(facts) for fund, facts in policy_facts.items()}
    released = holder_releases(holder_id, as_of, account_streams, loan_streams, gift_facts, policy_facts)
    loans = tuple(loan_state(facts, as_of, released) for _, facts in sorted(loan_streams.items()))
    paid = _after_savings_by_account(loan_streams)
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


# --- releasing after-savings: a fold, never an event ----------------------------------------------------

# Event types the read side computes from the facts and reads as nothing when recorded: no command writes one
# (`mutual record` and `mutual correct` refuse them with this reason; `mutual import` restores old ledgers as
# they were, docs/rules-jak.md "Ledgers written before the release was a fold").
COMPUTED_ON_READ = {
    "AfterSavingsReleased": "the release of a loan's after-savings is computed from the facts on every read "
                            "(the day after the holder's points are back to zero or above once the loan is "
                            "repaid); a recorded one would be ignored. `mutual jak settle` reports them",
}


@dataclass(frozen=True, slots=True)
class Release:
    """A repaid loan's locked after-savings moved to the free balance of its account on `on`."""

    on: date
    loan_id: str
    account_id: str
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        return {"loan_id": self.loan_id, "account_id": self.account_id, "on": self.on, "amount": money(self.amount)}


class PointsCurve:
    """A holder's end-of-day points on any day, exact: between the days anything changes (a balance, a factor,
    a gift) the points move at a constant rate (balance x factor a month), so each stretch is monotonic."""

    def __init__(self, tracks: Iterable[tuple[Iterable[BalanceChange], Iterable[FactorChange]]],
                 jumps: Iterable[tuple[date, Fraction]] = ()) -> None:
        changes: dict[date, list[tuple[int, str, Fraction]]] = defaultdict(list)
        balance: list[Fraction] = []
        factor: list[Fraction] = []
        for i, (moves, factors) in enumerate(tracks):
            balance.append(Fraction(0))
            factor.append(Fraction(0))
            for f in sorted(factors, key=lambda f: f.effective):
                if f.effective <= EPOCH:
                    factor[i] = Fraction(f.factor)
                else:
                    changes[f.effective].append((i, "factor", Fraction(f.factor)))
            for c in moves:
                changes[c.on].append((i, "balance", Fraction(c.delta)))
        for on, points in jumps:
            changes[on].append((-1, "jump", Fraction(points)))
        self.days: list[date] = []
        self.points: list[Fraction] = []  # at the end of each day in `days`
        self.rates: list[Fraction] = []  # points a month from the day after it
        points, rate, last = Fraction(0), Fraction(0), None
        for day in sorted(changes):
            if last is not None:
                points += rate * month_time(last + ONE_DAY, day - ONE_DAY)
            for i, what, value in changes[day]:
                if what == "balance":
                    balance[i] += value
                    rate += value * factor[i]
                elif what == "factor":
                    rate += balance[i] * (value - factor[i])
                    factor[i] = value
                else:
                    points += value
            points += rate / days_in_month(day)
            self.days.append(day)
            self.points.append(points)
            self.rates.append(rate)
            last = day

    def _at(self, i: int, day: date) -> Fraction:
        return self.points[i] + self.rates[i] * month_time(self.days[i] + ONE_DAY, day)

    def on(self, day: date) -> Fraction:
        """The end-of-day points of `day`."""
        i = bisect_right(self.days, day) - 1
        return Fraction(0) if i < 0 else self._at(i, day)

    def first_day_at_or_above_zero(self, start: date, last: date) -> Optional[date]:
        """The first day in start..last whose end-of-day points are >= 0, or None."""
        if last < start:
            return None
        i = bisect_right(self.days, start) - 1
        if i < 0:
            return start  # nothing has happened yet: no points either way
        while i < len(self.days) and self.days[i] <= last:
            first = max(self.days[i], start)
            end = min(self.days[i + 1] - ONE_DAY, last) if i + 1 < len(self.days) else last
            if self._at(i, first) >= 0:
                return first
            if self.rates[i] > 0 and self._at(i, end) >= 0:  # rising through zero in this stretch
                lo, hi = first.toordinal(), end.toordinal()  # points(lo) < 0 <= points(hi)
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self._at(i, date.fromordinal(mid)) >= 0:
                        hi = mid
                    else:
                        lo = mid
                return date.fromordinal(hi)
            i += 1
        return None


def _account_tracks(accounts: Iterable[AccountState], found: dict[str, tuple[Policy, ...]]) -> list[tuple]:
    tracks: list[tuple] = []
    for a in accounts:
        tracks.append((a.free, factor_timeline(found.get(a.fund_id, ()), a.kind)))
        tracks.extend((changes, FACTOR_ONE) for changes in a.locked.values())
    return tracks


def holder_releases(holder_id: str, through: date, account_streams: dict[str, list[Fact]],
                    loan_streams: dict[str, list[Fact]], gift_facts: Iterable[Fact],
                    policy_facts: dict[str, list[Fact]]) -> tuple[Release, ...]:
    """The releases of a holder's after-savings on or before `through`: THE rule, for the read side and the commands.

    Each loan repaid (not written off) is released the day after the first day, from its repayment on, whose
    end-of-day points of the holder are >= 0. Releases are taken in date order (ties by loan id): each moves
    the loan's locked after-savings (factor 1) to the free balance (the kind's factor), which changes the
    holder's points from its day on, and so the days of the releases after it. A function of the facts
    only: the same facts in any entry order give the same releases.
    """
    found = {fund: policies(facts) for fund, facts in policy_facts.items()}
    loans = {x: loan_state(facts, date.max) for x, facts in loan_streams.items()}
    waiting = sorted((s.repaid_on, x) for x, s in loans.items()
                     if s.status == "repaid" and s.repaid_on < through)
    if not waiting:
        return ()
    paid = _after_savings_by_account(loan_streams)
    loan_tracks = [(s.loan_changes, FACTOR_ONE) for s in loans.values()]
    jumps = [(g.on, Fraction(g.points) * (1 if g.receiver == holder_id else -1))
             for g in gifts_of(gift_facts) if holder_id in (g.giver, g.receiver) and g.giver != g.receiver]
    released: list[Release] = []
    while waiting:
        accounts = [account_state(facts, date.max, paid.get(a, ()), released) for a, facts in account_streams.items()]
        curve = PointsCurve(_account_tracks(accounts, found) + loan_tracks, jumps)
        best = None
        for repaid_on, x in waiting:
            day = curve.first_day_at_or_above_zero(repaid_on, through - ONE_DAY)
            if day is not None and (best is None or (day, x) < best):
                best = (day, x)
        if best is None:
            break
        day, x = best
        waiting = [w for w in waiting if w[1] != x]
        released.append(Release(day + ONE_DAY, x, loans[x].contract.account_id, ZERO))
    moved: dict[str, Decimal] = {}
    for a, facts in account_streams.items():
        moved.update(account_state(facts, date.max, paid.get(a, ()), released).released)
    return tuple(Release(r.on, r.loan_id, r.account_id, moved.get(r.loan_id, ZERO)) for r in released)


def _after_savings_by_account(loan_streams: dict[str, list[Fact]]) -> dict[str, list[tuple[date, str, Decimal]]]:
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


# --- the fund ----------------------------------------------------------------------------------

# Each cash flow's effect on the fund's position (ledger.rules.fund.FundPosition).
FLOW_EFFECT = {
    "deposit": ("savings", 1),
    "after_saving": ("savings", 1),
    "withdrawal": ("savings", -1),
    "share_bought": ("share_capital", 1),
    "share_released": ("share_capital", -1),
    "setup_fee": ("fees", 1),
    "annual_fee": ("fees", 1),
    "instalment_fee": ("fees", 1),
    "disbursed": ("loans_outstanding", 1),
    "repaid": ("loans_outstanding", -1),
    "written_off": ("loans_outstanding", -1),
    "write_off_loss": ("expenses", 1),
    "expense": ("expenses", 1),
}


def liquidity_sign(kind: str) -> int:
    """+1 when the flow adds to the fund's liquidity, -1 when it takes from it."""
    name, sign = FLOW_EFFECT[kind]
    return sign if name in ("savings", "share_capital", "fees") else -sign


class Flow(NamedTuple):
    on: date
    position: int
    kind: str
    amount: Decimal
    projected: bool = False


def fund_flows(society: Iterable[Fact], accounts: Iterable[Fact], loans: Iterable[Fact]) -> list[Flow]:
    """Every recorded cash flow of a fund, in effective order. A write-off is a loss (an expense)."""
    flows: list[Flow] = []
    for f in society:
        if f.type == "FundExpense":
            flows.append(Flow(f.effective_date, f.position, "expense", Decimal(f.payload["amount"])))
    for f in accounts:
        if f.type == "SavingsDeposited":
            flows.append(Flow(f.effective_date, f.position, "deposit", Decimal(f.payload["amount"])))
        elif f.type == "SavingsWithdrawn":
            flows.append(Flow(f.effective_date, f.position, "withdrawal", Decimal(f.payload["amount"])))
    for f in loans:
        p, on = f.payload, f.effective_date
        if f.type == "LoanDisbursed":
            flows.append(Flow(on, f.position, "disbursed", Decimal(p["amount"])))
        elif f.type == "InstalmentReceived":
            for kind, name in (("repaid", "repayment"), ("after_saving", "after_saving"), ("instalment_fee", "fee")):
                if Decimal(p[name]):
                    flows.append(Flow(on, f.position, kind, Decimal(p[name])))
        elif f.type == "FeeCharged":
            flows.append(Flow(on, f.position, "setup_fee" if p["kind"] == "setup" else "annual_fee", Decimal(p["amount"])))
        elif f.type == "ShareDepositBought":
            flows.append(Flow(on, f.position, "share_bought", Decimal(p["amount"])))
        elif f.type == "ShareDepositReleased":
            flows.append(Flow(on, f.position, "share_released", Decimal(p["amount"])))
        elif f.type == "LoanWrittenOff":
            flows.append(Flow(on, f.position, "written_off", Decimal(p["amount"])))
            flows.append(Flow(on, f.position, "write_off_loss", Decimal(p["amount"])))
    return sorted(flows, key=lambda x: (x.on, x.position))


def position_of(flows: Iterable[Flow], as_of: date) -> FundPosition:
    totals = dict.fromkeys(("savings", "share_capital", "fees", "loans_outstanding", "expenses"), ZERO)
    for flow in flows:
        if flow.on <= as_of:
            name, sign = FLOW_EFFECT[flow.kind]
            totals[name] += flow.amount * sign
    return FundPosition(**totals)


def lowest_liquidity_from(flows: list[Flow], day: date) -> Decimal:
    """The lowest end-of-day liquidity on `day` or any later date a known flow takes effect."""
    days = sorted({day} | {f.on for f in flows if f.on > day})
    position = position_of(flows, day)
    lowest = position.liquidity
    later = [f for f in flows if f.on > day]
    i = 0
    for d in days[1:]:
        changes: dict[str, Decimal] = defaultdict(lambda: ZERO)
        while i < len(later) and later[i].on <= d:
            name, sign = FLOW_EFFECT[later[i].kind]
            changes[name] += later[i].amount * sign
            i += 1
        position = position.plus(**changes)
        lowest = min(lowest, position.liquidity)
    return lowest


# --- the forecast ------------------------------------------------------------------------------


def projected_flows(loans: dict[str, list[Fact]], as_of: date, refund_shares: bool = True) -> list[Flow]:
    """The flows still to come under the contracts in force on `as_of` (nothing recorded after it is assumed).

    A disbursed loan pays the scheduled instalments and after-savings that
    fall due after `as_of` (the last one also collecting any arrears), and
    the annual fees of later anniversaries; a loan granted but not yet paid
    out is paid out on its grant date (or the day after `as_of`) with its
    share deposit and fees. Share deposits come back with the last instalment.
    """
    out: list[Flow] = []
    for facts in loans.values():
        known = [f for f in facts if f.effective_date <= as_of]
        if not any(f.type == "LoanGranted" for f in known):
            continue  # granted after `as_of`: not a contract in force then
        state = loan_state(known, as_of)
        c = state.contract
        if state.status in ("repaid", "written_off"):
            continue
        disbursed_on = state.disbursed_on
        outstanding = state.outstanding
        if disbursed_on is None:
            disbursed_on = max(c.granted_on, as_of + ONE_DAY)
            out.append(Flow(disbursed_on, 0, "disbursed", c.principal, True))
            outstanding = c.principal
            if c.share_deposit > state.share_deposit_paid:
                out.append(Flow(disbursed_on, 0, "share_bought", c.share_deposit - state.share_deposit_paid, True))
            if c.setup_fee:
                out.append(Flow(disbursed_on, 0, "setup_fee", c.setup_fee, True))
        saved_short = max(sum(c.after_savings[:state.instalments_due], ZERO) - state.after_savings_paid, ZERO) \
            if state.disbursed_on else ZERO
        future = [k for k in range(1, c.months + 1) if add_months(disbursed_on, k) > as_of]
        for idx, k in enumerate(future):
            last = idx == len(future) - 1
            on = add_months(disbursed_on, k)
            paid = outstanding if last else min(c.instalments[k - 1], outstanding)
            outstanding -= paid
            if paid:
                out.append(Flow(on, 0, "repaid", paid, True))
            saving = c.after_savings[k - 1] + (saved_short if last else ZERO)
            if saving:
                out.append(Flow(on, 0, "after_saving", saving, True))
            if last and refund_shares:
                held = max(state.share_deposit_paid - state.share_deposit_released, ZERO) if state.disbursed_on \
                    else c.share_deposit
                if held:
                    out.append(Flow(on, 0, "share_released", held, True))
        for j in range(c.annual_fee_count):
            on = add_months(disbursed_on, 12 * j)
            if on > as_of and c.annual_fee:
                out.append(Flow(on, 0, "annual_fee", c.annual_fee, True))
    return sorted(out, key=lambda x: (x.on, x.position))


FORECAST_COLUMNS = ("deposits", "after_savings", "shares_bought", "setup_fees", "annual_fees", "repaid",
                    "total_inflows", "withdrawals", "expenses", "disbursed", "shares_released", "total_outflows")
_COLUMN_OF = {
    "deposit": "deposits", "after_saving": "after_savings", "share_bought": "shares_bought",
    "setup_fee": "setup_fees", "annual_fee": "annual_fees", "instalment_fee": "annual_fees", "repaid": "repaid",
    "withdrawal": "withdrawals", "expense": "expenses", "disbursed": "disbursed",
    "share_released": "shares_released",
}
_INFLOW = {"deposits", "after_savings", "shares_bought", "setup_fees", "annual_fees", "repaid"}


def forecast_years(flows: list[Flow], start: date, years: int) -> list[dict[str, Any]]:
    """The fund year by year from `start`: each year's cash inflows, outflows and closing liquidity.

    A write-off moves no cash (loans outstanding fall, the loss is an
    expense: net nil); it is shown in `written_off`, outside the totals.
    """
    rows = []
    opening = position_of(flows, start - ONE_DAY).liquidity
    for y in range(years):
        first, last = add_months(start, 12 * y), add_months(start, 12 * (y + 1)) - ONE_DAY
        totals = dict.fromkeys(FORECAST_COLUMNS + ("written_off",), ZERO)
        lowest = balance = opening
        projected = False
        for day_flows in _by_day(f for f in flows if first <= f.on <= last):
            for flow in day_flows:
                if flow.kind in ("written_off", "write_off_loss"):
                    # no cash moves: loans outstanding fall and the loss is an expense, net nil
                    totals["written_off"] += flow.amount if flow.kind == "written_off" else ZERO
                    continue
                totals[_COLUMN_OF[flow.kind]] += flow.amount
                projected |= flow.projected
                balance += flow.amount * liquidity_sign(flow.kind)
            lowest = min(lowest, balance)
        totals["total_inflows"] = sum((totals[k] for k in _INFLOW), ZERO)
        totals["total_outflows"] = sum((totals[k] for k in FORECAST_COLUMNS
                                        if k not in _INFLOW and not k.startswith("total")), ZERO)
        row = {"year": y + 1, "from": first, "to": last, "opening_balance": opening, **totals,
               "fund_balance": balance, "lowest_balance": lowest, "projected": projected}
        rows.append(_money_json(row, list(row)))
        opening = balance
    return rows


def _by_day(flows: Iterable[Flow]) -> Iterable[list[Flow]]:
    current: list[Flow] = []
    for flow in sorted(flows, key=lambda x: (x.on, x.position)):
        if current and current[0].on != flow.on:
            yield current
            current = []
        current.append(flow)
    if current:
        yield current


# --- reading: the folds over what a reader hands them ------------------------------------------------
#
# A reader is anything with `facts(stream) -> list[Fact]` and `facts_of_type(type) -> list[Fact]`
# (an EventSource of ledger/source.py: a StoreSource for queries and commands, a ReplaySource for the audit).
# These functions only ask the reader for streams; the figures come from the pure folds above.


class Reader(Protocol):
    as_known_at: Any

    def facts(self, stream: str) -> list[Fact]: ...

    def facts_of_type(self, type_: str) -> list[Fact]: ...


def _known(reader: Reader) -> str:
    at = getattr(reader, "as_known_at", None)
    return f" as known at {at.isoformat()}" if at else ""


class JakIndex:
    """Who holds which account and loan, and which belong to which fund (one scan of each type)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.accounts: dict[str, dict] = {}
        self.loans: dict[str, dict] = {}
        for f in reader.facts_of_type("SavingsAccountOpened"):
            self.accounts.setdefault(f.payload["account_id"], f.payload)
        for f in reader.facts_of_type("LoanGranted"):
            self.loans.setdefault(f.payload["loan_id"], f.payload)
        self._gifts: Optional[list[Fact]] = None

    def gifts(self) -> list[Fact]:
        if self._gifts is None:
            self._gifts = list(self.reader.facts_of_type("PointsGifted"))
        return self._gifts

    def holder_accounts(self, holder: str) -> list[str]:
        return sorted(a for a, p in self.accounts.items() if p["holder_id"] == holder)

    def holder_loans(self, holder: str) -> list[str]:
        return sorted(x for x, p in self.loans.items() if p["holder_id"] == holder)

    def fund_accounts(self, fund: str) -> list[str]:
        return sorted(a for a, p in self.accounts.items() if p["fund_id"] == fund)

    def fund_loans(self, fund: str) -> list[str]:
        return sorted(x for x, p in self.loans.items() if p["fund_id"] == fund)

    def holders(self, fund: Optional[str] = None) -> list[str]:
        found = {p["holder_id"] for p in self.accounts.values() if fund is None or p["fund_id"] == fund}
        found |= {p["holder_id"] for p in self.loans.values() if fund is None or p["fund_id"] == fund}
        return sorted(found)

    def holder_kind(self, holder: str) -> Optional[str]:
        kinds = {p["holder_kind"] for p in self.accounts.values() if p["holder_id"] == holder}
        return "coop" if "coop" in kinds else ("member" if kinds else None)


def read_holder(reader: Reader, holder_id: str, as_of: date, index: Optional[JakIndex] = None) -> HolderState:
    """A holder's balances, locked after-savings, loans and points on `as_of`."""
    from ledger.errors import NotFound

    index = index or JakIndex(reader)
    accounts, loans = index.holder_accounts(holder_id), index.holder_loans(holder_id)
    gifts = [g for g in index.gifts() if holder_id in (g.payload["from_member_id"], g.payload["to_member_id"])]
    if not accounts and not loans and not gifts:
        raise NotFound(f"holder {holder_id}: no savings account, loan or points gift in the books{_known(reader)}")
    return holder_state(holder_id, as_of, *_holder_streams(reader, holder_id, index))


def _holder_streams(reader: Reader, holder_id: str, index: JakIndex) -> tuple:
    """(account streams, loan streams, gifts, society streams of their funds): everything a holder's figures fold."""
    accounts, loans = index.holder_accounts(holder_id), index.holder_loans(holder_id)
    gifts = [g for g in index.gifts() if holder_id in (g.payload["from_member_id"], g.payload["to_member_id"])]
    account_streams = {a: reader.facts(f"account-{a}") for a in accounts}
    loan_streams = {x: reader.facts(f"loan-{x}") for x in loans}
    funds = {index.accounts[a]["fund_id"] for a in accounts} | {index.loans[x]["fund_id"] for x in loans}
    policy_facts = {fund: reader.facts(f"society-{fund}") for fund in sorted(funds)}
    return account_streams, loan_streams, gifts, policy_facts


def read_releases(reader: Reader, holder_id: str, through: date, index: Optional[JakIndex] = None,
                  accounts: Optional[dict[str, list[Fact]]] = None) -> tuple[Release, ...]:
    """A holder's releases on or before `through` (holder_releases over their streams; `accounts` replaces
    some of their account streams, to ask what a command would change)."""
    index = index or JakIndex(reader)
    account_streams, loan_streams, gifts, policy_facts = _holder_streams(reader, holder_id, index)
    if accounts:
        account_streams = {**account_streams, **accounts}
    return holder_releases(holder_id, through, account_streams, loan_streams, gifts, policy_facts)


def read_loan(reader: Reader, loan_id: str, as_of: date) -> LoanState:
    from ledger.errors import NotFound

    loan_facts = reader.facts(f"loan-{loan_id}")
    granted = next((f for f in loan_facts if f.type == "LoanGranted"), None)
    if granted is None:
        raise NotFound(f"loan {loan_id}: no such loan in the books{_known(reader)}")
    return loan_state(loan_facts, as_of, read_releases(reader, granted.payload["holder_id"], as_of))


def read_policies(reader: Reader, fund: str) -> tuple[Policy, ...]:
    return policies(reader.facts(f"society-{fund}"))


class FundBooks:
    """A fund's streams, read once: its society stream, its accounts and its loans."""

    def __init__(self, reader: Reader, fund: str, index: Optional[JakIndex] = None, must_exist: bool = True) -> None:
        from ledger.errors import NotFound

        self.fund = fund
        self.reader = reader
        self.index = index or JakIndex(reader)
        self.society = reader.facts(f"society-{fund}")
        self.accounts = {a: reader.facts(f"account-{a}") for a in self.index.fund_accounts(fund)}
        self.loans = {x: reader.facts(f"loan-{x}") for x in self.index.fund_loans(fund)}
        if must_exist and not self.society and not self.accounts and not self.loans:
            raise NotFound(f"fund {fund}: no such fund in the books{_known(reader)}")

    def every(self) -> list[Fact]:
        return self.society + [f for fs in self.accounts.values() for f in fs] + \
            [f for fs in self.loans.values() for f in fs]

    def flows(self) -> list[Flow]:
        return fund_flows(self.society, [f for fs in self.accounts.values() for f in fs],
                          [f for fs in self.loans.values() for f in fs])

    def releases(self, through: date) -> list[Release]:
        """The releases of the fund's loans on or before `through` (each holder's, holder_releases), by date."""
        holders = sorted({self.index.loans[x]["holder_id"] for x in self.loans})
        found = [r for h in holders for r in read_releases(self.reader, h, through, self.index)
                 if r.loan_id in self.loans]
        return sorted(found, key=lambda r: (r.on, r.loan_id))

    def first_date(self) -> date:
        return min(f.effective_date for f in self.every())

    def last_date(self) -> date:
        return max(f.effective_date for f in self.every())

    def report(self, as_of: date) -> dict[str, Any]:
        """The fund's position and totals on `as_of`."""
        position = position_of(self.flows(), as_of)
        releases = self.releases(as_of)
        loans = [loan_state(fs, as_of, releases) for _, fs in sorted(self.loans.items())]
        active = [s for s in loans if s.status == "disbursed"]
        in_force = policy_at(policies(self.society), as_of)
        opened = [account_opening(fs) for fs in self.accounts.values()]  # the fund counts accounts, not balances
        data = {
            "fund_id": self.fund,
            "as_of": as_of,
            "savings": position.savings,
            "share_capital": position.share_capital,
            "fees": position.fees,
            "loans_outstanding": position.loans_outstanding,
            "expenses": position.expenses,
            "liquidity": position.liquidity,
            "accounts": sum(1 for f in opened if f.effective_date <= as_of),
            "holders": len({f.payload["holder_id"] for f in opened if f.effective_date <= as_of}),
            "loans_granted": sum(1 for s in loans if s.contract.granted_on <= as_of),
            "loans_active": len(active),
            "loans_in_arrears": sum(1 for s in active if s.arrears > 0),
            "arrears": sum((s.arrears for s in active), ZERO),
            "locked_after_savings": sum((s.locked_after_savings for s in loans), ZERO),
            "policy": in_force.to_json() if in_force else None,
        }
        return _money_json(data, ("savings", "share_capital", "fees", "loans_outstanding", "expenses", "liquidity",
                                  "arrears", "locked_after_savings"))

    def forecast(self, years: int, start: Optional[date] = None, as_of: Optional[date] = None) -> dict[str, Any]:
        """Year by year from `start` (default: the first event): recorded flows up to `as_of`
        (default: the last event), then the contracts in force."""
        start = start or self.first_date()
        as_of = as_of or self.last_date()
        recorded = [f for f in self.flows() if f.on <= as_of]
        planned = projected_flows(self.loans, as_of)
        return {"fund_id": self.fund, "from": start, "recorded_through": as_of,
                "years": forecast_years(recorded + planned, start, years)}
