"""The collective mortgage: the lender's balance on a date, and the schedule a member's debt share follows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

from ledger import streams
from ledger.coop.fold import PRECISION, Event, Events, Payload, effective, first_of, on, run
from ledger.coop.index import index_rate, index_values
from ledger.coop.payloads import Amount, Drawdown, LenderYear
from ledger.errors import NotFound
from ledger.events.coop import CollectiveMortgageDrawn, MortgagePrepaid, MortgageYearPosted, TopUpLoanDrawn
from ledger.money import ZERO, round_money
from ledger.rules.mortgage import Compounding, MortgageKind, MortgageTerms, solve_first_payment

if TYPE_CHECKING:
    from ledger.coop.member import Admission

D = Decimal
Drawn = Payload  # a CollectiveMortgageDrawn's payload: the terms as the lender recorded them


def mortgage_terms(drawn: Drawn, principal: Decimal) -> MortgageTerms:
    """The terms of a drawn mortgage applied to `principal` (the whole loan, or one member's debt share)."""
    return MortgageTerms(MortgageKind(drawn["kind"]), principal, int(drawn["term_years"]), D(drawn["rate"]),
                         D(drawn.get("tilt") or "0"), Compounding(drawn.get("compounding") or "annual"))


def member_mortgage(mortgage_id: str | None, coop_mortgages: dict[str, Drawn]) -> Drawn | None:
    """The drawn mortgage a member's debt share follows: the one admission names, else the co-op's only one."""
    if mortgage_id:
        return coop_mortgages.get(mortgage_id)
    if len(coop_mortgages) == 1:
        return next(iter(coop_mortgages.values()))
    return None


def drawn_by_coop(drawn_events: Iterable[Event]) -> dict[str, dict[str, Drawn]]:
    """Every co-op's drawn mortgages, by co-op and mortgage id (the first drawing of each mortgage)."""
    found: dict[str, dict[str, Drawn]] = {}
    for d in map(Drawdown.of, drawn_events):
        found.setdefault(d.coop_id, {}).setdefault(d.mortgage_id, d.document)
    return found


@dataclass(frozen=True)
class DebtShareSchedule:
    """What a member's debt share follows year by year: the mortgage's terms on the share and its index series.

    The debt share's years are a fold of these facts (docs/rules-equity.md, "The debt share's years"), never
    events posted when a command ran: an extra payment or a receipt recorded late still counts.
    """

    mortgage_id: str
    drawn: Drawn
    terms: MortgageTerms
    first_payment: Decimal
    series: str | None
    index: dict[str, Decimal]

    def rate(self, year_end: date) -> tuple[Decimal | None, str | None]:
        """The year's index rate, or (None, what is missing)."""
        if not self.series:
            if self.terms.kind is MortgageKind.CONVENTIONAL:
                return ZERO, None
            return None, f"mortgage {self.mortgage_id} is {self.terms.kind.value} but names no index_series"
        rate, missing = index_rate(self.index, year_end)
        if rate is None:
            return None, f"index {self.series} has no value for period {missing}"
        return rate, None


def debt_share_schedule(adm: Admission, drawn: Drawn | None,
                        index_events: Events = ()) -> DebtShareSchedule | None:
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


def schedule_of(adm: Admission, coop_mortgages: dict[str, Drawn],
                read: Callable[[str], Events]) -> DebtShareSchedule | None:
    """A member's debt-share schedule, reading the index series it needs through `read(stream)`."""
    drawn = member_mortgage(adm.mortgage_id, coop_mortgages)
    series: Any = drawn.get("index_series") if drawn is not None else None
    return debt_share_schedule(adm, drawn, read(streams.index(series)) if series else ())


@dataclass
class MortgageState:
    mortgage_id: str
    coop_id: str
    terms: Drawn
    drawn_on: date
    debt: Decimal
    principal: Decimal
    top_ups: Decimal
    years_posted: int
    last_posting: Payload | None
    scheduled_payment: Decimal | None = None
    prepaid: Decimal = ZERO  # members' staircasing money passed to the lender


def _drawn(state: MortgageState, e: Event) -> None:
    principal = Drawdown.of(e).principal
    state.debt += principal
    state.principal += principal


def _topped_up(state: MortgageState, e: Event) -> None:
    amount = Amount.of(e).amount
    state.debt += amount
    state.top_ups += amount


def _prepaid(state: MortgageState, e: Event) -> None:
    amount = Amount.of(e).amount
    state.debt -= amount
    state.prepaid += amount


def _lender_year(state: MortgageState, e: Event) -> None:
    y = LenderYear.of(e)
    state.debt += y.interest + y.indexation - y.payment
    state.years_posted, state.last_posting = y.year, y.document


MORTGAGE_FOLD = on(
    (CollectiveMortgageDrawn, _drawn),
    (TopUpLoanDrawn, _topped_up),
    (MortgagePrepaid, _prepaid),
    (MortgageYearPosted, _lender_year),
)


def mortgage_state(events: Events, as_of: date) -> MortgageState:
    """The lender's balance on a date: principal + top-ups - prepayments + each posted year's
    interest + indexation - payment (a fold of the amounts, so a top-up recorded late still counts)."""
    drawn = first_of(events, CollectiveMortgageDrawn)
    if drawn is None:
        raise NotFound("no CollectiveMortgageDrawn event on this stream")
    d = Drawdown.of(drawn)
    state = MortgageState(d.mortgage_id, d.coop_id, d.document, drawn.effective_date, ZERO, ZERO, ZERO, 0, None)
    return run(MORTGAGE_FOLD, state, effective(events, as_of))
