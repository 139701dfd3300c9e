"""Pure folds over the shared-equity events: dwellings, members, co-ops, mortgages, the register.

No I/O and no SQLAlchemy: every function takes lists of events (anything with
the attributes of `ledger.store.StoredEvent`: position, stream, type,
schema_version, effective_date, payload, idempotency_key) and a date, and
returns what the books say on that date. The read side
(`projections/equity.py`) feeds them from a `LedgerView`; the command
handlers (`ledger/commands/equity.py`) feed them the current log to check
invariants; the accrual engine (`ledger/accrual.py`) builds on them.

Conventions (docs/rules-equity.md, "Projections"):
- an event counts from its effective date; same-day events in log order;
- a member occupies a dwelling from admission until the effective date of a
  `LeaseAssigned` naming them outgoing (the leaving date, exclusive);
- the debt share starts at `MemberAdmitted.debt_share`; a `MortgageYearPosted`
  on the member's stream sets it to `closing_debt - equity_stake`; an extra
  payment lowers it; a payment reduction raises it by the units sold at the
  unit value of the day; unit transfers on the dwelling between the co-op
  (financed) or CLT and the member move it by their price.
"""

from __future__ import annotations

import re

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from operator import attrgetter
from typing import Any, Callable, Iterable, NamedTuple, Optional, Sequence

from ledger.errors import NotFound
from ledger.events.base import REGISTRY
from ledger.money import ZERO, round_money
from ledger.rules.mortgage import MortgageKind, MortgageTerms, next_payment, post_year, solve_first_payment
from ledger.rules.resale import ResalePolicy, repaid_equity, resale_payout
from ledger.rules.units import round_units, unit_value, unitise

D = Decimal
PRECISION = 40
RATE_QUANTUM = D("0.000001")
MAX_SHARE_CAPITAL = D("20000")
MEMBERSHIP_SHARE = D("1")


class Fact(NamedTuple):
    """An event not yet in the log (a command's pending event), shaped like a StoredEvent for the folds."""

    position: int
    stream: str
    version: int
    type: str
    schema_version: int
    effective_date: date
    payload: dict
    idempotency_key: str


def payload_of(event) -> dict:
    """The payload at its type's current schema version (upcast only when older)."""
    cls = REGISTRY.get(event.type)
    if cls is None or event.schema_version == cls.schema_version:
        return event.payload
    from ledger.events.base import upcast

    return upcast(cls, dict(event.payload), event.schema_version)


def effective(events: Iterable, as_of: Optional[date] = None) -> list:
    """Events in effect by `as_of` (all when None), in effective-date order, log order breaking ties."""
    chosen = list(events) if as_of is None else [e for e in events if e.effective_date <= as_of]
    chosen.sort(key=_EFFECTIVE_ORDER)
    return chosen


_EFFECTIVE_ORDER = attrgetter("effective_date", "position")


