"""Accrual: the events the recorded terms, policies and index values call for, up to a date.

Accrual posts facts of the outside world and the co-op's decisions, never a
figure derived from other facts (docs/rules-equity.md, "What accrue posts"):
- the lender's year on each collective mortgage (stream `mortgage-<id>`),
  `MortgageYearPosted` effective on the last day of year k from the draw date
  (key `accrue:mortgage:<id>:<k>`), on the debt the lender holds: principal,
  top-ups and prepayments by then;
- for each member, from the admission date (member-year k runs from the
  (k-1)th anniversary to the day before the k-th): `PaymentIndexed` on the
  k-th anniversary under the payment-indexation policy in force that day
  (key `accrue:indexed:<member>:<k>`), and `PaymentDue` monthly on the
  admission day of each month (key `accrue:due:<member>:<n>`): a twelfth of
  the annual payment in force, the year's pennies spread so that twelve dues
  add up to it exactly; `charges` likewise from the dwelling's charges budget
  in force at the year's start.

The member's debt share year by year and the reserve are folds
(`ledger/coop/`): they are computed on read from the receipts,
charges, extra payments and index values, whatever order those were entered
in. `plan_accruals` is pure: given a reader of streams it returns the events
still missing through `through`. Every event has a deterministic idempotency
key, and events already in their stream under that key are not planned
again, so running the accrual twice appends nothing new.

The index rate of a year ending on E for series S is S(E.year)/S(E.year - 1) - 1
for an annual series, S(E's month)/S(12 months earlier) - 1 for a monthly one,
rounded half up to six places. A missing value stops the accrual with an
error naming the series and the period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ledger import streams
from ledger.calendar import add_months, member_year_bounds
from ledger.coop.dwelling import charges_budget_on, leaving_date
from ledger.coop.fold import RATE_QUANTUM, Event, Events, Fact, Payload, effective, first_of, of_type
from ledger.coop.index import index_rate, index_values
from ledger.coop.member import Admission, admission_of
from ledger.coop.mortgage import mortgage_terms
from ledger.coop.payloads import Amount, Drawdown, LenderYear, NewPayment
from ledger.coop.society import society_state
from ledger.errors import LedgerError
from ledger.events.base import EventPayload
from ledger.events.coop import (
    CollectiveMortgageDrawn,
    MortgagePrepaid,
    MortgageYearPosted,
    PaymentDue,
    PaymentIndexed,
    PaymentReductionAgreed,
    TopUpLoanDrawn,
)
from ledger.money import ZERO, money_text, round_money
from ledger.rules.mortgage import MortgageYear, next_payment, post_year, solve_first_payment
from ledger.rules.payments import indexed_amount, indexed_payment

# What moves the lender's balance between its years: a top-up adds to it, a prepayment takes from it.
LENDER_MOVES = {TopUpLoanDrawn.event_type: 1, MortgagePrepaid.event_type: -1}
Reader = Callable[[str], Events]


class AccrualError(LedgerError):
    pass


class MissingIndexValue(AccrualError):
    def __init__(self, series: str, period: str, needed_for: str) -> None:
        self.series, self.period = series, period
        super().__init__(f"index {series} has no value for period {period} (needed for {needed_for}); "
                         f"publish it with an IndexValuePublished event on stream {streams.index(series)}")


@dataclass(frozen=True)
class Planned:
    stream: str
    payload: EventPayload
    effective_date: date
    idempotency_key: str


def _rate_text(rate: Decimal) -> str:
    rate = rate.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)
    return format(abs(rate) if rate == 0 else rate, "f")


class IndexBook:
    """Index values by series, read once per run."""

    def __init__(self, read: Reader) -> None:
        self.read = read
        self.series: dict[str, dict[str, Decimal]] = {}

    def rate(self, series: str, year_end: date, needed_for: str) -> Decimal:
        values = self.series.get(series)
        if values is None:
            values = self.series[series] = index_values(self.read(streams.index(series)))
        rate, missing = index_rate(values, year_end)
        if rate is None:
            raise MissingIndexValue(series, str(missing), needed_for)
        return rate


def _index_rate(book: IndexBook, drawn: Payload, year_end: date, what: str) -> Decimal:
    series = drawn.get("index_series")
    if not series:
        if drawn["kind"] == "conventional":
            return ZERO
        raise AccrualError(f"mortgage {drawn['mortgage_id']} is {drawn['kind']} but names no index_series ({what})")
    return book.rate(series, year_end, what)


def _split(total: Decimal, month: int) -> Decimal:
    """Month `month` (0-11) of a yearly total: the pennies spread so that twelve parts add up exactly."""
    with localcontext() as ctx:
        ctx.prec = 40
        return round_money(total * (month + 1) / 12) - round_money(total * month / 12)


def plan_mortgage(read: Reader, mortgage_stream: str, through: date, book: IndexBook) -> list[Planned]:
    events = read(mortgage_stream)
    drawdown = first_of(events, CollectiveMortgageDrawn)
    if drawdown is None:
        return []
    drawn_on, drawn = drawdown.effective_date, Drawdown.of(drawdown).document
    keys = {e.idempotency_key for e in events}
    posted = {y.year: y.document for y in map(LenderYear.of, of_type(events, MortgageYearPosted))}
    principal = Decimal(drawn["principal"])
    terms = mortgage_terms(drawn, principal)
    payment = Decimal(drawn["first_payment"]) if drawn.get("first_payment") else solve_first_payment(terms)
    out: list[Planned] = []
    debt = principal
    counted_top_ups: set[int] = set()
    for year in range(1, terms.term_years + 1):
        _, end = member_year_bounds(drawn_on, year)
        if end > through:
            break
        if year in posted:
            p = posted[year]
            debt = Decimal(p["closing_debt"])
            payment = next_payment(terms, payment, Decimal(p["index_rate"]))
            counted_top_ups |= {e.position for e in events if e.type in LENDER_MOVES and e.effective_date <= end}
            continue
        for e in events:
            if e.type in LENDER_MOVES and e.effective_date <= end and e.position not in counted_top_ups:
                debt += LENDER_MOVES[e.type] * Amount.of(e).amount
                counted_top_ups.add(e.position)
        rate = _index_rate(book, drawn, end, f"year {year} of mortgage {drawn['mortgage_id']}")
        row = post_year(terms, year, debt, payment, rate)
        key = f"accrue:mortgage:{drawn['mortgage_id']}:{year}"
        if key not in keys:
            out.append(Planned(mortgage_stream, _posting(row), end, key))
        debt, payment = row.closing_debt, next_payment(terms, payment, rate)
    return out


def _posting(row: MortgageYear) -> MortgageYearPosted:
    return MortgageYearPosted(year=row.year, opening_debt=money_text(row.opening_debt),
                              interest=money_text(row.interest),
                              payment=money_text(row.payment), indexation=money_text(row.indexation),
                              closing_debt=money_text(row.closing_debt), index_rate=_rate_text(row.index_rate),
                              equity_stake="0")


def _annual_on(adm: Admission, events: Events, on: date) -> Decimal:
    """The annual payment in force on a date: at admission, then as indexed or reduced."""
    annual = adm.annual_payment
    for e in effective(of_type(events, PaymentIndexed, PaymentReductionAgreed), on):
        annual = NewPayment.of(e).annual_payment
    return annual


class _MemberPlan:
    """A member's accruals planned so far: each planned event is seen by the annual payment in force after it."""

    def __init__(self, stream: str, events: list[Event]) -> None:
        self.stream, self.events = stream, events
        self.keys = {e.idempotency_key for e in events}
        self.out: list[Planned] = []
        self.pending: list[Fact] = []  # planned events as facts
        self.position = 10**15

    def add(self, payload: EventPayload, on: date, key: str) -> None:
        if key in self.keys:
            return
        self.keys.add(key)
        self.out.append(Planned(self.stream, payload, on, key))
        self.position += 1
        self.pending.append(Fact(self.position, self.stream, 0, payload.event_type, payload.schema_version, on,
                                 payload.model_dump(mode="json"), key))

    def annual_on(self, adm: Admission, on: date) -> Decimal:
        return _annual_on(adm, [*self.events, *self.pending], on)


