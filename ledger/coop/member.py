"""A member on a date: the fold of their stream, their member-years, their units and the payout on leaving.

- the debt share starts at `MemberAdmitted.debt_share`; with a schedule (ledger/coop/mortgage.py) the fold
  computes each member-year's debt-share year as it passes the year's last day, otherwise a `MortgageYearPosted`
  on the member's stream sets it to `closing_debt - equity_stake`; an extra payment lowers it; a payment
  reduction raises it by the units sold at the unit value of the day; unit transfers on the dwelling between
  the co-op (financed) or CLT and the member move it by their price.
- the money is the rules': the annual payment agreed at signing (`MemberAdmitted.annual_payment`), the charges the
  receipts paid (`charges_collected`, FIFO over the dues through `allocate_payment`), a member-year's
  `% to equity stake` (`allocate_payment`) and its reserve movement (`reserve_movement`), the debt share's year
  (`rules.mortgage.post_year`), units (`rules.units`) and the payout (`rules.resale`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from functools import partial
from typing import Any

from ledger.calendar import member_year_bounds
from ledger.coop.dwelling import (
    DwellingHistory,
    DwellingState,
    charges_timeline,
    dwelling_state,
    leaving_date,
    units_json,
)
from ledger.coop.fold import PRECISION, Event, Events, Payload, effective, first_of, of_type, on
from ledger.coop.mortgage import DebtShareSchedule
from ledger.coop.payloads import (
    AdmissionTerms,
    Amount,
    Due,
    LenderYear,
    NewPayment,
    Payout,
    Shares,
    Transfer,
    due_of,
    payment_of,
    receipt_of,
)
from ledger.coop.society import resale_formula_on, resale_policy, stake_timeline
from ledger.errors import NotFound
from ledger.events.coop import (
    DividendPaid,
    EquityPaidOut,
    ExtraPaymentReceived,
    MemberAdmitted,
    MortgageYearPosted,
    PaymentDue,
    PaymentIndexed,
    PaymentReceived,
    PaymentReductionAgreed,
    PaymentReturned,
    ShareCapitalBought,
    ShareCapitalWithdrawn,
    UnitsTransferred,
)
from ledger.money import ZERO, round_money
from ledger.rules.mortgage import next_payment, post_year
from ledger.rules.payments import ChargesCollected, allocate_payment, reserve_movement, unpaid
from ledger.rules.resale import repaid_equity, resale_payout
from ledger.rules.units import unitise


@dataclass
class Admission:
    member_id: str
    coop_id: str
    dwelling_id: str
    admitted_on: date
    annual_payment: Decimal  # the payment fixed at signing (a version 1 admission's: its salary x its rate)
    deposit: Decimal
    debt_share: Decimal
    mortgage_id: str | None


def admission_of(member_events: Events) -> Admission | None:
    e = first_of(member_events, MemberAdmitted)
    if e is None:
        return None
    t = AdmissionTerms.of(e)
    return Admission(t.member_id, t.coop_id, t.dwelling_id, e.effective_date, t.annual_payment, t.deposit,
                     t.debt_share, t.mortgage_id)


@dataclass(frozen=True)
class MemberYear:
    """One closed member-year: what the member paid, and where it went (the annexes' reserve column)."""

    year: int
    start: date
    end: date
    received: Decimal  # receipts effective inside the year
    charges: Decimal  # the dwelling's charges budget in force at the year's start
    payment: Decimal  # the mortgage payment on the debt share
    equity_stake: Decimal  # the `% to equity stake` of a surplus, which lowers the debt share
    posting: Payload | None  # the debt share's year (interest, indexation, closing debt), if it had one

    @property
    def reserve(self) -> Decimal:
        """What the year adds to (or, in deficit, draws from) the co-op's reserve."""
        return reserve_movement(self.received, self.charges, self.payment, self.equity_stake)


@dataclass
class MemberLedger:
    """A member's running figures on one date (before units and the payout are worked out)."""

    admission: Admission
    left_on: date | None
    debt_share: Decimal
    debt_added: Decimal  # debt taken on after admission (units sold back, units bought from the CLT on credit)
    deposit: Decimal  # the admission deposit plus units bought outright from the CLT
    extra_paid: Decimal
    annual_payment: Decimal
    payments_due: Decimal
    payments_received: Decimal
    charges_due: Decimal
    charges_collected: Decimal
    share_capital: dict[str, Decimal]  # society -> amount
    dividends: Decimal
    paid_out: Decimal
    arrears_deducted: Decimal
    years_posted: int
    last_posting: Payload | None
    years: list[MemberYear] = field(default_factory=list)  # closed years in order
    years_blocked: str | None = None  # why no later year could be closed (a missing index value)

    @property
    def arrears(self) -> Decimal:
        """Dues not paid, less what the lien recovered from a payout (the allocation rule: `rules.payments.unpaid`)."""
        return unpaid(self.payments_due, self.payments_received + self.arrears_deducted)

    @property
    def credit(self) -> Decimal:
        return max(self.payments_received - self.payments_due, ZERO)

    @property
    def principal_repaid(self) -> Decimal:
        return self.admission.debt_share + self.debt_added - self.debt_share

    @property
    def reserve(self) -> Decimal:
        return sum((y.reserve for y in self.years), ZERO)

    @property
    def received_in_open_year(self) -> Decimal:
        """Receipts not yet in a closed year: held until the year closes (or the member leaves mid-year)."""
        return self.payments_received - sum((y.received for y in self.years), ZERO)


_DUE, _RECEIVED, _RETURNED = PaymentDue.event_type, PaymentReceived.event_type, PaymentReturned.event_type


class _Member:
    """The running figures of a member's fold; one method per event class (MEMBER_FOLD).

    Receipts and dues (most of a member's events) are kept in order and added up when a year closes and at the end.
    """

    __slots__ = (
        "added",
        "adm",
        "annual",
        "debt",
        "deducted",
        "deposit",
        "dividends",
        "dues",
        "dwelling_events",
        "extra",
        "last",
        "left_on",
        "paid_out",
        "posted",
        "receipts",
        "schedule",
        "shares",
        "years",
    )

    def __init__(self, adm: Admission, dwelling_events: Events, left_on: date | None,
                 schedule: DebtShareSchedule | None) -> None:
        self.adm, self.dwelling_events, self.left_on, self.schedule = adm, dwelling_events, left_on, schedule
        self.debt = adm.debt_share
        self.receipts: list[Decimal] = []
        self.added = self.extra = ZERO
        self.deposit = adm.deposit
        self.annual = adm.annual_payment
        self.dues: list[Due] = []  # (amount, charges) in order, for the FIFO charges allocation
        self.shares: dict[str, Decimal] = {}
        self.dividends = self.paid_out = self.deducted = ZERO
        self.posted: dict[int, Payload] = {}
        self.years = 0
        self.last: Payload | None = None

    def lender_year(self, e: Event) -> None:
        if self.schedule is not None:  # with a schedule the fold computes the year itself
            return
        y = LenderYear.of(e)
        self.debt = y.closing_debt - y.equity_stake
        self.posted[y.year] = y.document
        self.years, self.last = max(self.years, y.year), y.document

    def extra_payment(self, e: Event) -> None:
        applied = min(Amount.of(e).amount, self.debt)
        self.debt -= applied
        self.extra += applied

    def payment_indexed(self, e: Event) -> None:
        self.annual = NewPayment.of(e).annual_payment

    def payment_reduced(self, e: Event) -> None:
        reduction = NewPayment.of(e)
        self.annual = reduction.annual_payment
        if reduction.units_sold:
            uv = dwelling_state(self.dwelling_events, e.effective_date).unit_value
            with localcontext() as ctx:
                ctx.prec = PRECISION
                price = round_money(reduction.units_sold * uv)
            self.debt += price
            self.added += price

    def units_transferred(self, e: Event) -> None:
        """The dwelling's unit transfers move the occupant's debt share and deposit while they live there."""
        if e.effective_date < self.adm.admitted_on or (self.left_on is not None and e.effective_date >= self.left_on):
            return
        t = Transfer.of(e)
        price, src, dst = t.price, t.from_holder, t.to_holder
        if dst == "financed" and src in ("member", "clt"):
            self.debt += price
            self.added += price
        elif src == "financed" and dst in ("member", "clt"):
            applied = min(price, self.debt)
            self.debt -= applied
            if dst == "member":
                self.extra += applied
        elif src == "clt" and dst == "member":
            self.deposit += price
        elif src == "member" and dst == "clt":
            self.deposit = max(self.deposit - price, ZERO)

    def _shares(self, e: Event, sign: int) -> None:
        s = Shares.of(e)
        self.shares[s.society_id] = self.shares.get(s.society_id, ZERO) + sign * s.amount

    def shares_bought(self, e: Event) -> None:
        self._shares(e, 1)

    def shares_withdrawn(self, e: Event) -> None:
        self._shares(e, -1)

    def dividend(self, e: Event) -> None:
        self.dividends += Amount.of(e).amount

    def paid(self, e: Event) -> None:
        payout = Payout.of(e)
        self.paid_out += payout.amount
        self.deducted += payout.arrears_deducted


MEMBER_FOLD = on(
    (MortgageYearPosted, _Member.lender_year),
    (ExtraPaymentReceived, _Member.extra_payment),
    (PaymentIndexed, _Member.payment_indexed),
    (PaymentReductionAgreed, _Member.payment_reduced),
    (UnitsTransferred, _Member.units_transferred),
    (ShareCapitalBought, _Member.shares_bought),
    (ShareCapitalWithdrawn, _Member.shares_withdrawn),
    (DividendPaid, _Member.dividend),
    (EquityPaidOut, _Member.paid),
)


class _Years:
    """The member-years closed as the fold passes each year's last day: the debt share's year and the reserve."""

    def __init__(self, adm: Admission, dwelling_events: Events, society_events: Events,
                 schedule: DebtShareSchedule | None, as_of: date, left_on: date | None) -> None:
        self.adm, self.schedule = adm, schedule
        self.charges, self.stake = charges_timeline(dwelling_events), stake_timeline(society_events)
        self.as_of, self.left_on = as_of, left_on
        self.closed: list[MemberYear] = []
        self.blocked: str | None = None
        self.scheduled = schedule.first_payment if schedule is not None else ZERO
        self.counted = 0  # the receipts in closed years
        self.year = 1
        self.next_end: date | None = None
        self._advance()

    def _advance(self) -> None:
        _, end = member_year_bounds(self.adm.admitted_on, self.year)
        closable = end <= self.as_of and (self.left_on is None or end < self.left_on) and self.blocked is None
        self.next_end = end if closable else None

    def close(self, m: _Member) -> None:
        """Close year `self.year`: the debt share's year from the schedule (or the recorded one), and the reserve."""
        k = self.year
        start, end = member_year_bounds(self.adm.admitted_on, k)
        received = sum(m.receipts[self.counted:], ZERO)
        charges = self.charges.on(start)
        payment = stake = ZERO
        posting: Payload | None = None
        schedule = self.schedule
        if schedule is not None and k <= schedule.terms.term_years:
            rate, missing = schedule.rate(end)
            if rate is None:
                self.blocked = f"year {k} of member {self.adm.member_id} ends {end.isoformat()}: {missing}"
                self.next_end = None
                return
            row = post_year(schedule.terms, k, m.debt, self.scheduled, rate)
            payment = row.payment
            fraction = self.stake.on(end)
            if fraction:
                allocation = allocate_payment(received, arrears=ZERO, charges_due=charges, mortgage_due=payment,
                                              equity_stake_fraction=fraction)
                if allocation.surplus > 0:
                    stake = min(allocation.to_equity_stake, row.closing_debt)
            posting = {"year": k, "opening_debt": row.opening_debt, "interest": row.interest, "payment": row.payment,
                       "indexation": row.indexation, "closing_debt": row.closing_debt, "index_rate": row.index_rate,
                       "equity_stake": stake}
            m.debt = row.closing_debt - stake
            m.years, m.last = k, posting
            self.scheduled = next_payment(schedule.terms, self.scheduled, rate)
        elif k in m.posted:  # no schedule: the debt share's year as the co-op recorded it
            posting = m.posted[k]
            recorded: Any = posting
            payment, stake = Decimal(recorded["payment"]), Decimal(recorded.get("equity_stake") or "0")
        self.closed.append(MemberYear(k, start, end, received, charges, payment, stake, posting))
        self.counted = len(m.receipts)
        self.year += 1
        self._advance()


def member_ledger(member_events: Events, dwelling_events: Events, as_of: date, society_events: Events = (),
                  schedule: DebtShareSchedule | None = None) -> MemberLedger:
    """Fold a member's stream (and the unit transfers of their dwelling while they live there) to `as_of`.

    With a `schedule` the debt share's years are computed as the fold passes each member-year's last day
    (recorded `MortgageYearPosted` on the member's stream are then not read: docs/rules-equity.md); without one,
    the years the co-op recorded on the member's stream set the debt share. `society_events` give the
    `% to equity stake` policy.
    """
    return member_ledgers(member_events, dwelling_events, [as_of], society_events, schedule)[0]


def member_ledgers(member_events: Events, dwelling_events: Events, dates: Sequence[date],
                   society_events: Events = (), schedule: DebtShareSchedule | None = None) -> list[MemberLedger]:
    """`member_ledger` on each of `dates` (ascending), in one pass over the stream: the fold stops at each date and
    notes its figures, then goes on. A chart of a member's thirty years asks for 360 month ends: one fold, not 360
    (the same fold: `member_ledger` is this with one date)."""
    if any(later < earlier for earlier, later in itertools.pairwise(dates)):
        raise ValueError("member_ledgers: the dates must be in ascending order")
    adm = admission_of(member_events)
    if adm is None:
        raise NotFound("no MemberAdmitted event on this member's stream")
    left_on = leaving_date(dwelling_events, adm.member_id)
    m = _Member(adm, dwelling_events, left_on, schedule)
    years = _Years(adm, dwelling_events, society_events, schedule, dates[0], left_on)
    # The two commonest events (a member's monthly dues and receipts) go straight to their lists, read by their
    # accessors; the others to their MEMBER_FOLD handler.
    add_due, add_receipt, handlers = m.dues.append, m.receipts.append, MEMBER_FOLD.get
    events = effective([*member_events, *of_type(dwelling_events, UnitsTransferred)], dates[-1])
    taken, count, out = 0, len(events), []
    collected_of = ChargesCollected()  # the charges rule asked on every date, the dues walked once
    counted, received = 0, ZERO
    for as_of in dates:
        years.as_of = as_of
        years._advance()
        next_end = years.next_end
        while taken < count and events[taken].effective_date <= as_of:
            e = events[taken]
            taken += 1
            if next_end is not None and e.effective_date > next_end:
                while next_end is not None and e.effective_date > next_end:
                    years.close(m)
                    next_end = years.next_end
            t = e.type
            if t == _DUE:
                add_due(due_of(e))
            elif t == _RECEIVED:
                add_receipt(receipt_of(e))
            elif t == _RETURNED:
                add_receipt(payment_of(e))  # (negative: the money went back on that day)
            else:
                handler = handlers(t)
                if handler is not None:
                    handler(m, e)
        while years.next_end is not None:
            years.close(m)
        received += sum(m.receipts[counted:], ZERO)
        counted = len(m.receipts)
        due, charges_due = collected_of.totals(m.dues)
        collected = collected_of(received, m.dues)
        out.append(MemberLedger(adm, left_on if left_on is not None and left_on <= as_of else None, m.debt,
                                m.added, m.deposit, m.extra, m.annual, due, received, charges_due, collected,
                                dict(m.shares), m.dividends, m.paid_out, m.deducted, m.years, m.last,
                                list(years.closed), years.blocked))
    return out


@dataclass(frozen=True)
class MemberPosition:
    member_id: str
    as_of: date
    ledger: MemberLedger
    dwelling: DwellingState
    units: dict[str, Decimal]
    unit_value: Decimal
    gross_equity: Decimal
    repaid_equity: Decimal
    payout_of: Callable[[], dict[str, Any]] = field(compare=False, repr=False)
    debt_share: Decimal | None = None  # after leaving: none (it passed to the co-op)
    principal_repaid: Decimal | None = None  # after leaving: frozen at the leaving date

    @property
    def payout(self) -> dict[str, Any]:
        """The payout if leaving, worked out when first asked for (a chart of a member's month ends never asks)
        and kept. (Two threads asking at once may both work it out: the same answer.)"""
        found: dict[str, Any] | None = self.__dict__.get("_payout")
        if found is None:
            found = self.__dict__["_payout"] = self.payout_of()
        return found

    @property
    def debt_share_shown(self) -> Decimal:
        """The debt share as `member show` gives it (none after leaving)."""
        return round_money(self.ledger.debt_share if self.debt_share is None else self.debt_share)

    def to_json(self) -> dict[str, Any]:
        lg = self.ledger
        adm = lg.admission
        return {
            "member": self.member_id,
            "as_of": self.as_of,
            "coop": adm.coop_id,
            "dwelling": adm.dwelling_id,
            "admitted_on": adm.admitted_on,
            "left_on": lg.left_on,
            "status": "left" if lg.left_on else "member",
            "units": self.units,
            "unit_value": round_money(self.unit_value),
            "dwelling_value": round_money(self.dwelling.value),
            "debt_share": self.debt_share_shown,
            "principal_repaid": round_money(lg.principal_repaid if self.principal_repaid is None
                                            else self.principal_repaid),
            "deposit": round_money(lg.deposit),
            "extra_payments": round_money(lg.extra_paid),
            "gross_equity": self.gross_equity,
            "repaid_equity": self.repaid_equity,
            "payout_if_leaving": self.payout["payout"],
            "payout_detail": self.payout,
            "arrears": round_money(lg.arrears),
            "credit": round_money(lg.credit),
            "payments_due": round_money(lg.payments_due),
            "payments_received": round_money(lg.payments_received),
            "annual_payment": round_money(lg.annual_payment),
            "charges_collected": round_money(lg.charges_collected),
            "share_capital": round_money(sum(lg.share_capital.values(), ZERO)),
            "share_capital_by_society": {k: round_money(v) for k, v in sorted(lg.share_capital.items())},
            "dividends": round_money(lg.dividends),
            "equity_paid_out": round_money(lg.paid_out),
            "mortgage_years_posted": lg.years_posted,
        }


def member_position(member_events: Events, dwelling_events: Events, society_events: Events,
                    as_of: date, schedule: DebtShareSchedule | None = None) -> MemberPosition:
    """Units, equity and the payout a member would get on leaving on `as_of` (after arrears).

    A member who has left is shown as on their leaving date: no units, no debt
    share; `payout_if_leaving` is what the formula gave on that day less what
    was paid out since.
    """
    return member_positions(member_events, dwelling_events, society_events, [as_of], schedule)[0]


def member_positions(member_events: Events, dwelling_events: Events, society_events: Events,
                     dates: Sequence[date], schedule: DebtShareSchedule | None = None) -> list[MemberPosition]:
    """`member_position` on each of `dates` (ascending), the member's stream folded once (`member_ledgers`)."""
    ledgers = member_ledgers(member_events, dwelling_events, dates, society_events, schedule)
    history = DwellingHistory(dwelling_events, dates)  # the dwelling on every date, folded once a basis
    at_leaving: MemberLedger | None = None  # the ledger the day before leaving, the same for every later date
    value_at_admission: Decimal | None = None
    out = []
    for as_of, lg in zip(dates, ledgers, strict=True):
        adm = lg.admission
        day = lg.left_on or as_of
        policy_json = resale_formula_on(society_events, day)
        basis = (policy_json or {}).get("valuation_basis") or None
        dwelling = history.on(as_of)
        if lg.left_on is not None:
            if lg.left_on <= adm.admitted_on:
                leaving = lg  # left on the day they came: the day's own ledger, as the one-date fold has it
            else:
                if at_leaving is None:
                    at_leaving = member_ledger(member_events, dwelling_events, lg.left_on - timedelta(days=1),
                                               society_events, schedule)
                leaving = at_leaving
            units = units_json(dwelling.clt_units, ZERO, dwelling.total_units - dwelling.clt_units,
                               dwelling.total_units)
            out.append(MemberPosition(adm.member_id, as_of, lg, dwelling, units, dwelling.unit_value, ZERO, ZERO,
                                      partial(_payout_after_leaving, leaving, history, policy_json, basis,
                                              lg.left_on, lg.paid_out),
                                      debt_share=ZERO, principal_repaid=leaving.principal_repaid))
            continue
        holding = unitise(dwelling.total_units, dwelling.clt_units, dwelling.unit_value, lg.debt_share)
        units = units_json(holding.clt_units, holding.member_units, holding.financed_units, holding.total_units)
        payout = partial(_payout, lg, history, policy_json, basis, as_of, holding.gross_equity)
        if value_at_admission is None:  # (the same on every date)
            value_at_admission = history.on(adm.admitted_on).value
        equity = repaid_equity(original_debt=adm.debt_share, original_value=value_at_admission,
                               value_at_leaving=dwelling.value, debt_at_leaving=lg.debt_share)
        out.append(MemberPosition(adm.member_id, as_of, lg, dwelling, units, holding.unit_value,
                                  holding.gross_equity, equity, payout))
    return out


def _payout_after_leaving(leaving: MemberLedger, history: DwellingHistory, policy_json: Payload | None,
                          basis: str | None, left_on: date, paid_out: Decimal) -> dict[str, Any]:
    """What the formula gave on the leaving day, less what has been paid out since."""
    payout = _payout(leaving, history, policy_json, basis, left_on)
    due_at_leaving = payout["payout"]
    return dict(payout, payout_at_leaving=due_at_leaving, paid_out=round_money(paid_out),
                payout=round_money(max(due_at_leaving - paid_out, ZERO)))


def _payout(lg: MemberLedger, history: DwellingHistory, policy_json: Payload | None, basis: str | None,
            day: date, gross_equity: Decimal | None = None) -> dict[str, Any]:
    """The resale formula in force on `day`, capped at the member's gross equity, arrears deducted."""
    adm = lg.admission
    policy = resale_policy(policy_json)
    at_admission = history.on(adm.admitted_on, basis)
    now = history.on(day, basis)
    uv0, uv1 = at_admission.unit_value, now.unit_value
    with localcontext() as ctx:
        ctx.prec = PRECISION
        funded_units = (adm.deposit + adm.debt_share) / uv0
    if gross_equity is None:
        actual = history.on(day)
        gross_equity = unitise(actual.total_units, actual.clt_units, actual.unit_value, lg.debt_share).gross_equity
    formula = resale_payout(deposit=lg.deposit, principal_repaid=lg.principal_repaid, funded_units=funded_units,
                            unit_value_at_admission=uv0, unit_value_at_leaving=uv1, admission_date=adm.admitted_on,
                            leaving_date=max(day, adm.admitted_on), policy=policy)
    gross = min(formula.gross, max(gross_equity, ZERO))
    arrears = round_money(lg.arrears)
    deducted = min(arrears, gross)
    return {
        "deposit": round_money(formula.deposit),
        "principal_repaid": round_money(formula.principal_repaid),
        "growth": formula.growth,
        "deduction": formula.deduction,
        "formula_gross": round_money(formula.gross),
        "capped_at_gross_equity": gross < formula.gross,
        "gross": round_money(gross),
        "arrears_deducted": round_money(deducted),
        "unrecovered_arrears": round_money(arrears - deducted),
        "payout": round_money(gross - deducted),
        "tenure_years": formula.tenure_years,
        "growth_eligible": formula.growth_eligible,
        "valuation_basis": basis or "valuation",
        "formula_in_force": policy_json,
    }
