"""Command handlers of the shared-equity co-op: record events with the domain's invariants, and accrue.

`record` takes event envelopes (as `mutual import` does), checks each one
against the books as they stand plus the events before it in the same
batch, and appends the batch in one transaction with the expected version
of every stream it touches (optimistic concurrency: if someone else wrote
to one of them meanwhile, nothing is written and the caller retries).
`mutual import` does not run these checks: it is the auditor's restore path
and takes a log as it was recorded.

Invariants (a clear error naming the field, nothing written):
- units are conserved per dwelling: a transfer takes no more units than the
  giving holder has; CLT units never exceed the dwelling's units;
- no payment (due, received, extra, reduction, mortgage year) before the
  member's admission or on/after their leaving date;
- no second member admitted to an occupied dwelling; a member is admitted once;
- an equity payout only once the member has left, and only once;
- share capital at most £20,000 per member per society; no withdrawal of more than is held;
- one index value per series and period;
- nothing dated before its society (co-op, CLT) is registered, and no
  reference to a society, dwelling, member or mortgage not in the books;
- a receipt names a bank reference that is not blank, and pays no month before the member's admission;
- a payment entered by hand is not a second receipt of money already recorded: the same amount on the same day
  under the same bank reference, ignoring case and spaces (a statement's match, or another clerk's entry),
  unless a key of its own tells it apart;
- payload ids agree with their stream (member_id of member-<id>, ...);
- amounts positive where a negative makes no sense (the schemas), and a
  reserve transfer is not zero.

Each invariant is a small named check, `(world, event) -> list[FieldError]` (errors as data), registered per
stream kind and event class in `CHECKS`; `record` runs the checks of each event in order. A check registered as a
`gate` stops the run when it finds something (the later checks would read what it found missing: a member not
admitted, a dwelling not registered); the others add their errors to the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from ledger import streams
from ledger.accrual import Planned, plan_accruals
from ledger.commands.consistency import checks_again
from ledger.coop.arrears import arrangement_refusals
from ledger.coop.dwelling import dwelling_state, leaving_date
from ledger.coop.fold import Fact, Payload, first_of
from ledger.coop.index import index_values
from ledger.coop.member import Admission, MemberPosition, admission_of, member_ledger, member_position
from ledger.coop.mortgage import DebtShareSchedule, drawn_by_coop, mortgage_state, schedule_of
from ledger.coop.payloads import Drawdown, DwellingRegistration, payment_of, reference_key
from ledger.coop.society import MAX_SHARE_CAPITAL, derived_transfer
from ledger.errors import FieldError, IdempotencyConflict, ValidationFailed
from ledger.events.base import REGISTRY, EventPayload
from ledger.events.coop import (
    ArrangementAgreed,
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
    MortgageYearPosted,
    PaymentDue,
    PaymentIndexationPolicySet,
    PaymentIndexed,
    PaymentReceived,
    PaymentReductionAgreed,
    PaymentReturned,
    ResaleFormulaSet,
    ReserveSpent,
    ReserveTransferred,
    ShareCapitalBought,
    ShareCapitalWithdrawn,
    SocietyRegistered,
    TopUpLoanDrawn,
    UnitsTransferred,
)
from ledger.fund.releases import COMPUTED_ON_READ
from ledger.periods import ADVICE_RECORD, PRIOR_PERIOD, PeriodGuard
from ledger.source import StoreSource
from ledger.store import EventStore, StoredEvent
from ledger.store.envelope import at_current_version, checked_envelope, pending_from_model
from ledger.store.keys import FACT_KEY_PREFIX
from ledger.store.records import Pending

D = Decimal
# The co-op's event types, every one checked here (ledger/events/coop.py).
EQUITY_TYPES = frozenset(name for name, cls in REGISTRY.items() if cls.__module__ == "ledger.events.coop")


class World(StoreSource):
    """The books as the store has them, plus the events of the batch being checked (an overlay)."""

    def __init__(self, store: EventStore) -> None:
        super().__init__(store)
        self.head = store.head().position  # before anything is read: an append is refused if the log moves on
        self.versions: dict[str, int] = {}
        self._next = 10**15
        self._added: list[Any] = []  # the overlay, for a type first scanned after its events were added

    def stream(self, name: str) -> list[StoredEvent]:
        """A stream with corrections applied, as the read side shows it (the version is the recorded one)."""
        found = self._streams.get(name)
        if found is None:
            raw = self._raw_stream(name)
            self.versions.setdefault(name, raw[-1].version if raw else 0)
            found = self._streams[name] = list(super().stream(name))  # (a copy: the overlay is added to it)
        return found

    def add(self, stream: str, type_: str, schema_version: int, on: date, payload: Payload, key: str) -> None:
        self.stream(stream)
        self._next += 1
        fact: Any = Fact(self._next, stream, 0, type_, schema_version, on, payload, key)  # (read as a StoredEvent)
        self._streams[stream].append(fact)
        self._added.append(fact)
        if type_ in self._types:
            self._types[type_].append(fact)
        if (stream, type_) in self._typed:
            self._typed[(stream, type_)].append(fact)

    def of_type(self, *types: str) -> list[StoredEvent]:
        """A type scan with the batch's events of the type, whenever the type was first scanned."""
        for type_ in types:
            if type_ not in self._types:
                found = super().of_type(type_)  # (a corrected stream's part comes from the overlaid stream)
                present = set(map(id, found))
                self._types[type_] += [f for f in self._added if f.type == type_ and id(f) not in present]
        return super().of_type(*types)

    def admissions(self) -> list[Admission]:
        return [a for a in (admission_of([e]) for e in self.of_type(MemberAdmitted.event_type)) if a is not None]

    def schedule(self, adm: Admission) -> DebtShareSchedule | None:
        """The member's debt-share schedule, as the read side folds it (projections/coop.py)."""
        mortgages = drawn_by_coop(self.of_type(CollectiveMortgageDrawn.event_type)).get(adm.coop_id, {})
        return schedule_of(adm, mortgages, self.stream)

    def member_position(self, member_id: str, on: date) -> MemberPosition:
        """A member's position as `member show` gives it (the co-op's policies and the debt share's schedule)."""
        events = self.stream(streams.member(member_id))
        adm = admission_of(events)
        if adm is None:
            raise ValueError(f"member {member_id} has not been admitted")
        policies = {ResaleFormulaSet.event_type, EquityStakePolicySet.event_type}
        society = [e for e in self.stream(streams.society(adm.coop_id)) if e.type in policies]
        return member_position(events, self.stream(streams.dwelling(adm.dwelling_id)), society, on,
                               self.schedule(adm))


