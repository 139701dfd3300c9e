"""A society (CLT, co-op, fund) on a date: its reserve moves and the policies in force."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.coop.fold import Event, Events, Payload, Timeline, dec, effective, first_of, of_type, on, run
from ledger.coop.payloads import Document, ReserveMove, SocietyRegistration, StakePolicy
from ledger.errors import NotFound
from ledger.events.coop import (
    DepositRuleSet,
    EquityStakePolicySet,
    PaymentIndexationPolicySet,
    ResaleFormulaSet,
    ReserveSpent,
    ReserveTransferred,
    SocietyRegistered,
)
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
    clt_id: str | None
    reserve: Decimal = ZERO
    reserve_in: Decimal = ZERO
    reserve_out: Decimal = ZERO
    reserve_spent: Decimal = ZERO
    payment_indexation: Payload | None = None
    deposit_rule: Payload | None = None
    equity_stake_fraction: Decimal = ZERO
    resale: Payload | None = None
    resale_from: date | None = None


# What `mutual accrue` wrote before the reserve was a fold: a member-year's surplus, frozen when accrue ran. The read
# side now computes it from the receipts, charges and mortgage payment of the year, so such a transfer reads as
# nothing (docs/rules-equity.md, "Ledgers written before the reserve was a fold"); `record` refuses the wording.
DERIVED_TRANSFER = re.compile(r"member \S+ year [0-9]+: payments less charges, mortgage and equity stake")


def derived_transfer(purpose: str | None) -> bool:
    return DERIVED_TRANSFER.fullmatch(purpose or "") is not None


def _transferred(state: SocietyState, e: Event) -> None:
    move = ReserveMove.of(e)
    if derived_transfer(move.purpose):
        return  # the reserve's share of a member-year is folded from the facts (coop show)
    state.reserve += move.amount
    if move.amount >= 0:
        state.reserve_in += move.amount
    else:
        state.reserve_out -= move.amount


def _spent(state: SocietyState, e: Event) -> None:
    amount = ReserveMove.of(e).amount
    state.reserve -= amount
    state.reserve_spent += amount


def _indexation(state: SocietyState, e: Event) -> None:
    state.payment_indexation = Document.of(e).document


def _deposit_rule(state: SocietyState, e: Event) -> None:
    state.deposit_rule = Document.of(e).document


def _stake(state: SocietyState, e: Event) -> None:
    state.equity_stake_fraction = StakePolicy.of(e).fraction


def _resale(state: SocietyState, e: Event) -> None:
    state.resale_from, state.resale = Document.of(e)


SOCIETY_FOLD = on(
    (ReserveTransferred, _transferred),
    (ReserveSpent, _spent),
    (PaymentIndexationPolicySet, _indexation),
    (DepositRuleSet, _deposit_rule),
    (EquityStakePolicySet, _stake),
    (ResaleFormulaSet, _resale),
)


def society_state(events: Events, as_of: date) -> SocietyState:
    registered = first_of(events, SocietyRegistered)
    if registered is None:
        raise NotFound("no SocietyRegistered event on this stream")
    r = SocietyRegistration.of(registered)
    state = SocietyState(r.society_id, r.kind, r.name, registered.effective_date, r.clt_id)
    return run(SOCIETY_FOLD, state, effective(events, as_of))


def resale_formula_on(events: Events, day: date) -> Payload | None:
    """The resale formula in force on a date (None: no formula recorded, i.e. no deduction)."""
    found = None
    for e in effective(of_type(events, ResaleFormulaSet), day):
        found = Document.of(e).document
    return found


def resale_policy(resale: Payload | None) -> ResalePolicy:
    if not resale:
        return ResalePolicy()
    cap: Any = resale.get("appreciation_cap")
    return ResalePolicy(deduction=dec(resale["deduction"]), appreciation_cap=None if cap is None else dec(cap),
                        minimum_tenure_years=int(resale.get("minimum_tenure_years") or 0))


def stake_timeline(society_events: Events) -> Timeline[Decimal]:
    """The `% to equity stake` policy in force on any date (0 when none is recorded)."""
    return Timeline(society_events, EquityStakePolicySet, lambda e: StakePolicy.of(e).fraction, ZERO)
