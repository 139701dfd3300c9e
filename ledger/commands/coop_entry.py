"""Typed entry of the co-op's facts: the events a clerk's command means, and the figures they change.

Each builder takes the typed arguments of one `mutual` command (`payment receive`, `member admit`, ...) and
returns a `Plan`: the events to record and the figures to show before and after. `preview` runs `record`'s own
checks on the batch (ledger/commands/coop.py `check_batch`, the named CHECKS) and reads the figures from the books
without and with it, writing nothing (`--dry-run`); `enter` records the batch through `record`, all or nothing.
No invariant is checked here a second time: a builder only refuses what a typed command adds to a hand-made batch
(`member leave`: a member who is not there to leave, a reserve too small to fund the payout).

`member leave` is the one command that computes a figure: the payout is read from the member's position as
`member show` folds it once the lease is assigned (`World.member_position`, ledger/coop/member.py), never worked out
again here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import orjson

from ledger import streams
from ledger.commands.coop import Recorded, World, check_batch, occupant_on, record
from ledger.coop.dwelling import dwelling_state, leaving_date, units_json
from ledger.coop.index import index_values
from ledger.coop.member import admission_of
from ledger.coop.mortgage import drawn_by_coop, mortgage_state
from ledger.coop.society import society_state
from ledger.errors import FieldError, LedgerError, ValidationFailed
from ledger.events.coop import (
    ChargesBudgetSet,
    CollectiveMortgageDrawn,
    DepositRuleSet,
    DividendPaid,
    DwellingRegistered,
    DwellingRevalued,
    EquityPaidOut,
    EquityStakePolicySet,
    ExtraPaymentReceived,
    IndexValuePublished,
    LeaseAssigned,
    MemberAdmitted,
    MortgagePrepaid,
    PaymentIndexationPolicySet,
    PaymentReceived,
    PaymentReductionAgreed,
    ResaleFormulaSet,
    ReserveSpent,
    ReserveTransferred,
    ShareCapitalBought,
    ShareCapitalWithdrawn,
    SocietyRegistered,
    TopUpLoanDrawn,
    UnitsTransferred,
)
from ledger.money import ZERO, round_money
from ledger.people.register import checked
from ledger.periods import ADVICE_FUND, adjustment_metadata
from ledger.rules.payments import annual_payment
from ledger.store import EventStore

Payload = dict[str, Any]
Figures = Callable[[World, date], dict[str, Any]]
Holder = Literal["clt", "member", "financed"]
Funding = Literal["top-up", "reserve"]


@dataclass(frozen=True)
class Entry:
    """One event a command means: where it goes, what it is, when it takes effect, what it says."""

    stream: str
    type: str
    on: date
    payload: Payload
    key: str | None = None  # the fact's own key, where its text alone does not name it (a payout's funding)


@dataclass(frozen=True)
class Plan:
    """A command's batch and the figures it changes (`figures` read the books, before or after the batch)."""

    what: str
    on: date
    entries: tuple[Entry, ...]
    figures: tuple[Figures, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)  # what a command computed (member leave: the payout)
    personal: dict[str, dict[str, str]] = field(default_factory=dict)  # member -> register fields (not chained)


@dataclass(frozen=True)
class Preview:
    """What a dry run shows: the events (each with its key and whether the log holds it already), the figures
    before and after, and what the command computed."""

    events: list[dict[str, Any]]
    figures: dict[str, dict[str, Any]]
    detail: dict[str, Any]

    @property
    def already_recorded(self) -> int:
        return sum(1 for e in self.events if e["already_recorded"])