@dataclass(frozen=True)
class Recorded:
    checked: int
    written: int
    already_recorded: int
    head_position: int
    head_hash: str


# --- the checks ------------------------------------------------------------------------------------------------


class Proposed(NamedTuple):
    """The event a check looks at: where it goes, what it is, when it takes effect, what it says."""

    stream: str
    kind: str  # the stream's kind (member, dwelling, ...)
    id: str  # the stream's id
    type: str
    on: date
    p: Payload
    named: bool = False  # given a key of its own (`--key`), which tells it apart from an equal fact


Check = Callable[[World, Proposed], list[FieldError]]


class Rule(NamedTuple):
    check: Check
    gate: bool  # when it finds something, the event's later checks are not run


def gate(check: Check) -> Rule:
    return Rule(check, True)


def _society(world: World, society_id: str, on: date, field: str) -> list[FieldError]:
    registered = first_of(world.stream(streams.society(society_id)), SocietyRegistered)
    if registered is None:
        return [FieldError(field, f"society {society_id} is not registered")]
    if on < registered.effective_date:
        return [FieldError("effective_date", f"{on.isoformat()} is before society {society_id} was registered "
                                             f"({registered.effective_date.isoformat()})")]
    return []


def _occupant(world: World, dwelling_id: str, on: date) -> str | None:
    dwelling_events = world.stream(streams.dwelling(dwelling_id))
    found = None
    for adm in sorted((a for a in world.admissions() if a.dwelling_id == dwelling_id), key=lambda a: a.admitted_on):
        if adm.admitted_on > on:
            continue
        left = leaving_date(dwelling_events, adm.member_id)
        if left is None or left > on:
            found = adm.member_id
    return found


def _admission(world: World, ev: Proposed) -> Admission:
    """The admission of the member whose stream the event is on (its gate, `member_admitted`, ran first)."""
    adm = admission_of(world.stream(ev.stream))
    assert adm is not None
    return adm


# Societies


def society_not_registered_twice(world: World, ev: Proposed) -> list[FieldError]:
    if first_of(world.stream(ev.stream), SocietyRegistered) is not None:
        return [FieldError("payload.society_id", f"society {ev.id} is already registered")]
    return []


def a_fund_registered_as_a_fund(world: World, ev: Proposed) -> list[FieldError]:
    """A society whose stream holds a fund's policy (`mutual fund policy`) is a fund: registered as a co-op or a
    CLT, its savers' money would be a co-op's books."""
    if ev.p.get("kind") != "fund" and any(e.type == "FundPolicySet" for e in world.stream(ev.stream)):
        return [FieldError("payload.kind", f"{ev.id} has a fund's policy in the books: it is a fund, registered "
                                           "with kind fund")]
    return []


def clt_registered(world: World, ev: Proposed) -> list[FieldError]:
    return _society(world, ev.p["clt_id"], ev.on, "payload.clt_id") if ev.p.get("clt_id") else []


def society_registered(world: World, ev: Proposed) -> list[FieldError]:
    return _society(world, ev.id, ev.on, "stream")


def transfer_not_zero(world: World, ev: Proposed) -> list[FieldError]:
    return [FieldError("payload.amount", "must not be zero")] if D(ev.p["amount"]) == 0 else []


def transfer_not_a_derived_surplus(world: World, ev: Proposed) -> list[FieldError]:
    if derived_transfer(ev.p.get("purpose")):
        return [FieldError("payload.purpose", "is the wording of a member-year's surplus, which the books compute "
                                              "from the year's receipts, charges and mortgage payment: describe "
                                              "the transfer in other words")]
    return []


def index_basis_names_series(world: World, ev: Proposed) -> list[FieldError]:
    if ev.p.get("valuation_basis") == "index" and not ev.p.get("index_series"):
        return [FieldError("payload.index_series", "is required when the valuation basis is an index")]
    return []


