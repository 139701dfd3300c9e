"""A society (CLT, co-op, fund) on a date: its reserve moves and the policies in force."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional, Sequence

from ledger.coop.fold import Timeline, _d, effective, first_event, payload_of
from ledger.errors import NotFound
from ledger.money import ZERO
from ledger.rules.resale import ResalePolicy

MAX_SHARE_CAPITAL = Decimal("20000")
MEMBERSHIP_SHARE = Decimal("1")


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


def stake_timeline(society_events: Sequence) -> Timeline:
    """The `% to equity stake` policy in force on any date (0 when none is recorded)."""
    return Timeline(society_events, "EquityStakePolicySet", lambda p: _d(p["fraction"]))