def _text(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def entry(stream: str, cls: type[Any], on: date, **fields: Any) -> Entry:
    """An event of `cls` on `stream`; fields given as None are left out (the schema's default applies)."""
    return Entry(stream, cls.event_type, on, {k: _text(v) for k, v in fields.items() if v is not None})


def envelopes(plan: Plan, *, actor: str, key: str | None = None) -> list[dict[str, Any]]:
    """The batch as `record` takes it. No key: each event is keyed by its business fact; a key names the batch,
    its events `KEY:1`, `KEY:2`, ... when there are several."""
    metadata = {"actor": actor, **adjustment_metadata()}
    out = []
    for number, e in enumerate(plan.entries, start=1):
        envelope: dict[str, Any] = {"stream": e.stream, "type": e.type, "effective_date": e.on.isoformat(),
                                    "payload": e.payload, "metadata": metadata}
        if key is not None:
            envelope["idempotency_key"] = key if len(plan.entries) == 1 else f"{key}:{number}"
        elif e.key is not None:
            envelope["idempotency_key"] = e.key
        out.append(envelope)
    return out


def enter(store: EventStore, plan: Plan, *, actor: str, key: str | None = None) -> Recorded:
    """Record the plan's batch through `record`: its checks, then all of it or nothing; then keep what it holds that
    is personal (a joining member's salary) in the register of people, outside the chain."""
    _check_personal(plan)
    recorded = record(store, envelopes(plan, actor=actor, key=key), actor=actor, advice=ADVICE_FUND)
    _keep_personal(store, plan, actor)
    return recorded


def _check_personal(plan: Plan) -> None:
    """What the register would refuse is refused before anything is recorded: the batch and the register are
    written one after the other, so a salary the register cannot keep must not leave the admission behind."""
    for fields in plan.personal.values():
        checked(fields)


def _keep_personal(store: EventStore, plan: Plan, actor: str) -> None:
    for person_id, fields in plan.personal.items():
        keep_personal(store, person_id, fields, actor=actor)


def keep_personal(store: EventStore, person_id: str, fields: dict[str, str], *, actor: str) -> None:
    """A member's personal figures into the register: their entry added, or the fields updated (a tombstone of an
    erased person is left as it is: nothing is added to it)."""
    from ledger.commands.people import add_person, update_person
    from ledger.store.people import Register

    found = Register(store.engine).find(person_id, "member")
    if not found:
        add_person(store, person_id, fields, actor=actor, kind="member")
    elif not found[0].erased:
        update_person(store, person_id, fields, actor=actor, kind="member")


def enter_read(store: EventStore, build: Callable[[], Plan], *, actor: str,
               key: str | None = None) -> tuple[Plan, Recorded]:
    """Plan from the books, then record, holding the writers' lock from the first read to the append: a plan that
    reads the books (member leave's payout) is recorded on the books it read, never on books moved on since."""
    with store.writers_lock():
        plan = build()
        _check_personal(plan)
        recorded = record(store, envelopes(plan, actor=actor, key=key), actor=actor, advice=ADVICE_FUND)
    _keep_personal(store, plan, actor)  # (the register is written outside the lock: on SQLite the lock holds the file)
    return plan, recorded


def preview(store: EventStore, plan: Plan, *, actor: str, key: str | None = None) -> Preview:
    """The batch `enter` would record, checked as `record` checks it, and the figures it changes; writes nothing."""
    before = read_figures(World(store), plan)
    checked = check_batch(store, envelopes(plan, actor=actor, key=key), actor=actor, advice=ADVICE_FUND)
    after = read_figures(checked.world, plan)
    events = [{"stream": p.stream, "type": p.type, "effective_date": p.effective_date,
               "payload": orjson.loads(p.payload_json), "idempotency_key": p.idempotency_key,
               "already_recorded": position is not None}
              for p, position in zip(checked.pendings, checked.recorded, strict=True)]
    names = list(dict.fromkeys([*before, *after]))
    return Preview(events, {n: {"before": before.get(n), "after": after.get(n)} for n in names}, plan.detail)


def read_figures(world: World, plan: Plan) -> dict[str, Any]:
    """The plan's figures on its date; a figure of something not yet in the books is left out."""
    found: dict[str, Any] = {}
    for figures in plan.figures:
        try:
            read = figures(world, plan.on)
        except (LedgerError, ValueError):
            continue
        for name, value in read.items():  # (a figure of several parts, the units by holder, one line a part)
            found.update({f"{name} {k}": v for k, v in value.items()} if isinstance(value, dict) else {name: value})
    return found


# --- the figures a command changes ---------------------------------------------------------------------------------


def member_figures(member_id: str, *names: str) -> Figures:
    """Figures of `member show` (the member's fold on the day)."""
    def read(world: World, on: date) -> dict[str, Any]:
        data = world.member_position(member_id, on).to_json()
        return {f"member {member_id} {n}": data[n] for n in names}
    return read


def dwelling_figures(dwelling_id: str) -> Figures:
    """A dwelling's value, unit value, occupant and units by holder on the day."""
    def read(world: World, on: date) -> dict[str, Any]:
        state = dwelling_state(world.stream(streams.dwelling(dwelling_id)), on)
        occupant = occupant_on(world, dwelling_id, on)
        if occupant is not None:
            held = world.member_position(occupant, on).units
        else:
            held = units_json(state.clt_units, ZERO, state.total_units - state.clt_units, state.total_units)
        name = f"dwelling {dwelling_id}"
        return {f"{name} value": round_money(state.value), f"{name} unit_value": round_money(state.unit_value),
                f"{name} occupant": occupant, **{f"{name} units {k}": held[k] for k in ("clt", "member", "financed")}}
    return read


def coop_reserve(world: World, coop_id: str, on: date) -> Decimal:
    """The co-op's reserve on a date as `coop show` gives it: its own moves (transfers, spending) and every member's
    closed member-years (projections/coop.py composes the same two folds)."""
    own = society_state(world.stream(streams.society(coop_id)), on).reserve
    members = sum((world.member_position(a.member_id, on).ledger.reserve for a in world.admissions()
                   if a.coop_id == coop_id and a.admitted_on <= on), ZERO)
    return round_money(own + members)


def reserve_figures(coop_id: str) -> Figures:
    def read(world: World, on: date) -> dict[str, Any]:
        return {f"co-op {coop_id} reserve": coop_reserve(world, coop_id, on)}
    return read


def society_figures(society_id: str) -> Figures:
    """A society's registration and the co-op policies in force on the day."""
    def read(world: World, on: date) -> dict[str, Any]:
        s = society_state(world.stream(streams.society(society_id)), on)
        name = f"society {society_id}"
        return {f"{name} kind": s.kind, f"{name} name": s.name, f"{name} clt": s.clt_id,
                f"{name} payment_indexation": s.payment_indexation, f"{name} deposit_rule": s.deposit_rule,
                f"{name} equity_stake_fraction": s.equity_stake_fraction, f"{name} resale_formula": s.resale}
    return read


def mortgage_figures(mortgage_id: str) -> Figures:
    def read(world: World, on: date) -> dict[str, Any]:
        m = mortgage_state(world.stream(streams.mortgage(mortgage_id)), on)
        name = f"mortgage {mortgage_id}"
        return {f"{name} debt": round_money(m.debt), f"{name} top_ups": round_money(m.top_ups),
                f"{name} prepaid": round_money(m.prepaid)}
    return read


def charges_figures(dwelling_id: str) -> Figures:
    def read(world: World, on: date) -> dict[str, Any]:
        state = dwelling_state(world.stream(streams.dwelling(dwelling_id)), on)
        return {f"dwelling {dwelling_id} charges_budget": round_money(state.charges_budget)}
    return read


def index_figures(series: str, period: str) -> Figures:
    def read(world: World, on: date) -> dict[str, Any]:
        return {f"index {series} {period}": index_values(world.stream(streams.index(series))).get(period)}
    return read


# --- societies, dwellings, index, mortgages, policies ---------------------------------------------------------------


def register_society(society_id: str, *, kind: str, name: str, clt: str | None, on: date) -> Plan:
    return Plan(f"society {society_id} registered", on,
                (entry(streams.society(society_id), SocietyRegistered, on, society_id=society_id, kind=kind,
                       name=name, clt_id=clt),), (society_figures(society_id),))


def register_dwelling(dwelling_id: str, *, coop: str, value: Decimal, units: Decimal, clt_units: Decimal,
                      on: date) -> Plan:
    return Plan(f"dwelling {dwelling_id} registered", on,
                (entry(streams.dwelling(dwelling_id), DwellingRegistered, on, dwelling_id=dwelling_id, coop_id=coop,
                       value=value, units=units, clt_units=clt_units),), (dwelling_figures(dwelling_id),))


def revalue_dwelling(dwelling_id: str, *, value: Decimal, basis: str, series: str | None, on: date) -> Plan:
    return Plan(f"dwelling {dwelling_id} revalued", on,
                (entry(streams.dwelling(dwelling_id), DwellingRevalued, on, dwelling_id=dwelling_id, value=value,
                       basis=basis, index_series=series),), (dwelling_figures(dwelling_id),))


def publish_index(series: str, *, period: str, value: Decimal, on: date) -> Plan:
    return Plan(f"index {series} {period} published", on,
                (entry(streams.index(series), IndexValuePublished, on, series=series, period=period, value=value),),
                (index_figures(series, period),))


def draw_mortgage(mortgage_id: str, *, coop: str, kind: str, principal: Decimal, rate: Decimal, series: str | None,
                  tilt: Decimal | None, term_years: int, first_payment: Decimal | None, compounding: str | None,
                  on: date) -> Plan:
    return Plan(f"mortgage {mortgage_id} drawn", on,
                (entry(streams.mortgage(mortgage_id), CollectiveMortgageDrawn, on, mortgage_id=mortgage_id,
                       coop_id=coop, kind=kind, principal=principal, rate=rate, index_series=series, tilt=tilt,
                       term_years=term_years, first_payment=first_payment, compounding=compounding),),
                (mortgage_figures(mortgage_id),))


def top_up_mortgage(mortgage_id: str, *, amount: Decimal, purpose: str, on: date) -> Plan:
    return Plan(f"mortgage {mortgage_id} topped up", on,
                (entry(streams.mortgage(mortgage_id), TopUpLoanDrawn, on, mortgage_id=mortgage_id, amount=amount,
                       purpose=purpose),), (mortgage_figures(mortgage_id),))


def prepay_mortgage(mortgage_id: str, *, amount: Decimal, bank_reference: str | None, on: date) -> Plan:
    return Plan(f"mortgage {mortgage_id} prepaid", on,
                (entry(streams.mortgage(mortgage_id), MortgagePrepaid, on, mortgage_id=mortgage_id, amount=amount,
                       bank_reference=bank_reference),), (mortgage_figures(mortgage_id),))


def set_indexation(coop: str, *, series: str, margin: Decimal, floor_at_zero: bool, on: date) -> Plan:
    return Plan(f"co-op {coop} payment indexation set", on,
                (entry(streams.society(coop), PaymentIndexationPolicySet, on, coop_id=coop, series=series,
                       margin=margin, floor_at_zero=floor_at_zero),), (society_figures(coop),))


def set_charges(dwelling_id: str, *, management: Decimal, maintenance: Decimal, insurance: Decimal,
                services: Decimal, sinking_fund: Decimal, on: date) -> Plan:
    return Plan(f"dwelling {dwelling_id} charges budget set", on,
                (entry(streams.dwelling(dwelling_id), ChargesBudgetSet, on, dwelling_id=dwelling_id,
                       management=management, maintenance=maintenance, insurance=insurance, services=services,
                       sinking_fund=sinking_fund),), (charges_figures(dwelling_id),))


def set_deposit_rule(coop: str, *, minimum_fraction: Decimal, minimum_amount: Decimal | None, on: date) -> Plan:
    return Plan(f"co-op {coop} deposit rule set", on,
                (entry(streams.society(coop), DepositRuleSet, on, coop_id=coop, minimum_fraction=minimum_fraction,
                       minimum_amount=minimum_amount),), (society_figures(coop),))


def set_equity_stake(coop: str, *, fraction: Decimal, on: date) -> Plan:
    return Plan(f"co-op {coop} % to equity stake set", on,
                (entry(streams.society(coop), EquityStakePolicySet, on, coop_id=coop, fraction=fraction),),
                (society_figures(coop),))


def set_resale_formula(coop: str, *, deduction: Decimal, appreciation_cap: Decimal | None,
                       minimum_tenure_years: int | None, basis: str | None, series: str | None, on: date) -> Plan:
    return Plan(f"co-op {coop} resale formula set", on,
                (entry(streams.society(coop), ResaleFormulaSet, on, coop_id=coop, deduction=deduction,
                       appreciation_cap=appreciation_cap, minimum_tenure_years=minimum_tenure_years,
                       valuation_basis=basis, index_series=series),), (society_figures(coop),))


# --- members ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoiningTerms:
    """What a member is admitted on, as the clerk has it: the net salary and the payment rate give the annual
    payment (30 to 35 per cent of the salary). The chain keeps only the payment (`MemberAdmitted` v2); the salary
    goes to the register of people, outside it (docs/people.md). `admission` below is the one builder of the event."""

    net_salary: Decimal
    payment_rate: Decimal
    deposit: Decimal
    debt_share: Decimal
    mortgage_id: str | None = None

    def annual_payment(self) -> Decimal:
        try:
            return annual_payment(self.net_salary, self.payment_rate)
        except ValueError as exc:
            raise ValidationFailed([FieldError("payload.payment_rate", str(exc).removeprefix("payment_rate "))],
                                   where="nothing written") from None


def admission(member_id: str, *, coop: str, dwelling: str, terms: JoiningTerms, on: date) -> Entry:
    """The `MemberAdmitted` of a member joining on `terms` (the only builder of the event): the annual payment the
    salary and rate give, never the salary."""
    return entry(streams.member(member_id), MemberAdmitted, on, member_id=member_id, coop_id=coop,
                 dwelling_id=dwelling, annual_payment=terms.annual_payment(), deposit=terms.deposit,
                 debt_share=terms.debt_share, mortgage_id=terms.mortgage_id)


def personal(member_id: str, terms: JoiningTerms) -> dict[str, dict[str, str]]:
    """What a joining member's terms hold that is personal: kept in the register of people, never in the chain."""
    return {member_id: {"net_salary": format(terms.net_salary, "f")}}


def _joining(member_id: str, *, coop: str, dwelling: str, terms: JoiningTerms, share: Decimal | None,
             on: date) -> list[Entry]:
    """The admission, and the member's share capital bought that day if any (the £1 membership share)."""
    found = [admission(member_id, coop=coop, dwelling=dwelling, terms=terms, on=on)]
    if share is not None:
        found.append(entry(streams.member(member_id), ShareCapitalBought, on, member_id=member_id, society_id=coop,
                           amount=share))
    return found


MEMBER_FIGURES = ("status", "units", "debt_share", "annual_payment", "share_capital")


def admit_member(member_id: str, *, coop: str, dwelling: str, terms: JoiningTerms, share: Decimal | None,
                 on: date) -> Plan:
    return Plan(f"member {member_id} admitted", on,
                tuple(_joining(member_id, coop=coop, dwelling=dwelling, terms=terms, share=share, on=on)),
                (dwelling_figures(dwelling), member_figures(member_id, *MEMBER_FIGURES)),
                personal=personal(member_id, terms))


def receive_payment(member_id: str, *, amount: Decimal, period: str, bank_reference: str, on: date) -> Plan:
    return Plan(f"payment from {member_id}", on,
                (entry(streams.member(member_id), PaymentReceived, on, member_id=member_id, amount=amount,
                       period=period, bank_reference=bank_reference),),
                (member_figures(member_id, "arrears", "credit", "payments_due", "payments_received"),))


def extra_payment(member_id: str, *, amount: Decimal, bank_reference: str, on: date) -> Plan:
    return Plan(f"extra payment from {member_id}", on,
                (entry(streams.member(member_id), ExtraPaymentReceived, on, member_id=member_id, amount=amount,
                       bank_reference=bank_reference),),
                (member_figures(member_id, "debt_share", "units", "extra_payments", "payout_if_leaving"),))


def reduce_payment(member_id: str, *, annual_payment: Decimal, units_sold: Decimal, reason: str, on: date) -> Plan:
    return Plan(f"payment of {member_id} reduced", on,
                (entry(streams.member(member_id), PaymentReductionAgreed, on, member_id=member_id,
                       annual_payment=annual_payment, units_sold=units_sold, reason=reason),),
                (member_figures(member_id, "annual_payment", "debt_share", "units"),))


def transfer_units(dwelling_id: str, *, from_holder: Holder, to_holder: Holder, units: Decimal, price: Decimal,
                   on: date) -> Plan:
    return Plan(f"units of dwelling {dwelling_id} transferred", on,
                (entry(streams.dwelling(dwelling_id), UnitsTransferred, on, dwelling_id=dwelling_id,
                       from_holder=from_holder, to_holder=to_holder, units=units, price=price),),
                (dwelling_figures(dwelling_id),))


def _shares(cls: type[Any], member_id: str, society: str, amount: Decimal, on: date, what: str) -> Plan:
    return Plan(what, on, (entry(streams.member(member_id), cls, on, member_id=member_id, society_id=society,
                                 amount=amount),),
                (member_figures(member_id, "share_capital_by_society"),))


def buy_shares(member_id: str, *, society: str, amount: Decimal, on: date) -> Plan:
    return _shares(ShareCapitalBought, member_id, society, amount, on, f"shares bought by {member_id}")


def withdraw_shares(member_id: str, *, society: str, amount: Decimal, on: date) -> Plan:
    return _shares(ShareCapitalWithdrawn, member_id, society, amount, on, f"shares withdrawn by {member_id}")


def pay_dividend(member_id: str, *, society: str, amount: Decimal, period: str, on: date) -> Plan:
    return Plan(f"dividend paid to {member_id}", on,
                (entry(streams.member(member_id), DividendPaid, on, member_id=member_id, society_id=society,
                       amount=amount, period=period),), (member_figures(member_id, "dividends"),))


def spend_reserve(coop: str, *, amount: Decimal, purpose: str, on: date) -> Plan:
    return Plan(f"co-op {coop} reserve spent", on,
                (entry(streams.society(coop), ReserveSpent, on, coop_id=coop, amount=amount, purpose=purpose),),
                (reserve_figures(coop),))


def transfer_reserve(coop: str, *, amount: Decimal, purpose: str, on: date) -> Plan:
    return Plan(f"co-op {coop} reserve transfer", on,
                (entry(streams.society(coop), ReserveTransferred, on, coop_id=coop, amount=amount,
                       purpose=purpose),), (reserve_figures(coop),))


# --- a member leaves ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """The member the lease is assigned to, admitted in the same batch (`terms`, and their membership share)."""

    member_id: str
    terms: JoiningTerms | None
    share: Decimal | None = None


def _refuse(field_name: str, reason: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field_name, reason)], where="member leave refused, nothing written")