# Index series


def one_value_per_period(world: World, ev: Proposed) -> list[FieldError]:
    if ev.p["period"] in index_values(world.stream(ev.stream)):
        return [FieldError("payload.period", f"index {ev.p['series']} already has a value for period {ev.p['period']}")]
    return []


def funds_a_payout_paid_that_day(world: World, ev: Proposed) -> list[FieldError]:
    """Reserve spending that funds a leaving member's payout moves no cash of its own (the payout paid it): so
    there must be that payout, that day, of at least that much."""
    member = ev.p.get("funds_payout_of")
    if not member:
        return []
    paid = sum((D(e.payload["amount"]) for e in world.stream(streams.member(member))
                if e.type == EquityPaidOut.event_type and e.effective_date == ev.on), D(0))
    if paid < D(ev.p["amount"]):
        return [FieldError("payload.funds_payout_of", f"member {member} was paid out {paid} on {ev.on.isoformat()}, "
                                                      f"less than the {ev.p['amount']} it would fund")]
    return []


def return_within_payments(world: World, ev: Proposed) -> list[FieldError]:
    """A payment returned was made: what is returned up to its day is never more than what was paid by then."""
    paid = sum((payment_of(e) for e in world.stream(ev.stream)
                if e.type in (PaymentReceived.event_type, PaymentReturned.event_type) and e.effective_date <= ev.on),
               D(0))
    if D(ev.p["amount"]) > paid:
        return [FieldError("payload.amount", f"is more than the {paid} member {ev.id} has paid and not had returned "
                                             f"by {ev.on.isoformat()}")]
    return []


def same_money_once(world: World, ev: Proposed) -> list[FieldError]:
    """A payment entered by hand is money on the bank statement: the member's receipt of the same amount on the same
    day under the same reference (ignoring case and spaces), whether a statement's match or another clerk recorded
    it first, is that money, and a second receipt would count it twice; unless a key of its own (`--key`, such as
    the statement's line) tells it apart (docs/events.md "Two equal facts"). (A statement's own lines are told
    apart by the bank: a match from a line is not held to this; the import looks the other way, `entered_by_hand`.)"""
    if ev.p.get("bank_line") or ev.named:
        return []
    key, amount = reference_key(ev.p.get("bank_reference")), D(ev.p["amount"])
    for e in world.stream(ev.stream):
        if (e.type == PaymentReceived.event_type and e.effective_date == ev.on
                and D(e.payload["amount"]) == amount and reference_key(e.payload.get("bank_reference")) == key):
            source = (f"matched from bank line {e.payload['bank_line']}" if e.payload.get("bank_line")
                      else f"entered as {e.payload.get('bank_reference')!r}")
            return [FieldError("payload.bank_reference",
                               f"member {ev.id} already has {ev.p['amount']} received on {ev.on.isoformat()} under "
                               f"this reference (position {e.position}, {source}): the same money, not a second "
                               "payment (correct that entry with `mutual correct` if it is wrong)")]
    return []


def a_payment_of_the_membership(world: World, ev: Proposed) -> list[FieldError]:
    """A receipt names a bank reference with something in it, and pays a month of the membership: a blank reference
    tells no two payments apart, and a month before the admission was never due."""
    errors = []
    if not str(ev.p.get("bank_reference") or "").strip():
        errors.append(FieldError("payload.bank_reference", "is blank: give the reference on the bank statement"))
    adm = _admission(world, ev)
    admitted = f"{adm.admitted_on.year:04d}-{adm.admitted_on.month:02d}"
    period = str(ev.p.get("period") or "")
    if period and period[:7] < admitted[: len(period[:7])]:
        errors.append(FieldError("payload.period", f"{period} is before member {ev.id} was admitted "
                                                   f"({adm.admitted_on.isoformat()})"))
    return errors


def one_a_day(world: World, ev: Proposed) -> list[FieldError]:
    """A value, a budget, a policy or a payment in force from a day is set once that day: a second one would be a
    conflicting fact, and which of the two held would depend on the order they were entered (a correction replaces
    the first: `mutual correct`)."""
    for e in world.stream(ev.stream):
        if e.type == ev.type and e.effective_date == ev.on:
            return [FieldError("effective_date", f"{ev.stream} already has a {ev.type} on {ev.on.isoformat()} "
                                                 f"(position {e.position}): correct that one with `mutual correct` "
                                                 "instead of recording a second")]
    return []


# Dwellings


def dwelling_not_registered_twice(world: World, ev: Proposed) -> list[FieldError]:
    if first_of(world.stream(ev.stream), DwellingRegistered) is not None:
        return [FieldError("payload.dwelling_id", f"dwelling {ev.id} is already registered")]
    return []


def clt_units_within_units(world: World, ev: Proposed) -> list[FieldError]:
    if D(ev.p["clt_units"]) > D(ev.p["units"]):
        return [FieldError("payload.clt_units", "must not exceed the dwelling's units")]
    return []


def coop_registered(world: World, ev: Proposed) -> list[FieldError]:
    return _society(world, ev.p["coop_id"], ev.on, "payload.coop_id")


