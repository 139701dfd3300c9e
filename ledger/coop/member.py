"""A member on a date: the fold of their stream, their member-years, their units and the payout on leaving.

- the debt share starts at `MemberAdmitted.debt_share`; with a schedule (ledger/coop/mortgage.py) the fold
  computes each member-year's debt-share year as it passes the year's last day, otherwise a `MortgageYearPosted`
  on the member's stream sets it to `closing_debt - equity_stake`; an extra payment lowers it; a payment
  reduction raises it by the units sold at the unit value of the day; unit transfers on the dwelling between
  the co-op (financed) or CLT and the member move it by their price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Optional, Sequence

from ledger.calendar import member_year_bounds
from ledger.coop.dwelling import DwellingState, charges_timeline, dwelling_state, leaving_date, units_json, value_on
from ledger.coop.fold import PRECISION, _d, effective, payload_of
from ledger.coop.mortgage import DebtShareSchedule
from ledger.coop.society import resale_formula_on, resale_policy, stake_timeline
from ledger.errors import NotFound
from ledger.events.base import REGISTRY
from ledger.money import ZERO, round_money
from ledger.rules.mortgage import next_payment, post_year
from ledger.rules.resale import repaid_equity, resale_payout
from ledger.rules.units import unitise

D = Decimal


def _current_version(type_: str) -> int:
    cls = REGISTRY.get(type_)
    return cls.schema_version if cls is not None else -1


@dataclass
class Admission:
    member_id: str
    coop_id: str
    dwelling_id: str
    admitted_on: date
    net_salary: Decimal
    payment_rate: Decimal
    deposit: Decimal
    debt_share: Decimal
    mortgage_id: Optional[str]

    @property
    def annual_payment(self) -> Decimal:
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return round_money(self.net_salary * self.payment_rate)


def admission_of(member_events: Sequence) -> Optional[Admission]:
    for e in member_events:
        if e.type == "MemberAdmitted":
            p = payload_of(e)
            return Admission(p["member_id"], p["coop_id"], p["dwelling_id"], e.effective_date, _d(p["net_salary"]),
                             _d(p["payment_rate"]), _d(p["deposit"]), _d(p["debt_share"]), p.get("mortgage_id"))
    return None


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
    posting: Optional[dict]  # the debt share's year (interest, indexation, closing debt), if it had one

    @property
    def reserve(self) -> Decimal:
        """What the year adds to (or, in deficit, draws from) the co-op's reserve."""
        return self.received - self.charges - self.payment - self.equity_stake


@dataclass
class MemberLedger:
    """A member's running figures on one date (before units and the payout are worked out)."""

    admission: Admission
    left_on: Optional[date]
    debt_share: Decimal
    debt_added: Decimal  # debt taken on after admission (units sold back, units bought from the CLT on credit)
    deposit: Decimal  # the admission deposit plus units bought outright from the CLT
    extra_paid: Decimal
    annual_payment: Decimal
    payments_due: Decimal
    payments_received: Decimal
    charges_due: Decimal
    charges_collected: Decimal
    share_capital: dict  # society -> amount
    dividends: Decimal
    paid_out: Decimal
    arrears_deducted: Decimal
    years_posted: int
    last_posting: Optional[dict]
    years: list = field(default_factory=list)  # MemberYear, closed years in order
    years_blocked: Optional[str] = None  # why no later year could be closed (a missing index value)

    @property
    def arrears(self) -> Decimal:
        """Dues not paid, less what the lien recovered from a payout."""
        return max(self.payments_due - self.payments_received - self.arrears_deducted, ZERO)

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


