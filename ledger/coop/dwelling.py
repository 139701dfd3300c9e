"""A dwelling on a date: its value, units held by the CLT, charges budget and lease assignments.

A member occupies a dwelling from admission until the effective date of a `LeaseAssigned` naming them
outgoing (the leaving date, exclusive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ledger.coop.fold import Event, Events, Timeline, dec, effective, first_of, of_type, on, run
from ledger.coop.payloads import CHARGE_HEADS, Assignment, Budget, DwellingRegistration, Revaluation, Transfer
from ledger.errors import NotFound
from ledger.events.coop import ChargesBudgetSet, DwellingRegistered, DwellingRevalued, LeaseAssigned, UnitsTransferred
from ledger.money import ZERO
from ledger.rules.units import round_units, unit_value

__all__ = ["CHARGE_HEADS", "DwellingState", "charges_budget_on", "charges_timeline", "dwelling_state", "leaving_date",
           "units_json", "value_on"]


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
    registered = first_of(events, DwellingRegistered)
    if registered is None:
        raise NotFound("no DwellingRegistered event on this stream")
    r = DwellingRegistration.of(registered)
    state = DwellingState(r.dwelling_id, r.coop_id, registered.effective_date, r.units, r.clt_units, r.value,
                          valued_on=registered.effective_date, basis=basis)
    return run(DWELLING_FOLD, state, effective(events, as_of))


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