def dwelling_registered(world: World, ev: Proposed) -> list[FieldError]:
    registered = first_of(world.stream(ev.stream), DwellingRegistered)
    if registered is None:
        return [FieldError("stream", f"dwelling {ev.id} is not registered")]
    if ev.on < registered.effective_date:
        return [FieldError("effective_date", f"is before dwelling {ev.id} was registered "
                                             f"({registered.effective_date.isoformat()})")]
    return []


def holders_differ(world: World, ev: Proposed) -> list[FieldError]:
    if ev.p["from_holder"] == ev.p["to_holder"]:
        return [FieldError("payload.to_holder", "must differ from from_holder")]
    return []


def units_conserved(world: World, ev: Proposed) -> list[FieldError]:
    """A transfer takes no more units than the giving holder has; member units need an occupant."""
    p, on = ev.p, ev.on
    state = dwelling_state(world.stream(ev.stream), on)
    occupant = _occupant(world, ev.id, on)
    if occupant is not None:
        holding = world.member_position(occupant, on).units
        held = {"clt": D(holding["clt"]), "member": D(holding["member"]), "financed": D(holding["financed"])}
    else:
        held = {"clt": state.clt_units, "member": D(0), "financed": state.total_units - state.clt_units}
    units = D(p["units"])
    if units > held[p["from_holder"]]:
        return [FieldError("payload.units", f"{units} units would leave the {p['from_holder']} holding negative: "
                                           f"it holds {held[p['from_holder']]} on {on.isoformat()} "
                                           f"(units are conserved per dwelling)")]
    if "member" in (p["from_holder"], p["to_holder"]) and occupant is None:
        return [FieldError("payload", f"dwelling {ev.id} has no occupant on {on.isoformat()} to hold member units")]
    return []


def outgoing_is_occupant(world: World, ev: Proposed) -> list[FieldError]:
    occupant = _occupant(world, ev.id, ev.on)
    outgoing = ev.p["outgoing_member_id"]
    if occupant != outgoing:
        return [FieldError("payload.outgoing_member_id",
                           f"{outgoing} does not occupy dwelling {ev.id} on {ev.on.isoformat()}"
                           + (f" ({occupant} does)" if occupant else ""))]
    return []


# Mortgages


def mortgage_not_drawn_twice(world: World, ev: Proposed) -> list[FieldError]:
    if first_of(world.stream(ev.stream), CollectiveMortgageDrawn) is not None:
        return [FieldError("payload.mortgage_id",
                           f"mortgage {ev.id} is already drawn; a further loan is a TopUpLoanDrawn")]
    return []


def indexed_mortgage_names_series(world: World, ev: Proposed) -> list[FieldError]:
    if ev.p["kind"] != "conventional" and not ev.p.get("index_series"):
        return [FieldError("payload.index_series", f"is required for a {ev.p['kind']} mortgage")]
    return []


def terms_applied(world: World, ev: Proposed) -> list[FieldError]:
    """A mortgage term the accrual would accept and not apply is refused by name (docs/rules-equity.md): the tilt of
    a mortgage that is not tilted, the index of a conventional one (it is neither indexed nor its payment grown).
    (`compounding` is annual or monthly, both applied; the schema refuses any other value.)"""
    p, errors = ev.p, []
    if p["kind"] != "tilted" and D(p.get("tilt") or "0") != 0:
        errors.append(FieldError("payload.tilt", f"applies only to a tilted mortgage; a {p['kind']} mortgage would "
                                                 "not apply it"))
    if p["kind"] == "conventional" and p.get("index_series"):
        errors.append(FieldError("payload.index_series", "a conventional mortgage is not indexed (a fixed payment on a "
                                                         "nominal rate): the series would not be applied"))
    return errors


def mortgage_drawn(world: World, ev: Proposed) -> list[FieldError]:
    drawn = first_of(world.stream(ev.stream), CollectiveMortgageDrawn)
    if drawn is None:
        return [FieldError("stream", f"mortgage {ev.id} has not been drawn")]
    if ev.on < drawn.effective_date:
        return [FieldError("effective_date", f"is before mortgage {ev.id} was drawn "
                                             f"({drawn.effective_date.isoformat()})")]
    return []


def prepayment_held(world: World, ev: Proposed) -> list[FieldError]:
    """A prepayment passes on no more than the co-op holds of its members' staircasing money."""
    drawn = first_of(world.stream(ev.stream), CollectiveMortgageDrawn)
    assert drawn is not None  # (the gate `mortgage_drawn` ran first)
    coop, on, amount = Drawdown.of(drawn).coop_id, ev.on, D(ev.p["amount"])
    held = sum((world.member_position(a.member_id, on).ledger.extra_paid for a in world.admissions()
                if a.coop_id == coop and a.admitted_on <= on), D(0))
    for mortgage in drawn_by_coop(world.of_type(CollectiveMortgageDrawn.event_type)).get(coop, {}):
        held -= mortgage_state(world.stream(streams.mortgage(mortgage)), on).prepaid
    if amount > held:
        return [FieldError("payload.amount", f"is more than the {held} of members' extra payments co-op {coop} "
                                             f"holds on {on.isoformat()}")]
    return []


# Members: admission