class _Years:
    """The member-years closed as the fold passes each year's last day: the debt share's year and the reserve."""

    def __init__(self, adm: Admission, dwelling_events: Sequence, society_events: Sequence,
                 schedule: Optional[DebtShareSchedule], as_of: date, left_on: Optional[date]) -> None:
        self.adm, self.schedule = adm, schedule
        self.charges, self.stake = charges_timeline(dwelling_events), stake_timeline(society_events)
        self.as_of, self.left_on = as_of, left_on
        self.closed: list[MemberYear] = []
        self.blocked: Optional[str] = None
        self.scheduled = schedule.first_payment if schedule is not None else ZERO
        self.received_before = ZERO
        self.year = 1
        self.next_end: Optional[date] = None
        self._advance()

    def _advance(self) -> None:
        _, end = member_year_bounds(self.adm.admitted_on, self.year)
        closable = end <= self.as_of and (self.left_on is None or end < self.left_on) and self.blocked is None
        self.next_end = end if closable else None

    def close(self, lg: "_Running", posted: dict) -> None:
        """Close year `self.year`: post the debt share's year from the schedule (or the recorded one) and the reserve."""
        k = self.year
        start, end = member_year_bounds(self.adm.admitted_on, k)
        received = lg.received - self.received_before
        charges = self.charges.on(start)
        payment = stake = ZERO
        posting = None
        schedule = self.schedule
        if schedule is not None and k <= schedule.terms.term_years:
            rate, missing = schedule.rate(end)
            if rate is None:
                self.blocked = f"year {k} of member {self.adm.member_id} ends {end.isoformat()}: {missing}"
                self.next_end = None
                return
            row = post_year(schedule.terms, k, lg.debt, self.scheduled, rate)
            payment = row.payment
            fraction = self.stake.on(end)
            surplus = received - charges - payment
            if fraction and surplus > 0:
                with localcontext() as ctx:
                    ctx.prec = PRECISION
                    stake = min(round_money(surplus * fraction), row.closing_debt)
            posting = {"year": k, "opening_debt": row.opening_debt, "interest": row.interest, "payment": row.payment,
                       "indexation": row.indexation, "closing_debt": row.closing_debt, "index_rate": row.index_rate,
                       "equity_stake": stake}
            lg.debt = row.closing_debt - stake
            lg.years, lg.last = k, posting
            self.scheduled = next_payment(schedule.terms, self.scheduled, rate)
        elif k in posted:  # no schedule: the debt share's year as the co-op recorded it
            posting = posted[k]
            payment, stake = _d(posting["payment"]), _d(posting.get("equity_stake") or "0")
        self.closed.append(MemberYear(k, start, end, received, charges, payment, stake, posting))
        self.received_before = lg.received
        self.year += 1
        self._advance()


@dataclass
class _Running:
    debt: Decimal
    received: Decimal = ZERO
    years: int = 0
    last: Optional[dict] = None