def anniversary(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February in a common year
        return date(start.year + years, 3, 1)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day."""
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    day = start.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def member_year_bounds(admitted: date, year: int) -> tuple[date, date]:
    """Member-year `year` (1-based) runs from the (year-1)th anniversary to the day before the year-th."""
    return anniversary(admitted, year - 1), anniversary(admitted, year) - timedelta(days=1)


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else D(value)


def _current_version(type_: str) -> int:
    cls = REGISTRY.get(type_)
    return cls.schema_version if cls is not None else -1


# --- societies --------------------------------------------------------------------------------


@dataclass
class SocietyState:
    society_id: str
    kind: str
    name: str
    registered_on: date
    clt_id: Optional[str]
    reserve: Decimal = ZERO
    reserve_in: Decimal = ZERO
    reserve_out: Decimal = ZERO
    reserve_spent: Decimal = ZERO
    payment_indexation: Optional[dict] = None
    deposit_rule: Optional[dict] = None
    equity_stake_fraction: Decimal = ZERO
    resale: Optional[dict] = None
    resale_from: Optional[date] = None


# What `mutual accrue` wrote before the reserve was a fold: a member-year's surplus, frozen when accrue ran. The read
# side now computes it from the receipts, charges and mortgage payment of the year, so such a transfer reads as
# nothing (docs/rules-equity.md, "Ledgers written before the reserve was a fold"); `record` refuses the wording.
DERIVED_TRANSFER = re.compile(r"member \S+ year [0-9]+: payments less charges, mortgage and equity stake")


def derived_transfer(payload: dict) -> bool:
    return DERIVED_TRANSFER.fullmatch(payload.get("purpose") or "") is not None


def first_event(events: Sequence, type_: str) -> Optional[tuple[date, dict]]:
    """The effective date and payload of the stream's first event of a type (its registration, its drawdown)."""
    for e in events:
        if e.type == type_:
            return e.effective_date, payload_of(e)
    return None


def society_state(events: Sequence, as_of: date) -> SocietyState:
    found = first_event(events, "SocietyRegistered")
    if found is None:
        raise NotFound("no SocietyRegistered event on this stream")
    registered_on, p = found
    state = SocietyState(p["society_id"], p["kind"], p["name"], registered_on, p.get("clt_id"))
    for e in effective(events, as_of):
        t, p = e.type, payload_of(e)
        if t == "ReserveTransferred":
            if derived_transfer(p):
                continue  # the reserve's share of a member-year is folded from the facts (coop show)
            amount = _d(p["amount"])
            state.reserve += amount
            if amount >= 0:
                state.reserve_in += amount
            else:
                state.reserve_out -= amount
        elif t == "ReserveSpent":
            state.reserve -= _d(p["amount"])
            state.reserve_spent += _d(p["amount"])
        elif t == "PaymentIndexationPolicySet":
            state.payment_indexation = p
        elif t == "DepositRuleSet":
            state.deposit_rule = p
        elif t == "EquityStakePolicySet":
            state.equity_stake_fraction = _d(p["fraction"])
        elif t == "ResaleFormulaSet":
            state.resale, state.resale_from = p, e.effective_date
    return state


def resale_formula_on(events: Sequence, on: date) -> Optional[dict]:
    """The resale formula in force on a date (None: no formula recorded, i.e. no deduction)."""
    found = None
    for e in effective((e for e in events if e.type == "ResaleFormulaSet"), on):
        found = payload_of(e)
    return found


def resale_policy(resale: Optional[dict]) -> ResalePolicy:
    if not resale:
        return ResalePolicy()
    cap = resale.get("appreciation_cap")
    return ResalePolicy(deduction=_d(resale["deduction"]), appreciation_cap=None if cap is None else _d(cap),
                        minimum_tenure_years=int(resale.get("minimum_tenure_years") or 0))


# --- dwellings --------------------------------------------------------------------------------


@dataclass
class DwellingState:
    dwelling_id: str
    coop_id: str
    registered_on: date
    total_units: Decimal
    clt_units: Decimal
    value: Decimal
    value_basis: str = "valuation"
    valued_on: Optional[date] = None
    charges: dict = field(default_factory=dict)
    charges_from: Optional[date] = None
    leases: list = field(default_factory=list)  # (date, outgoing, incoming)

    @property
    def unit_value(self) -> Decimal:
        return unit_value(self.value, self.total_units)

    @property
    def charges_budget(self) -> Decimal:
        return sum((_d(v) for v in self.charges.values()), ZERO)


CHARGE_HEADS = ("management", "maintenance", "insurance", "services", "sinking_fund")


def dwelling_state(events: Sequence, as_of: date, basis: Optional[str] = None) -> DwellingState:
    """The dwelling on `as_of`; `basis` ("valuation" or "index") keeps only revaluations of that basis."""
    found = first_event(events, "DwellingRegistered")
    if found is None:
        raise NotFound("no DwellingRegistered event on this stream")
    registered_on, p = found
    state = DwellingState(p["dwelling_id"], p["coop_id"], registered_on, _d(p["units"]), _d(p["clt_units"]),
                          _d(p["value"]), valued_on=registered_on)
    for e in effective(events, as_of):
        t = e.type
        if t == "DwellingRevalued":
            p = payload_of(e)
            if basis is None or p.get("basis", "valuation") == basis:
                state.value, state.value_basis, state.valued_on = _d(p["value"]), p.get("basis", "valuation"), e.effective_date
        elif t == "UnitsTransferred":
            p = payload_of(e)
            units = _d(p["units"])
            if p["from_holder"] == "clt":
                state.clt_units -= units
            if p["to_holder"] == "clt":
                state.clt_units += units
        elif t == "ChargesBudgetSet":
            p = payload_of(e)
            state.charges = {k: p[k] for k in CHARGE_HEADS}
            state.charges_from = e.effective_date
        elif t == "LeaseAssigned":
            p = payload_of(e)
            state.leases.append((e.effective_date, p["outgoing_member_id"], p.get("incoming_member_id")))
    return state


def value_on(events: Sequence, on: date, basis: Optional[str] = None) -> Decimal:
    return dwelling_state(events, on, basis).value


def leaving_date(dwelling_events: Sequence, member_id: str) -> Optional[date]:
    """The first assignment of the lease away from the member, whatever the query date."""
    for e in effective(dwelling_events):
        if e.type == "LeaseAssigned" and payload_of(e)["outgoing_member_id"] == member_id:
            return e.effective_date
    return None


class Timeline:
    """A value set by events from their effective dates (a policy, a budget), read on any date by bisection."""

    def __init__(self, events: Iterable, type_: str, value: Callable[[dict], Any], before: Any = ZERO) -> None:
        chosen = effective(e for e in events if e.type == type_)
        self.dates = [e.effective_date for e in chosen]
        self.values = [value(payload_of(e)) for e in chosen]
        self.before = before

    def on(self, day: date) -> Any:
        i = bisect_right(self.dates, day)
        return self.values[i - 1] if i else self.before


def _budget(p: dict) -> Decimal:
    return sum((_d(p[k]) for k in CHARGE_HEADS), ZERO)


def charges_timeline(dwelling_events: Sequence) -> Timeline:
    """The dwelling's yearly charges budget, from each `ChargesBudgetSet`."""
    return Timeline(dwelling_events, "ChargesBudgetSet", _budget)


def charges_budget_on(dwelling_events: Sequence, on: date) -> Decimal:
    return charges_timeline(dwelling_events).on(on)


# --- index series and the debt share's terms -------------------------------------------------


def index_values(events: Sequence) -> dict[str, Decimal]:
    return {payload_of(e)["period"]: _d(payload_of(e)["value"]) for e in events if e.type == "IndexValuePublished"}


def index_periods(values: dict[str, Decimal], year_end: date) -> tuple[str, str]:
    """The two periods whose values give the index rate of a year ending on `year_end` (before, now)."""
    if any(len(p) == 7 for p in values):  # a monthly series
        return f"{year_end.year - 1}-{year_end.month:02d}", f"{year_end.year}-{year_end.month:02d}"
    return str(year_end.year - 1), str(year_end.year)


def index_rate(values: dict[str, Decimal], year_end: date) -> tuple[Optional[Decimal], Optional[str]]:
    """The index rate of a year ending on `year_end`, rounded half up to six places; or (None, the missing period).

    S(E.year) / S(E.year - 1) - 1 for an annual series (periods `YYYY`), S(E's month) / S(12 months before) - 1
    for a monthly one (`YYYY-MM`).
    """
    before, now = index_periods(values, year_end)
    for period in (before, now):
        if period not in values:
            return None, period
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return (values[now] / values[before] - 1).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP), None