def member_not_admitted_twice(world: World, ev: Proposed) -> list[FieldError]:
    if admission_of(world.stream(ev.stream)) is not None:
        return [FieldError("payload.member_id", f"member {ev.id} is already admitted")]
    return []


def admitted_to_a_registered_dwelling(world: World, ev: Proposed) -> list[FieldError]:
    if first_of(world.stream(streams.dwelling(ev.p["dwelling_id"])), DwellingRegistered) is None:
        return [FieldError("payload.dwelling_id", f"dwelling {ev.p['dwelling_id']} is not registered")]
    return []


def admitted_to_a_dwelling_of_the_coop(world: World, ev: Proposed) -> list[FieldError]:
    p = ev.p
    registered = first_of(world.stream(streams.dwelling(p["dwelling_id"])), DwellingRegistered)
    assert registered is not None  # (the gate `admitted_to_a_registered_dwelling` ran first)
    errors = []
    coop = DwellingRegistration.of(registered).coop_id
    if coop != p["coop_id"]:
        errors.append(FieldError("payload.dwelling_id", f"dwelling {p['dwelling_id']} belongs to co-op {coop}"))
    if ev.on < registered.effective_date:
        errors.append(FieldError("effective_date", f"is before dwelling {p['dwelling_id']} was registered"))
    return errors


def dwelling_unoccupied(world: World, ev: Proposed) -> list[FieldError]:
    occupant = _occupant(world, ev.p["dwelling_id"], ev.on)
    if occupant is not None:
        return [FieldError("payload.dwelling_id", f"dwelling {ev.p['dwelling_id']} is occupied by member "
                                                  f"{occupant} on {ev.on.isoformat()}")]
    return []


def admission_mortgage_drawn(world: World, ev: Proposed) -> list[FieldError]:
    mortgage_id = ev.p.get("mortgage_id")
    if mortgage_id and first_of(world.stream(streams.mortgage(mortgage_id)), CollectiveMortgageDrawn) is None:
        return [FieldError("payload.mortgage_id", f"mortgage {mortgage_id} has not been drawn")]
    return []


def admission_within_value(world: World, ev: Proposed) -> list[FieldError]:
    """Deposit and debt share buy at most the dwelling's non-CLT units (a penny of rounding allowed)."""
    events = world.stream(streams.dwelling(ev.p["dwelling_id"]))
    registered = first_of(events, DwellingRegistered)
    if registered is None or ev.on < registered.effective_date:
        return []
    dwelling = dwelling_state(events, ev.on)
    funded = D(ev.p["deposit"]) + D(ev.p["debt_share"])
    if funded > (dwelling.total_units - dwelling.clt_units) * dwelling.unit_value + D("0.01"):
        return [FieldError("payload.debt_share", "deposit + debt_share exceed the value of the dwelling's non-CLT "
                                                 "units")]
    return []


# Members: after admission


def member_admitted(world: World, ev: Proposed) -> list[FieldError]:
    if admission_of(world.stream(ev.stream)) is None:
        return [FieldError("stream", f"member {ev.id} has not been admitted")]
    return []


def shares_society_registered(world: World, ev: Proposed) -> list[FieldError]:
    return _society(world, ev.p["society_id"], ev.on, "payload.society_id")


def _shares_held(world: World, ev: Proposed) -> Decimal:
    adm = _admission(world, ev)
    lg = member_ledger(world.stream(ev.stream), world.stream(streams.dwelling(adm.dwelling_id)), ev.on)
    return lg.share_capital.get(ev.p["society_id"], D(0))


def share_capital_within_maximum(world: World, ev: Proposed) -> list[FieldError]:
    held, amount = _shares_held(world, ev), D(ev.p["amount"])
    if held + amount > MAX_SHARE_CAPITAL:
        return [FieldError("payload.amount", f"would bring member {ev.id}'s share capital in {ev.p['society_id']} "
                                             f"to {held + amount}, above the legal maximum of £20,000")]
    return []


def withdrawal_within_holding(world: World, ev: Proposed) -> list[FieldError]:
    held = _shares_held(world, ev)
    if D(ev.p["amount"]) > held:
        return [FieldError("payload.amount", f"is more than the {held} member {ev.id} holds in {ev.p['society_id']}")]
    return []


def not_before_admission(world: World, ev: Proposed) -> list[FieldError]:
    adm = _admission(world, ev)
    if ev.on < adm.admitted_on:
        return [FieldError("effective_date", f"{ev.on.isoformat()} is before member {ev.id} was admitted "
                                             f"({adm.admitted_on.isoformat()})")]
    return []


def _left(world: World, ev: Proposed) -> date | None:
    return leaving_date(world.stream(streams.dwelling(_admission(world, ev).dwelling_id)), ev.id)


def not_after_leaving(world: World, ev: Proposed) -> list[FieldError]:
    left = _left(world, ev)
    if left is not None and ev.on >= left:
        return [FieldError("effective_date", f"{ev.on.isoformat()} is on or after member {ev.id} left "
                                             f"({left.isoformat()}): no {ev.type} after leaving")]
    return []