def member_ledger(member_events: Sequence, dwelling_events: Sequence, as_of: date, society_events: Sequence = (),
                  schedule: Optional[DebtShareSchedule] = None) -> MemberLedger:
    """Fold a member's stream (and the unit transfers of their dwelling while they live there) to `as_of`.

    With a `schedule` the debt share's years are computed as the fold passes each member-year's last day
    (recorded `MortgageYearPosted` on the member's stream are then not read: docs/rules-equity.md); without one,
    the years the co-op recorded on the member's stream set the debt share. `society_events` give the
    `% to equity stake` policy.
    """
    adm = admission_of(member_events)
    if adm is None:
        raise NotFound("no MemberAdmitted event on this member's stream")
    left_on = leaving_date(dwelling_events, adm.member_id)
    run = _Running(adm.debt_share)
    added, deposit, extra = ZERO, adm.deposit, ZERO
    annual = adm.annual_payment
    due = charges_due = ZERO
    dues: list[tuple[Decimal, Decimal]] = []  # (amount, charges) in order, for the FIFO charges allocation
    shares: dict[str, Decimal] = {}
    dividends = paid_out = deducted = ZERO
    posted: dict[int, dict] = {}
    years = _Years(adm, dwelling_events, society_events, schedule, as_of, left_on)
    # The dwelling's unit transfers affect the occupant's debt share and deposit while they live there.
    events = effective(list(member_events) + [e for e in dwelling_events if e.type == "UnitsTransferred"], as_of)
    due_version, received_version = _current_version("PaymentDue"), _current_version("PaymentReceived")
    for e in events:
        while years.next_end is not None and e.effective_date > years.next_end:
            years.close(run, posted)
        t = e.type
        # The two commonest events (monthly dues and receipts) first, with their payloads read inline.
        if t == "PaymentReceived":
            run.received += D((e.payload if e.schema_version == received_version else payload_of(e))["amount"])
        elif t == "PaymentDue":
            p = e.payload if e.schema_version == due_version else payload_of(e)
            amount = D(p["amount"])
            due += amount
            charges = p.get("charges")
            part = D(charges) if charges else ZERO
            if part > amount:
                part = amount
            charges_due += part
            dues.append((amount, part))
        elif t == "MortgageYearPosted":
            if schedule is None:  # with a schedule the fold computes the year itself
                p = payload_of(e)
                run.debt = _d(p["closing_debt"]) - _d(p.get("equity_stake") or "0")
                posted[int(p["year"])] = p
                run.years, run.last = max(run.years, int(p["year"])), p
        elif t == "ExtraPaymentReceived":
            applied = min(_d(payload_of(e)["amount"]), run.debt)
            run.debt -= applied
            extra += applied
        elif t == "PaymentIndexed":
            annual = _d(payload_of(e)["annual_payment"])
        elif t == "PaymentReductionAgreed":
            p = payload_of(e)
            annual = _d(p["annual_payment"])
            units = _d(p["units_sold"])
            if units:
                uv = dwelling_state(dwelling_events, e.effective_date).unit_value
                with localcontext() as ctx:
                    ctx.prec = PRECISION
                    price = round_money(units * uv)
                run.debt += price
                added += price
        elif t == "UnitsTransferred":
            if e.effective_date < adm.admitted_on or (left_on is not None and e.effective_date >= left_on):
                continue
            p = payload_of(e)
            price, src, dst = _d(p["price"]), p["from_holder"], p["to_holder"]
            if dst == "financed" and src in ("member", "clt"):
                run.debt += price
                added += price
            elif src == "financed" and dst in ("member", "clt"):
                applied = min(price, run.debt)
                run.debt -= applied
                if dst == "member":
                    extra += applied
            elif src == "clt" and dst == "member":
                deposit += price
            elif src == "member" and dst == "clt":
                deposit = max(deposit - price, ZERO)
        elif t in ("ShareCapitalBought", "ShareCapitalWithdrawn"):
            p = payload_of(e)
            sign = 1 if t == "ShareCapitalBought" else -1
            shares[p["society_id"]] = shares.get(p["society_id"], ZERO) + sign * _d(p["amount"])
        elif t == "DividendPaid":
            dividends += _d(payload_of(e)["amount"])
        elif t == "EquityPaidOut":
            p = payload_of(e)
            paid_out += _d(p["amount"])
            deducted += _d(p.get("arrears_deducted") or "0")
    while years.next_end is not None:
        years.close(run, posted)
    received = run.received
    # Receipts pay the oldest dues first, and within a due the charges first.
    collected, remaining = ZERO, received
    if remaining >= due:  # every due paid: every charge collected
        collected, dues = charges_due, []
    for amount, part in dues:
        if remaining <= 0:
            break
        paid = amount if amount < remaining else remaining
        collected += part if part < paid else paid
        remaining -= paid
    if left_on is not None and left_on > as_of:
        left_on = None
    return MemberLedger(adm, left_on, run.debt, added, deposit, extra, annual, due, received, charges_due, collected,
                        shares, dividends, paid_out, deducted, run.years, run.last, years.closed, years.blocked)