def mortgage_terms(drawn: dict, principal: Decimal) -> MortgageTerms:
    """The terms of a drawn mortgage applied to `principal` (the whole loan, or one member's debt share)."""
    return MortgageTerms(MortgageKind(drawn["kind"]), principal, int(drawn["term_years"]), D(drawn["rate"]),
                         D(drawn.get("tilt") or "0"), drawn.get("compounding") or "annual")


def member_mortgage(mortgage_id: Optional[str], coop_mortgages: dict[str, dict]) -> Optional[dict]:
    """The drawn mortgage a member's debt share follows: the one admission names, else the co-op's only one."""
    if mortgage_id:
        return coop_mortgages.get(mortgage_id)
    if len(coop_mortgages) == 1:
        return next(iter(coop_mortgages.values()))
    return None


def drawn_by_coop(drawn_events: Iterable) -> dict[str, dict[str, dict]]:
    """Every co-op's drawn mortgages, by co-op and mortgage id (the first drawing of each mortgage)."""
    found: dict[str, dict[str, dict]] = {}
    for e in drawn_events:
        p = payload_of(e)
        found.setdefault(p["coop_id"], {}).setdefault(p["mortgage_id"], p)
    return found


@dataclass(frozen=True)
class DebtShareSchedule:
    """What a member's debt share follows year by year: the mortgage's terms on the share and its index series.

    The debt share's years are a fold of these facts (docs/rules-equity.md, "The debt share's years"), never
    events posted when a command ran: an extra payment or a receipt recorded late still counts.
    """

    mortgage_id: str
    drawn: dict
    terms: MortgageTerms
    first_payment: Decimal
    series: Optional[str]
    index: dict

    def rate(self, year_end: date) -> tuple[Optional[Decimal], Optional[str]]:
        """The year's index rate, or (None, what is missing)."""
        if not self.series:
            if self.terms.kind is MortgageKind.CONVENTIONAL:
                return ZERO, None
            return None, f"mortgage {self.mortgage_id} is {self.terms.kind.value} but names no index_series"
        rate, missing = index_rate(self.index, year_end)
        if rate is None:
            return None, f"index {self.series} has no value for period {missing}"
        return rate, None