def leave(store: EventStore, member_id: str, *, on: date, incoming: Incoming | None, funding: Funding,
          mortgage: str | None, actor: str) -> Plan:
    """A member leaves: the lease assigned (to the incoming member, or back to the co-op), the payout the resale
    formula in force gives (arrears deducted), its funding (a top-up of the co-op's loan, or the reserve), the
    member's share capital withdrawn, and the incoming member admitted: one batch, recorded all or nothing.

    Run again for the same leaving it plans the same batch (the payout the formula gave on the leaving day, the
    shares held the day before), so a retry is a replay and writes nothing.
    """
    world = World(store)
    adm = admission_of(world.stream(streams.member(member_id)))
    if adm is None:
        raise _refuse("MEMBER", f"member {member_id} has not been admitted")
    if on < adm.admitted_on:
        raise _refuse("--on", f"{on.isoformat()} is before member {member_id} was admitted "
                              f"({adm.admitted_on.isoformat()})")
    dwelling_events = world.stream(streams.dwelling(adm.dwelling_id))
    lease = entry(streams.dwelling(adm.dwelling_id), LeaseAssigned, on, dwelling_id=adm.dwelling_id,
                  outgoing_member_id=member_id, incoming_member_id=incoming.member_id if incoming else None)
    left = leaving_date(dwelling_events, member_id)
    if left is not None and not _recorded(dwelling_events, lease):
        raise _refuse("MEMBER", f"member {member_id} has already left dwelling {adm.dwelling_id} "
                                f"(on {left.isoformat()})")
    if incoming is not None:
        _check_incoming(world, member_id, incoming)
    # The payout: the member's position once the lease is assigned, as `member show` folds it (the formula in force
    # on the leaving day, on the figures of the day before, capped at the member's equity, arrears deducted).
    assigned = check_batch(store, envelopes(Plan("lease", on, (lease,)), actor=actor), actor=actor,
                           advice=ADVICE_FUND).world
    payout = assigned.member_position(member_id, on).payout
    amount: Decimal = payout["payout_at_leaving"]
    day_before = max(on - timedelta(days=1), adm.admitted_on)
    held = world.member_position(member_id, day_before)
    entries = [lease, entry(streams.member(member_id), EquityPaidOut, on, member_id=member_id, amount=amount,
                            arrears_deducted=payout["arrears_deducted"])]
    funded, figures = _funding(world, adm.coop_id, member_id, amount, funding, mortgage or adm.mortgage_id, on)
    entries += funded
    shares = {s: round_money(a) for s, a in sorted(held.ledger.share_capital.items()) if a > 0}
    entries += [entry(streams.member(member_id), ShareCapitalWithdrawn, on, member_id=member_id, society_id=s,
                      amount=a) for s, a in shares.items()]
    kept: dict[str, dict[str, str]] = {}
    if incoming is not None and incoming.terms is not None:
        terms = incoming.terms
        if terms.mortgage_id is None:  # the incoming member's debt share follows the leaving member's mortgage
            terms = replace(terms, mortgage_id=adm.mortgage_id)
        entries += _joining(incoming.member_id, coop=adm.coop_id, dwelling=adm.dwelling_id, terms=terms,
                            share=incoming.share, on=on)
        kept = personal(incoming.member_id, terms)
    detail = {
        "member": member_id, "dwelling": adm.dwelling_id, "coop": adm.coop_id, "leaving_on": on,
        "incoming": incoming.member_id if incoming else None,
        "units_held": held.units["member"], "payout": amount, "gross": payout["gross"],
        "arrears_deducted": payout["arrears_deducted"], "unrecovered_arrears": payout["unrecovered_arrears"],
        "formula_in_force": payout["formula_in_force"], "funding": funding,
        "funded_by": funded[0].payload if funded else None,
        "shares_withdrawn": shares,
    }
    return Plan(f"member {member_id} left", on, tuple(entries),
                (member_figures(member_id, "status", "units", "debt_share", "arrears", "payout_if_leaving",
                                "equity_paid_out", "share_capital"), dwelling_figures(adm.dwelling_id), *figures),
                detail, kept)


