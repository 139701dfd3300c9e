"""A dwelling on a date: its value, units held by the CLT, charges budget and lease assignments.

A member occupies a dwelling from admission until the effective date of a `LeaseAssigned` naming them
outgoing (the leaving date, exclusive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Optional, Sequence

from ledger.coop.fold import Timeline, _d, effective, first_event, payload_of
from ledger.errors import NotFound
from ledger.money import ZERO
from ledger.rules.units import round_units, unit_value


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


def _budget(p: dict) -> Decimal:
    return sum((_d(p[k]) for k in CHARGE_HEADS), ZERO)


def charges_timeline(dwelling_events: Sequence) -> Timeline:
    """The dwelling's yearly charges budget, from each `ChargesBudgetSet`."""
    return Timeline(dwelling_events, "ChargesBudgetSet", _budget)


def charges_budget_on(dwelling_events: Sequence, on: date) -> Decimal:
    return charges_timeline(dwelling_events).on(on)


def units_json(holding_clt: Decimal, member: Decimal, financed: Decimal, total: Decimal) -> dict:
    return {"clt": round_units(holding_clt), "member": round_units(member), "financed": round_units(financed),
            "total": round_units(total)}