def debt_share_schedule(adm: "Admission", drawn: Optional[dict], index_events: Sequence = ()) -> Optional[DebtShareSchedule]:
    """The schedule of a member's debt share under `drawn` (None: no mortgage, or no debt share)."""
    if drawn is None or adm.debt_share <= 0:
        return None
    terms = mortgage_terms(drawn, adm.debt_share)
    if drawn.get("first_payment"):
        with localcontext() as ctx:
            ctx.prec = PRECISION
            first = round_money(D(drawn["first_payment"]) * adm.debt_share / D(drawn["principal"]))
    else:
        first = solve_first_payment(terms)
    return DebtShareSchedule(drawn["mortgage_id"], drawn, terms, first, drawn.get("index_series") or None,
                             index_values(index_events))


def schedule_of(adm: "Admission", coop_mortgages: dict[str, dict], read: Callable[[str], Sequence]) -> Optional[DebtShareSchedule]:
    """A member's debt-share schedule, reading the index series it needs through `read(stream)`."""
    drawn = member_mortgage(adm.mortgage_id, coop_mortgages)
    series = drawn.get("index_series") if drawn is not None else None
    return debt_share_schedule(adm, drawn, read(f"index-{series}") if series else ())


# --- members ----------------------------------------------------------------------------------


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


def stake_timeline(society_events: Sequence) -> Timeline:
    """The `% to equity stake` policy in force on any date (0 when none is recorded)."""
    return Timeline(society_events, "EquityStakePolicySet", lambda p: _d(p["fraction"]))


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


def _units_json(holding_clt: Decimal, member: Decimal, financed: Decimal, total: Decimal) -> dict:
    return {"clt": round_units(holding_clt), "member": round_units(member), "financed": round_units(financed),
            "total": round_units(total)}


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
        units = _units_json(dwelling.clt_units, ZERO, dwelling.total_units - dwelling.clt_units, dwelling.total_units)
        return MemberPosition(adm.member_id, as_of, lg, dwelling, units, dwelling.unit_value, ZERO, ZERO, payout,
                              debt_share=ZERO, principal_repaid=at_leaving.principal_repaid)
    holding = unitise(dwelling.total_units, dwelling.clt_units, dwelling.unit_value, lg.debt_share)
    units = _units_json(holding.clt_units, holding.member_units, holding.financed_units, holding.total_units)
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


# --- mortgages --------------------------------------------------------------------------------


@dataclass
class MortgageState:
    mortgage_id: str
    coop_id: str
    terms: dict
    drawn_on: date
    debt: Decimal
    principal: Decimal
    top_ups: Decimal
    years_posted: int
    last_posting: Optional[dict]
    scheduled_payment: Optional[Decimal] = None
    prepaid: Decimal = ZERO  # members' staircasing money passed to the lender


def mortgage_state(events: Sequence, as_of: date) -> MortgageState:
    """The lender's balance on a date: principal + top-ups - prepayments + each posted year's
    interest + indexation - payment (a fold of the amounts, so a top-up recorded late still counts)."""
    found = first_event(events, "CollectiveMortgageDrawn")
    if found is None:
        raise NotFound("no CollectiveMortgageDrawn event on this stream")
    drawn_on, p = found
    state = MortgageState(p["mortgage_id"], p["coop_id"], p, drawn_on, ZERO, ZERO, ZERO, 0, None)
    for e in effective(events, as_of):
        t, p = e.type, payload_of(e)
        if t == "CollectiveMortgageDrawn":
            state.debt += _d(p["principal"])
            state.principal += _d(p["principal"])
        elif t == "TopUpLoanDrawn":
            state.debt += _d(p["amount"])
            state.top_ups += _d(p["amount"])
        elif t == "MortgagePrepaid":
            state.debt -= _d(p["amount"])
            state.prepaid += _d(p["amount"])
        elif t == "MortgageYearPosted":
            state.debt += _d(p["interest"]) + _d(p["indexation"]) - _d(p["payment"])
            state.years_posted, state.last_posting = int(p["year"]), p
    return state