def payout_after_leaving(world: World, ev: Proposed) -> list[FieldError]:
    left = _left(world, ev)
    if left is None or ev.on < left:
        return [FieldError("type", f"an equity payout is only made to a member who has left; member {ev.id} has not "
                                   f"left on {ev.on.isoformat()}")]
    return []


def paid_out_once(world: World, ev: Proposed) -> list[FieldError]:
    if first_of(world.stream(ev.stream), EquityPaidOut) is not None:
        return [FieldError("type", f"member {ev.id} has already been paid out")]
    return []


def payout_within_formula(world: World, ev: Proposed) -> list[FieldError]:
    due = world.member_position(ev.id, ev.on).payout["payout"]
    if D(ev.p["amount"]) > due:
        return [FieldError("payload.amount", f"is more than the {due} the resale formula gives member {ev.id}")]
    return []


def debt_share_years_not_recorded(world: World, ev: Proposed) -> list[FieldError]:
    schedule = world.schedule(_admission(world, ev))
    if schedule is not None:
        return [FieldError("stream", f"member {ev.id}'s debt share follows mortgage {schedule.mortgage_id}: "
                                     "its years are computed from the mortgage's terms and index, not recorded; "
                                     "post the lender's year on the mortgage's stream")]
    return []


def units_sold_held(world: World, ev: Proposed) -> list[FieldError]:
    sold = D(ev.p["units_sold"])
    if sold:
        units = world.member_position(ev.id, ev.on).units
        if sold > D(units["member"]):
            return [FieldError("payload.units_sold",
                               f"member {ev.id} holds only {units['member']} units on {ev.on.isoformat()}")]
    return []


def arrangement_clears_arrears(world: World, ev: Proposed) -> list[FieldError]:
    """An arrangement is for a member in arrears, from the month it is agreed in, not overlapping one on track."""
    return arrangement_refusals(ev.id, world.stream(ev.stream), ev.on, ev.p["start_month"], int(ev.p["months"]))


Key = tuple[str, str]  # (stream kind, event type)


def _register(table: dict[Key, tuple[Rule, ...]], kind: str, classes: Iterable[type[EventPayload]],
              *checks: Check | Rule) -> None:
    rules = tuple(c if isinstance(c, Rule) else Rule(c, False) for c in checks)
    for cls in classes:
        table[(kind, cls.event_type)] = rules


def _checks() -> dict[Key, tuple[Rule, ...]]:
    table: dict[Key, tuple[Rule, ...]] = {}
    add = _register
    add(table, "society", [SocietyRegistered], gate(society_not_registered_twice), a_fund_registered_as_a_fund,
        clt_registered)
    add(table, "society", [PaymentIndexationPolicySet, DepositRuleSet, EquityStakePolicySet], society_registered,
        one_a_day)
    add(table, "society", [ReserveSpent], society_registered, funds_a_payout_paid_that_day)
    add(table, "society", [ReserveTransferred], society_registered, gate(transfer_not_zero),
        transfer_not_a_derived_surplus)
    add(table, "society", [ResaleFormulaSet], society_registered, index_basis_names_series, one_a_day)
    add(table, "index", [IndexValuePublished], one_value_per_period)
    add(table, "dwelling", [DwellingRegistered], gate(dwelling_not_registered_twice), clt_units_within_units,
        coop_registered)
    add(table, "dwelling", [DwellingRevalued, ChargesBudgetSet], gate(dwelling_registered), one_a_day)
    add(table, "dwelling", [UnitsTransferred], gate(dwelling_registered), gate(holders_differ), units_conserved)
    add(table, "dwelling", [LeaseAssigned], gate(dwelling_registered), outgoing_is_occupant)
    add(table, "mortgage", [CollectiveMortgageDrawn], gate(mortgage_not_drawn_twice), indexed_mortgage_names_series,
        terms_applied, coop_registered)
    add(table, "mortgage", [MortgageYearPosted, TopUpLoanDrawn], gate(mortgage_drawn))
    add(table, "mortgage", [MortgagePrepaid], gate(mortgage_drawn), prepayment_held)
    add(table, "member", [MemberAdmitted], gate(member_not_admitted_twice), coop_registered,
        gate(admitted_to_a_registered_dwelling), admitted_to_a_dwelling_of_the_coop, dwelling_unoccupied,
        admission_mortgage_drawn,
        admission_within_value)
    add(table, "member", [ShareCapitalBought], gate(member_admitted), shares_society_registered,
        share_capital_within_maximum)
    add(table, "member", [ShareCapitalWithdrawn], gate(member_admitted), shares_society_registered,
        withdrawal_within_holding)
    add(table, "member", [DividendPaid], gate(member_admitted), shares_society_registered)
    add(table, "member", [EquityPaidOut], gate(member_admitted), gate(not_before_admission),
        gate(payout_after_leaving), gate(paid_out_once), payout_within_formula)
    paying = gate(member_admitted), gate(not_before_admission), gate(not_after_leaving)
    add(table, "member", [PaymentIndexed, PaymentDue, ExtraPaymentReceived], *paying)
    add(table, "member", [PaymentReceived], *paying, a_payment_of_the_membership, same_money_once)
    add(table, "member", [PaymentReturned], *paying, return_within_payments)
    add(table, "member", [MortgageYearPosted], *paying, debt_share_years_not_recorded)
    add(table, "member", [PaymentReductionAgreed], *paying, one_a_day, units_sold_held)
    add(table, "member", [ArrangementAgreed], *paying, arrangement_clears_arrears)
    return table