@dataclass(frozen=True)
class MemberPosition:
    member_id: str
    as_of: date
    ledger: MemberLedger
    dwelling: DwellingState
    units: dict
    unit_value: Decimal
    gross_equity: Decimal
    repaid_equity: Decimal
    payout: dict
    debt_share: Optional[Decimal] = None  # after leaving: none (it passed to the co-op)
    principal_repaid: Optional[Decimal] = None  # after leaving: frozen at the leaving date

    def to_json(self) -> dict:
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
            "debt_share": round_money(lg.debt_share if self.debt_share is None else self.debt_share),
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


def member_position(member_events: Sequence, dwelling_events: Sequence, society_events: Sequence,
                    as_of: date, schedule: Optional[DebtShareSchedule] = None) -> MemberPosition:
    """Units, equity and the payout a member would get on leaving on `as_of` (after arrears).

    A member who has left is shown as on their leaving date: no units, no debt
    share; `payout_if_leaving` is what the formula gave on that day less what
    was paid out since.
    """
    lg = member_ledger(member_events, dwelling_events, as_of, society_events, schedule)
    adm = lg.admission
    on = lg.left_on or as_of
    policy_json = resale_formula_on(society_events, on)
    basis = (policy_json or {}).get("valuation_basis") or None
    dwelling = dwelling_state(dwelling_events, as_of)
    if lg.left_on is not None:
        at_leaving = member_ledger(member_events, dwelling_events, lg.left_on - timedelta(days=1), society_events,
                                   schedule) \
            if lg.left_on > adm.admitted_on else lg
        payout = _payout(at_leaving, dwelling_events, policy_json, basis, lg.left_on)
        due_at_leaving = payout["payout"]
        payout = dict(payout, payout_at_leaving=due_at_leaving, paid_out=round_money(lg.paid_out),
                      payout=round_money(max(due_at_leaving - lg.paid_out, ZERO)))
        units = units_json(dwelling.clt_units, ZERO, dwelling.total_units - dwelling.clt_units, dwelling.total_units)
        return MemberPosition(adm.member_id, as_of, lg, dwelling, units, dwelling.unit_value, ZERO, ZERO, payout,
                              debt_share=ZERO, principal_repaid=at_leaving.principal_repaid)
    holding = unitise(dwelling.total_units, dwelling.clt_units, dwelling.unit_value, lg.debt_share)
    units = units_json(holding.clt_units, holding.member_units, holding.financed_units, holding.total_units)
    payout = _payout(lg, dwelling_events, policy_json, basis, as_of, holding.gross_equity)
    value_at_admission = value_on(dwelling_events, adm.admitted_on)
    equity = repaid_equity(original_debt=adm.debt_share, original_value=value_at_admission,
                           value_at_leaving=dwelling.value, debt_at_leaving=lg.debt_share)
    return MemberPosition(adm.member_id, as_of, lg, dwelling, units, holding.unit_value, holding.gross_equity,
                          equity, payout)


def _payout(lg: MemberLedger, dwelling_events: Sequence, policy_json: Optional[dict], basis: Optional[str],
            on: date, gross_equity: Optional[Decimal] = None) -> dict:
    """The resale formula in force on `on`, capped at the member's gross equity, arrears deducted."""
    adm = lg.admission
    policy = resale_policy(policy_json)
    at_admission = dwelling_state(dwelling_events, adm.admitted_on, basis)
    now = dwelling_state(dwelling_events, on, basis)
    uv0, uv1 = at_admission.unit_value, now.unit_value
    with localcontext() as ctx:
        ctx.prec = PRECISION
        funded_units = (adm.deposit + adm.debt_share) / uv0
    if gross_equity is None:
        actual = dwelling_state(dwelling_events, on)
        gross_equity = unitise(actual.total_units, actual.clt_units, actual.unit_value, lg.debt_share).gross_equity
    formula = resale_payout(deposit=lg.deposit, principal_repaid=lg.principal_repaid, funded_units=funded_units,
                            unit_value_at_admission=uv0, unit_value_at_leaving=uv1, admission_date=adm.admitted_on,
                            leaving_date=max(on, adm.admitted_on), policy=policy)
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
