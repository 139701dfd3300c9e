"""Accrual: the events the recorded terms, policies and index values call for, up to a date.

`plan_accruals` is pure: given a reader of streams (a function from stream
name to its events) and the admissions and mortgages to accrue, it returns
the events still missing through `through`. Every event has a deterministic
idempotency key, and events already in their stream under that key are not
planned again, so running the accrual twice appends nothing new.

For each collective mortgage (stream `mortgage-<id>`), years k = 1.. from
the draw date: `MortgageYearPosted` effective on the last day of year k.
For each member, from the admission date (member-year k runs from the
(k-1)th anniversary to the day before the k-th):
- `PaymentIndexed` on the k-th anniversary under the payment-indexation
  policy in force that day (key `accrue:indexed:<member>:<k>`);
- `PaymentDue` monthly on the admission day of each month (key
  `accrue:due:<member>:<n>`): a twelfth of the annual payment in force, the
  year's pennies spread so that twelve dues add up to it exactly; `charges`
  likewise from the dwelling's charges budget in force at the year's start;
- on the last day of year k: `MortgageYearPosted` on the member's stream for
  the debt share (key `accrue:year:<member>:<k>`) and `ReserveTransferred`
  on the co-op's stream (key `accrue:reserve:<member>:<k>`): the year's
  receipts less the year's charges less the year's mortgage payment, less the
  `% to equity stake` of a surplus, which is posted as the year's
  `equity_stake` and reduces the debt share.

The index rate of a year ending on E for series S is S(E.year)/S(E.year - 1) - 1
for an annual series, S(E's month)/S(12 months earlier) - 1 for a monthly one,
rounded half up to six places. A missing value stops the accrual with an
error naming the series and the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Callable, Optional, Sequence

from ledger import equity_state as S
from ledger.errors import LedgerError
from ledger.events.equity import MortgageYearPosted, PaymentDue, PaymentIndexed, ReserveTransferred
from ledger.events.base import EventPayload
from ledger.money import ZERO, money_text, round_money
from ledger.rules.mortgage import MortgageKind, MortgageTerms, next_payment, post_year, solve_first_payment
from ledger.rules.payments import indexed_amount, indexed_payment

RATE_QUANTUM = Decimal("0.000001")
Reader = Callable[[str], Sequence]


class AccrualError(LedgerError):
    pass


class MissingIndexValue(AccrualError):
    def __init__(self, series: str, period: str, needed_for: str) -> None:
        self.series, self.period = series, period
        super().__init__(f"index {series} has no value for period {period} (needed for {needed_for}); "
                         f"publish it with an IndexValuePublished event on stream index-{series}")


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
        self.read, self.series = read, {}

    def rate(self, series: str, year_end: date, needed_for: str) -> Decimal:
        values = self.series.get(series)
        if values is None:
            values = self.series[series] = S.index_values(self.read(f"index-{series}"))
        monthly = any(len(p) == 7 for p in values)
        if monthly:
            now = f"{year_end.year}-{year_end.month:02d}"
            before = f"{year_end.year - 1}-{year_end.month:02d}"
        else:
            now, before = str(year_end.year), str(year_end.year - 1)
        for period in (before, now):
            if period not in values:
                raise MissingIndexValue(series, period, needed_for)
        with localcontext() as ctx:
            ctx.prec = 40
            return (values[now] / values[before] - 1).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def _terms(drawn: dict, principal: Decimal) -> MortgageTerms:
    return MortgageTerms(MortgageKind(drawn["kind"]), principal, int(drawn["term_years"]), Decimal(drawn["rate"]),
                         Decimal(drawn.get("tilt") or "0"), drawn.get("compounding") or "annual")


def _index_rate(book: IndexBook, drawn: dict, year_end: date, what: str) -> Decimal:
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
    found = S.first_event(events, "CollectiveMortgageDrawn")
    if found is None:
        return []
    drawn_on, drawn = found
    keys = {e.idempotency_key for e in events}
    posted = {int(S.payload_of(e)["year"]): S.payload_of(e) for e in events if e.type == "MortgageYearPosted"}
    principal = Decimal(drawn["principal"])
    terms = _terms(drawn, principal)
    payment = Decimal(drawn["first_payment"]) if drawn.get("first_payment") else solve_first_payment(terms)
    out: list[Planned] = []
    debt = principal
    counted_top_ups: set[int] = set()
    for year in range(1, terms.term_years + 1):
        start, end = S.member_year_bounds(drawn_on, year)
        if end > through:
            break
        if year in posted:
            p = posted[year]
            debt = Decimal(p["closing_debt"])
            payment = next_payment(terms, payment, Decimal(p["index_rate"]))
            counted_top_ups |= {e.position for e in events if e.type == "TopUpLoanDrawn" and e.effective_date <= end}
            continue
        for e in events:
            if e.type == "TopUpLoanDrawn" and e.effective_date <= end and e.position not in counted_top_ups:
                debt += Decimal(S.payload_of(e)["amount"])
                counted_top_ups.add(e.position)
        rate = _index_rate(book, drawn, end, f"year {year} of mortgage {drawn['mortgage_id']}")
        row = post_year(terms, year, debt, payment, rate)
        key = f"accrue:mortgage:{drawn['mortgage_id']}:{year}"
        if key not in keys:
            out.append(Planned(mortgage_stream, _posting(row), end, key))
        debt, payment = row.closing_debt, next_payment(terms, payment, rate)
    return out


def _posting(row, equity_stake: Decimal = ZERO) -> MortgageYearPosted:
    return MortgageYearPosted(year=row.year, opening_debt=money_text(row.opening_debt), interest=money_text(row.interest),
                              payment=money_text(row.payment), indexation=money_text(row.indexation),
                              closing_debt=money_text(row.closing_debt), index_rate=_rate_text(row.index_rate),
                              equity_stake=money_text(equity_stake))


def _annual_on(adm: S.Admission, events: Sequence, on: date) -> Decimal:
    """The annual payment in force on a date: at admission, then as indexed or reduced."""
    annual = adm.annual_payment
    for e in S.effective((e for e in events if e.type in ("PaymentIndexed", "PaymentReductionAgreed")), on):
        annual = Decimal(S.payload_of(e)["annual_payment"])
    return annual


def plan_member(read: Reader, member_id: str, through: date, book: IndexBook,
                mortgages_of_coop: Optional[dict[str, dict]] = None) -> list[Planned]:
    """The accruals a member's terms call for through `through` (none after leaving)."""
    stream = f"member-{member_id}"
    events = list(read(stream))
    adm = S.admission_of(events)
    if adm is None:
        return []
    dwelling_events = read(f"dwelling-{adm.dwelling_id}")
    society_stream = f"society-{adm.coop_id}"
    society_events = read(society_stream)
    keys = {e.idempotency_key for e in events} | {e.idempotency_key for e in society_events}
    left_on = S.leaving_date(dwelling_events, member_id)
    drawn = None
    if adm.mortgage_id:
        found = S.first_event(read(f"mortgage-{adm.mortgage_id}"), "CollectiveMortgageDrawn")
        drawn = found[1] if found else None
    elif mortgages_of_coop:
        if len(mortgages_of_coop) == 1:
            drawn = next(iter(mortgages_of_coop.values()))
    terms = _terms(drawn, adm.debt_share) if drawn is not None and adm.debt_share > 0 else None
    if terms is not None:
        if drawn.get("first_payment"):
            with localcontext() as ctx:
                ctx.prec = 40
                scheduled = round_money(Decimal(drawn["first_payment"]) * adm.debt_share / Decimal(drawn["principal"]))
        else:
            scheduled = solve_first_payment(terms)
    out: list[Planned] = []
    pending: list = []  # planned events as facts, so the fold sees them
    position = 10**15

    def add(target: str, payload: EventPayload, on: date, key: str) -> None:
        nonlocal position
        if key in keys:
            return
        keys.add(key)
        out.append(Planned(target, payload, on, key))
        if target == stream:
            position += 1
            pending.append(S.Fact(position, stream, 0, payload.event_type, payload.schema_version, on,
                                  payload.model_dump(mode="json"), key))

    year = 0
    while True:
        year += 1
        start, end = S.member_year_bounds(adm.admitted_on, year)
        if start > through or (left_on is not None and start >= left_on):
            break
        # 1. indexation of the payment at the start of the year (from year 2)
        if year > 1:
            society = S.society_state(society_events, start)
            policy = society.payment_indexation
            if policy is not None:
                prev_end = start - timedelta(days=1)
                rate = book.rate(policy["series"], prev_end, f"the {start.isoformat()} payment indexation of member {member_id}")
                current = _annual_on(adm, events + pending, prev_end)
                margin = Decimal(policy["margin"])
                if policy.get("floor_at_zero", True):
                    new = indexed_payment(current, rate, margin)
                else:
                    new = indexed_amount(current, rate + margin)
                add(stream, PaymentIndexed(member_id=member_id, period=str(start.year), index_change=_rate_text(rate),
                                           annual_payment=money_text(new)), start, f"accrue:indexed:{member_id}:{year}")
        # 2. monthly dues of the year
        budget = S.charges_budget_on(dwelling_events, start)
        for month in range(12):
            n = (year - 1) * 12 + month
            on = S.add_months(adm.admitted_on, n)
            if on > through or (left_on is not None and on >= left_on):
                break
            annual = _annual_on(adm, events + pending, on)
            amount = _split(annual, month)
            charges = min(_split(budget, month), amount)
            if amount > 0:
                add(stream, PaymentDue(member_id=member_id, period=f"{on.year}-{on.month:02d}", amount=money_text(amount),
                                       charges=money_text(charges)), on, f"accrue:due:{member_id}:{n}")
        # 3. the year's close: mortgage year on the debt share, and the reserve
        if end > through or (left_on is not None and end >= left_on):
            break
        key = f"accrue:year:{member_id}:{year}"
        payment = ZERO
        posted = next((S.payload_of(e) for e in events if e.type == "MortgageYearPosted"
                       and int(S.payload_of(e)["year"]) == year), None)
        lg = S.member_ledger(events + pending, dwelling_events, end)
        society = S.society_state(society_events, end)
        received = sum((Decimal(S.payload_of(e)["amount"]) for e in events
                        if e.type == "PaymentReceived" and start <= e.effective_date <= end), ZERO)
        if terms is not None and year <= terms.term_years:
            if posted is not None:
                payment = Decimal(posted["payment"])
                scheduled = next_payment(terms, scheduled, Decimal(posted["index_rate"]))
                stake = Decimal(posted.get("equity_stake") or "0")
            else:
                rate = _index_rate(book, drawn, end, f"year {year} of member {member_id}'s debt share")
                row = post_year(terms, year, lg.debt_share, scheduled, rate)
                payment = row.payment
                surplus = received - budget - payment
                stake = ZERO
                if society.equity_stake_fraction and surplus > 0:
                    stake = min(round_money(surplus * society.equity_stake_fraction), row.closing_debt)
                add(stream, _posting(row, stake), end, key)
                scheduled = next_payment(terms, scheduled, rate)
        else:
            stake = ZERO
        movement = received - budget - payment - stake
        if movement == 0:
            continue  # nothing moves; a zero transfer is not an event
        add(society_stream, ReserveTransferred(coop_id=adm.coop_id, amount=money_text(movement),
                                               purpose=f"member {member_id} year {year}: payments less charges, "
                                                       f"mortgage and equity stake"),
            end, f"accrue:reserve:{member_id}:{year}")
    return out


def plan_accruals(read: Reader, *, members: Sequence[str], mortgages: Sequence[str], through: date,
                  coop_mortgages: Optional[dict[str, dict[str, dict]]] = None) -> list[Planned]:
    """Everything missing through `through`: mortgages first, then members in the order given."""
    book = IndexBook(read)
    out: list[Planned] = []
    for mortgage in mortgages:
        out.extend(plan_mortgage(read, f"mortgage-{mortgage}", through, book))
    for member in members:
        adm = S.admission_of(read(f"member-{member}"))
        coop = (coop_mortgages or {}).get(adm.coop_id) if adm else None
        out.extend(plan_member(read, member, through, book, coop))
    return out