CHECKS = _checks()


def check(world: World, stream: str, type_: str, on: date, p: Payload, key: str | None = None) -> list[FieldError]:
    """The invariants an event must keep, against the world as it stands (before the event). `key`: its
    idempotency key, if one was given (a key derived from the fact names nothing more than the fact).

    (That the payload's ids name this stream is the mapper's check, made on every way in: own_id_errors.)"""
    kind, _, sid = stream.partition("-")
    event = Proposed(stream, kind, sid, type_, on, p, key is not None and not key.startswith(FACT_KEY_PREFIX))
    errors: list[FieldError] = []
    for rule in CHECKS.get((kind, type_), ()):
        found = rule.check(world, event)
        errors += found
        if found and rule.gate:
            break
    return errors


# Events `record` cannot check: their own commands compute them from the books (a loan's contract) or hold the
# fund to its liquidity; an AfterSavingsReleased is not recorded at all (ledger.fund.releases.COMPUTED_ON_READ: the
# release is a fold). Every event type is either here or in EQUITY_TYPES (a test says so).
CHECKED_BY_ITS_COMMAND = {
    "EventReversed": "mutual correct", "PeriodClosed": "mutual period close",
    "FundPolicySet": "mutual fund policy", "FundExpense": "mutual fund expense",
    "SavingsAccountOpened": "mutual savings open", "SavingsDeposited": "mutual savings deposit",
    "SavingsWithdrawn": "mutual savings withdraw", "PointsGifted": "mutual points gift",
    "LoanGranted": "mutual loan grant", "ShareDepositBought": "mutual loan shares",
    "LoanDisbursed": "mutual loan disburse", "FeeCharged": "mutual loan disburse",
    "InstalmentReceived": "mutual loan pay", "AfterSavingsReleased": "nothing (computed on read)",
    "ShareDepositReleased": "mutual loan shares-back", "LoanWrittenOff": "mutual loan write-off",
    "BankLineImported": "mutual bank import", "BankBalanceStated": "mutual bank import",
    "BankLineMatched": "mutual bank match", "BankLineIgnored": "mutual bank ignore",
    "BankPaymentReturned": "mutual bank import", "BankMatchRuleSet": "mutual bank rules set",
    "BankMatchRuleRemoved": "mutual bank rules remove",
    "ChartOfAccountsSet": "mutual accounts chart",
    "ApprovalLimitSet": "mutual policy set approval-limit", "ProposalMade": "mutual propose",
    "ProposalApproved": "mutual proposal approve", "ProposalRejected": "mutual proposal reject",
    "ProposalRefused": "mutual proposal approve",
}


def record(store: EventStore, envelopes: Iterable[Any], *, actor: str, advice: str = ADVICE_RECORD) -> Recorded:
    """Check every envelope against the books and the batch so far, then append them all or none.

    (`advice`: what a refusal inside a closed period tells its writer to do; a typed command passes its own.)"""
    return _record(store, list(envelopes), actor=actor, advice=advice)  # (a list: a second check reads them again)


@dataclass(frozen=True)
class Checked:
    """A batch `record` would append: its events, which of them the log holds already (their position), and the
    books with the batch added (the world a typed command's dry run reads its "after" figures from)."""

    world: World
    pendings: list[Pending]
    recorded: list[int | None]


def check_batch(store: EventStore, envelopes: Iterable[Any], *, actor: str, advice: str = ADVICE_RECORD) -> Checked:
    """Everything `record` does but the append: the same checks, in the same order (a dry run)."""
    return _check_batch(World(store), list(envelopes), actor=actor, advice=advice)


def occupant_on(world: World, dwelling_id: str, on: date) -> str | None:
    """Who occupies a dwelling on a date, as the checks see it."""
    return _occupant(world, dwelling_id, on)


@checks_again
def _record(store: EventStore, envelopes: list[Any], *, actor: str, advice: str = ADVICE_RECORD) -> Recorded:
    world = World(store)
    checked = _check_batch(world, envelopes, actor=actor, advice=advice)
    pendings = checked.pendings
    expected = {stream: world.versions.get(stream, 0) for stream in dict.fromkeys(p.stream for p in pendings)}
    result = store.append_pending(pendings, expected, expected_head=world.head)
    return Recorded(len(pendings), result.written, len(pendings) - result.written, result.head.position,
                    result.head.hash)


