"""A dwelling on a date: its value, units held by the CLT, charges budget and lease assignments.

A member occupies a dwelling from admission until the effective date of a `LeaseAssigned` naming them
outgoing (the leaving date, exclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from ledger.coop.fold import Event, Events, Timeline, dec, effective, first_of, of_type, on, run
from ledger.coop.payloads import CHARGE_HEADS, Assignment, Budget, DwellingRegistration, Revaluation, Transfer
from ledger.errors import NotFound
from ledger.events.coop import ChargesBudgetSet, DwellingRegistered, DwellingRevalued, LeaseAssigned, UnitsTransferred
from ledger.money import ZERO
from ledger.rules.units import round_units, unit_value

__all__ = ["CHARGE_HEADS", "DwellingHistory", "DwellingState", "charges_budget_on", "charges_timeline",
           "dwelling_state", "dwelling_states", "leaving_date", "units_json", "value_on"]


@dataclass
class DwellingState:
    dwelling_id: str
    coop_id: str
    registered_on: date
    total_units: Decimal
    clt_units: Decimal
    value: Decimal
    value_basis: str = "valuation"
    valued_on: date | None = None
    charges: dict[str, str] = field(default_factory=dict)
    charges_from: date | None = None
    leases: list[tuple[date, str, str | None]] = field(default_factory=list)  # (date, outgoing, incoming)
    basis: str | None = field(default=None, repr=False, compare=False)  # the revaluations folded (None: all)

    @property
    def unit_value(self) -> Decimal:
        return unit_value(self.value, self.total_units)

    @property
    def charges_budget(self) -> Decimal:
        return sum((dec(v) for v in self.charges.values()), ZERO)


def _revalued(state: DwellingState, e: Event) -> None:
    r = Revaluation.of(e)
    if state.basis is None or r.basis == state.basis:
        state.value, state.value_basis, state.valued_on = r.value, r.basis, e.effective_date


def _transferred(state: DwellingState, e: Event) -> None:
    t = Transfer.of(e)
    if t.from_holder == "clt":
        state.clt_units -= t.units
    if t.to_holder == "clt":
        state.clt_units += t.units


def _budget_set(state: DwellingState, e: Event) -> None:
    state.charges, state.charges_from = Budget.of(e).heads, e.effective_date


def _assigned(state: DwellingState, e: Event) -> None:
    a = Assignment.of(e)
    state.leases.append((e.effective_date, a.outgoing_member_id, a.incoming_member_id))


DWELLING_FOLD = on(
    (DwellingRevalued, _revalued),
    (UnitsTransferred, _transferred),
    (ChargesBudgetSet, _budget_set),
    (LeaseAssigned, _assigned),
)


def dwelling_state(events: Events, as_of: date, basis: str | None = None) -> DwellingState:
    """The dwelling on `as_of`; `basis` ("valuation" or "index") keeps only revaluations of that basis."""
    return dwelling_states(events, [as_of], basis)[0]


def dwelling_states(events: Events, dates: Sequence[date], basis: str | None = None) -> list[DwellingState]:
    """`dwelling_state` on each of `dates` (ascending), the stream folded once: the fold stops at each date and keeps
    a copy of the state, then goes on (`dwelling_state` is this with one date)."""
    registered = first_of(events, DwellingRegistered)
    if registered is None:
        raise NotFound("no DwellingRegistered event on this stream")
    r = DwellingRegistration.of(registered)
    state = DwellingState(r.dwelling_id, r.coop_id, registered.effective_date, r.units, r.clt_units, r.value,
                          valued_on=registered.effective_date, basis=basis)
    if len(dates) == 1:
        return [run(DWELLING_FOLD, state, effective(events, dates[0]))]
    ordered = effective(events, max(dates))
    taken, count, get, out = 0, len(ordered), DWELLING_FOLD.get, []
    for day in dates:
        while taken < count and ordered[taken].effective_date <= day:
            handler = get(ordered[taken].type)
            if handler is not None:
                handler(state, ordered[taken])
            taken += 1
        out.append(replace(state, leases=list(state.leases)))
    return out


class DwellingHistory:
    """The dwelling on the dates a member's many-date fold asks about, each basis folded once over `dates`
    (`dwelling_states`) the first time it is asked for on one of them; any other day folded alone."""

    def __init__(self, events: Events, dates: Sequence[date] = ()) -> None:
        # (a copy: a position's payout is worked out later, and a command's overlay may add to the list meanwhile)
        self.events, self.dates = list(events), list(dates)
        self._batch = set(self.dates)
        self._folded: set[str | None] = set()
        self._on: dict[tuple[date, str | None], DwellingState] = {}

    def on(self, day: date, basis: str | None = None) -> DwellingState:
        found = self._on.get((day, basis))
        if found is None:
            if day in self._batch and basis not in self._folded:
                self._folded.add(basis)
                for d, state in zip(self.dates, dwelling_states(self.events, self.dates, basis), strict=True):
                    self._on[(d, basis)] = state
                return self._on[(day, basis)]
            found = self._on[(day, basis)] = dwelling_state(self.events, day, basis)
        return found


def value_on(events: Events, day: date, basis: str | None = None) -> Decimal:
    return dwelling_state(events, day, basis).value


def leaving_date(dwelling_events: Events, member_id: str) -> date | None:
    """The first assignment of the lease away from the member, whatever the query date."""
    for e in effective(of_type(dwelling_events, LeaseAssigned)):
        if Assignment.of(e).outgoing_member_id == member_id:
            return e.effective_date
    return None


def charges_timeline(dwelling_events: Events) -> Timeline[Decimal]:
    """The dwelling's yearly charges budget, from each `ChargesBudgetSet`."""
    return Timeline(dwelling_events, ChargesBudgetSet, lambda e: Budget.of(e).total, ZERO)


def charges_budget_on(dwelling_events: Events, day: date) -> Decimal:
    return charges_timeline(dwelling_events).on(day)


def units_json(holding_clt: Decimal, member: Decimal, financed: Decimal, total: Decimal) -> dict[str, Decimal]:
    return {"clt": round_units(holding_clt), "member": round_units(member), "financed": round_units(financed),
            "total": round_units(total)}
