"""The collective mortgage: the lender's balance on a date, and the schedule a member's debt share follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Sequence

from ledger import streams
from ledger.coop.fold import PRECISION, _d, effective, first_event, payload_of
from ledger.coop.index import index_rate, index_values
from ledger.errors import NotFound
from ledger.money import ZERO, round_money
from ledger.rules.mortgage import MortgageKind, MortgageTerms, solve_first_payment

if TYPE_CHECKING:
    from ledger.coop.member import Admission

D = Decimal


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
    return debt_share_schedule(adm, drawn, read(streams.index(series)) if series else ())


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