def _check_batch(world: World, envelopes: list[Any], *, actor: str, advice: str) -> Checked:
    store = world.store
    guard = PeriodGuard(world.stream, advice)
    built: list[Pending] = []
    payloads: list[Payload] = []  # each at its type's current schema version, as the envelope's check left it
    for number, envelope in enumerate(envelopes, start=1):
        where = f"event {number}"
        pending, payload, errors = checked_envelope(envelope, default_actor=actor, where=where)
        if errors or pending is None or payload is None:
            raise ValidationFailed(errors, where=f"{where} refused, nothing written")
        if pending.type in COMPUTED_ON_READ:
            raise ValidationFailed([FieldError("type", f"a {pending.type} is not recorded: "
                                                       f"{COMPUTED_ON_READ[pending.type]}")],
                                   where=f"{where} refused, nothing written")
        command = CHECKED_BY_ITS_COMMAND.get(pending.type)
        if command is not None:
            raise ValidationFailed([FieldError("type",
                                               f"a {pending.type} is recorded with `{command}`, which checks it")],
                                   where=f"{where} refused, nothing written")
        built.append(pending)
        payloads.append(payload)
    built = _at_current_versions(store, built)
    # An event the log holds already (its key with the same fact) is a replay: it is not checked again (its checks
    # held when it was recorded; against the books that now include it they would refuse it), and writes nothing.
    recorded = store.recorded(built)
    pendings: list[Pending] = []
    seen: dict[str, Pending] = {}  # the batch's keys so far: an event repeated in the batch is one event
    for number, (pending, payload, position) in enumerate(zip(built, payloads, recorded, strict=True), start=1):
        where = f"event {number}"
        pendings.append(pending)
        earlier = seen.setdefault(pending.idempotency_key, pending)
        if position is not None or earlier is not pending:
            continue  # (a repeat with another fact under the same key is refused by the append)
        on = date.fromisoformat(pending.effective_date)
        if pending.type in EQUITY_TYPES:
            problems = check(world, pending.stream, pending.type, on, payload, pending.idempotency_key)
            if problems:
                raise ValidationFailed(problems,
                                       where=f"{where} ({pending.type} on {pending.stream}) refused, nothing written")
        problem = _closed(guard, world, pending, payload, on)
        if problem is not None:
            raise ValidationFailed([problem],
                                   where=f"{where} ({pending.type} on {pending.stream}) refused, nothing written")
        world.add(pending.stream, pending.type, REGISTRY[pending.type].schema_version, on, payload,
                  pending.idempotency_key)
    return Checked(world, pendings, recorded)


def _at_current_versions(store: EventStore, built: list[Pending]) -> list[Pending]:
    """New facts are written at their type's current schema version (a `MemberAdmitted` version 1 is lifted to 2:
    its salary never enters the chain, docs/people.md); an older event the log holds already stays a replay."""
    older = [i for i, p in enumerate(built) if p.schema_version != REGISTRY[p.type].schema_version]
    if not older:
        return built
    out = list(built)
    for i in older:
        try:
            held = store.recorded([built[i]])[0] is not None
        except IdempotencyConflict:  # its key holds the lifted fact (recorded by an earlier run): lift it again
            held = False
        if not held:
            out[i] = at_current_version(built[i])
    return out


def _closed(guard: PeriodGuard, world: World, pending: Pending, payload: Payload, on: date) -> FieldError | None:
    """The closed-period rule (ledger/periods.py); a retry of an event already recorded is the store's business."""
    if guard.already_recorded(pending.stream, pending.idempotency_key):
        return None
    return guard.error(pending.stream, payload, on, orjson.loads(pending.metadata_json))


@dataclass(frozen=True)
class Accrued:
    through: date
    planned: int
    written: int
    by_type: dict[str, int]


def planned_accruals(world: World, through: date, coop: str | None = None) -> list[Planned]:
    """What accrual would post through `through` (for one co-op, or all)."""
    admissions = [a for a in world.admissions() if coop is None or a.coop_id == coop]
    mortgages = [d.mortgage_id for d in map(Drawdown.of, world.of_type(CollectiveMortgageDrawn.event_type))
                 if coop is None or d.coop_id == coop]
    return plan_accruals(world.stream, members=[a.member_id for a in admissions], mortgages=mortgages, through=through)


@checks_again
def accrue(store: EventStore, through: date, *, actor: str) -> Accrued:
    """Append the lender's years, payment indexation and dues the books call for through `through`.

    An accrual dated inside a period closed before it was posted is recorded as a prior-period adjustment, with
    the reason saying so (docs/audit.md): accrual posts what the terms called for on that day, whenever it runs.
    """
    world = World(store)
    planned = planned_accruals(world, through)
    guard = PeriodGuard(world.stream)
    pendings = []
    for p in planned:
        metadata = {"actor": actor, "reason": f"accrual through {through.isoformat()}"}
        closed = guard.inside(p.stream, p.payload.model_dump(mode="json"), p.effective_date)
        if closed is not None:
            metadata = {"actor": actor, "adjustment": PRIOR_PERIOD,
                        "reason": f"accrual through {through.isoformat()}, due on {p.effective_date.isoformat()} "
                                  f"in the period {closed[0].isoformat()} to {closed[1].isoformat()} closed before "
                                  "it was posted"}
        pendings.append(pending_from_model(p.stream, p.payload, p.effective_date, metadata=metadata,
                                           idempotency_key=p.idempotency_key))
    written = 0
    if pendings:
        expected = {s: world.versions.get(s, 0) for s in dict.fromkeys(p.stream for p in pendings)}
        written = store.append_pending(pendings, expected, expected_head=world.head).written
    by_type: dict[str, int] = {}
    for p in planned:
        by_type[p.payload.event_type] = by_type.get(p.payload.event_type, 0) + 1
    return Accrued(through, len(planned), written, dict(sorted(by_type.items())))