def _recorded(events: Iterable[Any], lease: Entry) -> bool:
    """The log holds this very lease assignment (a retry of the same `member leave`)."""
    want = lease.payload
    return any(e.type == lease.type and e.effective_date == lease.on
               and e.payload.get("outgoing_member_id") == want["outgoing_member_id"]
               and e.payload.get("incoming_member_id") == want.get("incoming_member_id") for e in events)


def _check_incoming(world: World, member_id: str, incoming: Incoming) -> None:
    if incoming.member_id == member_id:
        raise _refuse("--incoming", "must be another member than the one leaving")
    if incoming.terms is None:
        known = admission_of(world.stream(streams.member(incoming.member_id)))
        where = (f"member {incoming.member_id} is already admitted (to dwelling {known.dwelling_id} on "
                 f"{known.admitted_on.isoformat()}): a member is admitted once" if known else
                 f"member {incoming.member_id} is unknown to the books")
        raise _refuse("--incoming", f"{where}; the incoming member is admitted in the same batch: give their "
                                    "terms (--incoming-net-salary, --incoming-payment-rate, --incoming-deposit, "
                                    "--incoming-debt-share)")


def _funding(world: World, coop: str, member_id: str, amount: Decimal, funding: Funding, mortgage: str | None,
             on: date) -> tuple[list[Entry], list[Figures]]:
    """The payout's funding: a top-up of the co-op's loan, or spending from its reserve (refused if too small)."""
    if amount <= 0:
        return [], []
    purpose = f"pay out member {member_id} on leaving"
    # One payout, one funding: keyed by the fact that this payout is funded, so a retry that names another funding
    # is refused (its key holds the first) instead of funding the payout twice.
    funded = f"payout-funding:{member_id}:{on.isoformat()}"
    drawn = drawn_by_coop(world.of_type(CollectiveMortgageDrawn.event_type))
    mine = sorted(drawn.get(coop, {}))
    funded_already = False
    for stream in (streams.society(coop), *map(streams.mortgage, mine)):
        earlier = next((e for e in world.stream(stream) if e.idempotency_key == funded), None)
        if earlier is None:
            continue
        funded_already = True
        was = "reserve" if earlier.type == ReserveSpent.event_type else "top-up"
        if was != funding or (was == "top-up" and mortgage not in (None, earlier.payload["mortgage_id"])):
            raise _refuse("--funding", f"member {member_id}'s payout on {on.isoformat()} is funded already "
                                       f"(position {earlier.position}, a {earlier.type} on {stream}): one payout "
                                       "is funded once; a correction of that funding is `mutual correct`")
        if was == "top-up":
            mortgage = earlier.payload["mortgage_id"]
    if funding == "reserve":
        spent = replace(entry(streams.society(coop), ReserveSpent, on, coop_id=coop, amount=amount, purpose=purpose,
                              funds_payout_of=member_id), key=funded)
        reserve = coop_reserve(world, coop, on)
        if not funded_already and reserve < amount:
            raise _refuse("--funding", f"co-op {coop}'s reserve on {on.isoformat()} is {reserve}, less than the "
                                       f"payout of {amount}: fund it with a top-up loan (--funding top-up)")
        return [spent], [reserve_figures(coop)]
    if mortgage is None:
        if len(mine) != 1:
            raise _refuse("--mortgage", f"co-op {coop} has {len(mine)} mortgages ({', '.join(mine) or 'none'}): "
                                        "name the one to top up, or fund the payout from the reserve "
                                        "(--funding reserve)")
        mortgage = mine[0]
    elif mortgage not in mine:
        raise _refuse("--mortgage", f"mortgage {mortgage} is not a mortgage of co-op {coop}"
                                    + (f" (its mortgages: {', '.join(mine)})" if mine else ""))
    return ([replace(entry(streams.mortgage(mortgage), TopUpLoanDrawn, on, mortgage_id=mortgage, amount=amount,
                           purpose=purpose), key=funded)], [mortgage_figures(mortgage)])


__all__ = [
    "Entry", "Incoming", "JoiningTerms", "Plan", "Preview", "admission", "admit_member", "buy_shares",
    "coop_reserve", "draw_mortgage", "enter", "enter_read", "envelopes", "extra_payment", "leave", "pay_dividend",
    "prepay_mortgage",
    "preview", "publish_index", "receive_payment", "reduce_payment", "register_dwelling", "register_society",
    "revalue_dwelling", "set_charges", "set_deposit_rule", "set_equity_stake", "set_indexation",
    "set_resale_formula", "spend_reserve", "top_up_mortgage", "transfer_reserve", "transfer_units",
    "withdraw_shares",
]