def _index_payment(plan: _MemberPlan, adm: Admission, society_events: Events, book: IndexBook, year: int,
                   start: date) -> None:
    """Year `year`'s indexation of the payment, on its first day, under the co-op's policy in force then."""
    policy = society_state(society_events, start).payment_indexation
    if policy is None:
        return
    prev_end = start - timedelta(days=1)
    rate = book.rate(policy["series"], prev_end,
                     f"the {start.isoformat()} payment indexation of member {adm.member_id}")
    current = plan.annual_on(adm, prev_end)
    margin = Decimal(policy["margin"])
    new = indexed_payment(current, rate, margin) if policy.get("floor_at_zero", True) else \
        indexed_amount(current, rate + margin)
    plan.add(PaymentIndexed(member_id=adm.member_id, period=str(start.year), index_change=_rate_text(rate),
                            annual_payment=money_text(new)), start, f"accrue:indexed:{adm.member_id}:{year}")


def _dues(plan: _MemberPlan, adm: Admission, dwelling_events: Events, year: int, start: date, through: date,
          left_on: date | None) -> None:
    """Year `year`'s monthly dues through `through` (none from the leaving date), charges first in each."""
    budget = charges_budget_on(dwelling_events, start)
    for month in range(12):
        n = (year - 1) * 12 + month
        on = add_months(adm.admitted_on, n)
        if on > through or (left_on is not None and on >= left_on):
            return
        amount = _split(plan.annual_on(adm, on), month)
        if amount > 0:
            plan.add(PaymentDue(member_id=adm.member_id, period=f"{on.year}-{on.month:02d}",
                                amount=money_text(amount), charges=money_text(min(_split(budget, month), amount))),
                     on, f"accrue:due:{adm.member_id}:{n}")


def plan_member(read: Reader, member_id: str, through: date, book: IndexBook) -> list[Planned]:
    """The indexation and dues a member's terms call for through `through` (none after leaving)."""
    stream = streams.member(member_id)
    events = list(read(stream))
    adm = admission_of(events)
    if adm is None:
        return []
    dwelling_events = read(streams.dwelling(adm.dwelling_id))
    society_events = read(streams.society(adm.coop_id))
    left_on = leaving_date(dwelling_events, member_id)
    plan = _MemberPlan(stream, events)
    year = 0
    while True:
        year += 1
        start, _ = member_year_bounds(adm.admitted_on, year)
        if start > through or (left_on is not None and start >= left_on):
            return plan.out
        if year > 1:
            _index_payment(plan, adm, society_events, book, year, start)
        _dues(plan, adm, dwelling_events, year, start, through, left_on)


def plan_accruals(read: Reader, *, members: Sequence[str], mortgages: Sequence[str], through: date) -> list[Planned]:
    """Everything missing through `through`: mortgages first, then members in the order given."""
    book = IndexBook(read)
    out: list[Planned] = []
    for mortgage in mortgages:
        out.extend(plan_mortgage(read, streams.mortgage(mortgage), through, book))
    for member in members:
        out.extend(plan_member(read, member, through, book))
    return out
