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
- payload ids agree with their stream (member_id of member-<id>, ...);
- amounts positive where a negative makes no sense (the schemas), and a
  reserve transfer is not zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Optional

import orjson

from ledger import equity_state as S
from ledger.accrual import plan_accruals
from ledger.commands.consistency import checks_again
from ledger.errors import FieldError, ValidationFailed
from ledger.fund.releases import COMPUTED_ON_READ
from ledger.periods import PRIOR_PERIOD, PeriodGuard
from ledger.source import StoreSource
from ledger.store import EventStore
from ledger.store.mapper import pending_from_envelope, pending_from_model
from ledger.store.records import Pending

D = Decimal
EQUITY_TYPES = {
    "SocietyRegistered", "DwellingRegistered", "DwellingRevalued", "PaymentIndexationPolicySet", "ChargesBudgetSet",
    "DepositRuleSet", "EquityStakePolicySet", "ResaleFormulaSet", "IndexValuePublished", "CollectiveMortgageDrawn",
    "MortgageYearPosted", "TopUpLoanDrawn", "MortgagePrepaid", "MemberAdmitted", "PaymentIndexed", "PaymentDue", "PaymentReceived",
    "ExtraPaymentReceived", "PaymentReductionAgreed", "UnitsTransferred", "LeaseAssigned", "EquityPaidOut",
    "ReserveSpent", "ReserveTransferred", "ShareCapitalBought", "ShareCapitalWithdrawn", "DividendPaid",
}


class World(StoreSource):
    """The books as the store has them, plus the events of the batch being checked (an overlay)."""

    def __init__(self, store: EventStore) -> None:
        super().__init__(store)
        self.head = store.head().position  # before anything is read: an append is refused if the log moves on
        self.versions: dict[str, int] = {}
        self._next = 10**15

    def stream(self, name: str) -> list:
        """A stream with corrections applied, as the read side shows it (the version is the recorded one)."""
        found = self._streams.get(name)
        if found is None:
            raw = self._raw_stream(name)
            self.versions.setdefault(name, raw[-1].version if raw else 0)
            found = self._streams[name] = list(super().stream(name))  # (a copy: the overlay is added to it)
        return found

    def add(self, stream: str, type_: str, schema_version: int, on: date, payload: dict, key: str) -> None:
        self.stream(stream)
        self._next += 1
        fact = S.Fact(self._next, stream, 0, type_, schema_version, on, payload, key)
        self._streams[stream].append(fact)
        if type_ in self._types:
            self._types[type_].append(fact)
        if (stream, type_) in self._typed:
            self._typed[(stream, type_)].append(fact)

    def admissions(self) -> list[S.Admission]:
        return [a for a in (S.admission_of([e]) for e in self.of_type("MemberAdmitted")) if a is not None]

    def schedule(self, adm: S.Admission) -> Optional[S.DebtShareSchedule]:
        """The member's debt-share schedule, as the read side folds it (projections/equity.py)."""
        mortgages = S.drawn_by_coop(self.of_type("CollectiveMortgageDrawn")).get(adm.coop_id, {})
        return S.schedule_of(adm, mortgages, self.stream)

    def member_position(self, member_id: str, on: date) -> S.MemberPosition:
        """A member's position as `member show` gives it (the co-op's policies and the debt share's schedule)."""
        events = self.stream(f"member-{member_id}")
        adm = S.admission_of(events)
        society = [e for e in self.stream(f"society-{adm.coop_id}")
                   if e.type in ("ResaleFormulaSet", "EquityStakePolicySet")]
        return S.member_position(events, self.stream(f"dwelling-{adm.dwelling_id}"), society, on, self.schedule(adm))


@dataclass(frozen=True)
class Recorded:
    checked: int
    written: int
    already_recorded: int
    head_position: int
    head_hash: str


def _society(world: World, society_id: str, on: date, field: str) -> list[FieldError]:
    events = world.stream(f"society-{society_id}")
    found = S.first_event(events, "SocietyRegistered")
    if found is None:
        return [FieldError(field, f"society {society_id} is not registered")]
    if on < found[0]:
        return [FieldError("effective_date", f"{on.isoformat()} is before society {society_id} was registered "
                                             f"({found[0].isoformat()})")]
    return []


def _occupant(world: World, dwelling_id: str, on: date) -> Optional[str]:
    dwelling_events = world.stream(f"dwelling-{dwelling_id}")
    found = None
    for adm in sorted((a for a in world.admissions() if a.dwelling_id == dwelling_id), key=lambda a: a.admitted_on):
        if adm.admitted_on > on:
            continue
        left = S.leaving_date(dwelling_events, adm.member_id)
        if left is None or left > on:
            found = adm.member_id
    return found


# Events `record` cannot check: their own commands compute them from the books (a loan's contract) or hold the
# fund to its liquidity; an AfterSavingsReleased is not recorded at all (ledger.jak_state.COMPUTED_ON_READ: the
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
}


def _stream_id(stream: str) -> str:
    return stream.partition("-")[2]


def check(world: World, stream: str, type_: str, on: date, p: dict) -> list[FieldError]:
    """The invariants an event must keep, against the world as it stands (before the event)."""
    kind, sid = stream.partition("-")[0], _stream_id(stream)
    # (That the payload's ids name this stream is the mapper's check, made on every way in: own_id_errors.)
    errors: list[FieldError] = []

    if type_ == "SocietyRegistered":
        if S.first_event(world.stream(stream), "SocietyRegistered") is not None:
            return [FieldError("payload.society_id", f"society {sid} is already registered")]
        if p.get("clt_id"):
            errors += _society(world, p["clt_id"], on, "payload.clt_id")
        return errors
    if kind == "society":
        return _society(world, sid, on, "stream") + _society_event(world, type_, p)
    if type_ == "IndexValuePublished":
        if p["period"] in S.index_values(world.stream(stream)):
            return [FieldError("payload.period", f"index {p['series']} already has a value for period {p['period']}")]
        return []
    if type_ == "DwellingRegistered":
        if S.first_event(world.stream(stream), "DwellingRegistered") is not None:
            return [FieldError("payload.dwelling_id", f"dwelling {sid} is already registered")]
        if D(p["clt_units"]) > D(p["units"]):
            errors.append(FieldError("payload.clt_units", "must not exceed the dwelling's units"))
        return errors + _society(world, p["coop_id"], on, "payload.coop_id")
    if kind == "dwelling":
        return _dwelling_event(world, stream, sid, type_, on, p)
    if type_ == "CollectiveMortgageDrawn":
        if S.first_event(world.stream(stream), "CollectiveMortgageDrawn") is not None:
            return [FieldError("payload.mortgage_id", f"mortgage {sid} is already drawn; a further loan is a TopUpLoanDrawn")]
        if p["kind"] != "conventional" and not p.get("index_series"):
            errors.append(FieldError("payload.index_series", f"is required for a {p['kind']} mortgage"))
        errors += _terms_applied(p)
        return errors + _society(world, p["coop_id"], on, "payload.coop_id")
    if kind == "mortgage":
        found = S.first_event(world.stream(stream), "CollectiveMortgageDrawn")
        if found is None:
            return [FieldError("stream", f"mortgage {sid} has not been drawn")]
        if on < found[0]:
            return [FieldError("effective_date", f"is before mortgage {sid} was drawn ({found[0].isoformat()})")]
        if type_ == "MortgagePrepaid":
            return _prepayment(world, found[1], on, D(p["amount"]))
        return []
    if kind == "member":
        return _member_event(world, stream, sid, type_, on, p)
    return errors


def _prepayment(world: World, drawn: dict, on: date, amount: Decimal) -> list[FieldError]:
    """A prepayment passes on no more than the co-op holds of its members' staircasing money."""
    coop = drawn["coop_id"]
    held = sum((world.member_position(a.member_id, on).ledger.extra_paid for a in world.admissions()
                if a.coop_id == coop and a.admitted_on <= on), D(0))
    for mortgage in S.drawn_by_coop(world.of_type("CollectiveMortgageDrawn")).get(coop, {}):
        held -= S.mortgage_state(world.stream(f"mortgage-{mortgage}"), on).prepaid
    if amount > held:
        return [FieldError("payload.amount", f"is more than the {held} of members' extra payments co-op {coop} "
                                             f"holds on {on.isoformat()}")]
    return []


def _terms_applied(p: dict) -> list[FieldError]:
    """A mortgage term the accrual would accept and not apply is refused by name (docs/rules-equity.md): the tilt of
    a mortgage that is not tilted, the index of a conventional one (it is neither indexed nor its payment grown).
    (`compounding` is annual or monthly, both applied; the schema refuses any other value.)"""
    errors = []
    if p["kind"] != "tilted" and D(p.get("tilt") or "0") != 0:
        errors.append(FieldError("payload.tilt", f"applies only to a tilted mortgage; a {p['kind']} mortgage would "
                                                 "not apply it"))
    if p["kind"] == "conventional" and p.get("index_series"):
        errors.append(FieldError("payload.index_series", "a conventional mortgage is not indexed (a fixed payment on a "
                                                         "nominal rate): the series would not be applied"))
    return errors


def _society_event(world: World, type_: str, p: dict) -> list[FieldError]:
    if type_ == "ReserveTransferred" and D(p["amount"]) == 0:
        return [FieldError("payload.amount", "must not be zero")]
    if type_ == "ReserveTransferred" and S.derived_transfer(p):
        return [FieldError("payload.purpose", "is the wording of a member-year's surplus, which the books compute "
                                              "from the year's receipts, charges and mortgage payment: describe "
                                              "the transfer in other words")]
    if type_ == "ResaleFormulaSet" and p.get("valuation_basis") == "index" and not p.get("index_series"):
        return [FieldError("payload.index_series", "is required when the valuation basis is an index")]
    return []


def _dwelling_event(world: World, stream: str, sid: str, type_: str, on: date, p: dict) -> list[FieldError]:
    events = world.stream(stream)
    found = S.first_event(events, "DwellingRegistered")
    if found is None:
        return [FieldError("stream", f"dwelling {sid} is not registered")]
    if on < found[0]:
        return [FieldError("effective_date", f"is before dwelling {sid} was registered ({found[0].isoformat()})")]
    if type_ == "UnitsTransferred":
        if p["from_holder"] == p["to_holder"]:
            return [FieldError("payload.to_holder", "must differ from from_holder")]
        state = S.dwelling_state(events, on)
        occupant = _occupant(world, sid, on)
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
            return [FieldError("payload", f"dwelling {sid} has no occupant on {on.isoformat()} to hold member units")]
    if type_ == "LeaseAssigned":
        occupant = _occupant(world, sid, on)
        if occupant != p["outgoing_member_id"]:
            return [FieldError("payload.outgoing_member_id",
                               f"{p['outgoing_member_id']} does not occupy dwelling {sid} on {on.isoformat()}"
                               + (f" ({occupant} does)" if occupant else ""))]
    return []


def _member_event(world: World, stream: str, sid: str, type_: str, on: date, p: dict) -> list[FieldError]:
    events = world.stream(stream)
    if type_ == "MemberAdmitted":
        if S.admission_of(events) is not None:
            return [FieldError("payload.member_id", f"member {sid} is already admitted")]
        errors = _society(world, p["coop_id"], on, "payload.coop_id")
        found = S.first_event(world.stream(f"dwelling-{p['dwelling_id']}"), "DwellingRegistered")
        if found is None:
            return errors + [FieldError("payload.dwelling_id", f"dwelling {p['dwelling_id']} is not registered")]
        if found[1]["coop_id"] != p["coop_id"]:
            errors.append(FieldError("payload.dwelling_id", f"dwelling {p['dwelling_id']} belongs to co-op {found[1]['coop_id']}"))
        if on < found[0]:
            errors.append(FieldError("effective_date", f"is before dwelling {p['dwelling_id']} was registered"))
        occupant = _occupant(world, p["dwelling_id"], on)
        if occupant is not None:
            errors.append(FieldError("payload.dwelling_id", f"dwelling {p['dwelling_id']} is occupied by member "
                                                            f"{occupant} on {on.isoformat()}"))
        mortgage = world.stream(f"mortgage-{p['mortgage_id']}") if p.get("mortgage_id") else None
        if mortgage is not None and S.first_event(mortgage, "CollectiveMortgageDrawn") is None:
            errors.append(FieldError("payload.mortgage_id", f"mortgage {p['mortgage_id']} has not been drawn"))
        dwelling = S.dwelling_state(world.stream(f"dwelling-{p['dwelling_id']}"), on) if found and on >= found[0] else None
        if dwelling is not None and D(p["deposit"]) + D(p["debt_share"]) > (dwelling.total_units - dwelling.clt_units) * dwelling.unit_value + D("0.01"):
            errors.append(FieldError("payload.debt_share", "deposit + debt_share exceed the value of the dwelling's non-CLT units"))
        return errors
    adm = S.admission_of(events)
    if adm is None:
        return [FieldError("stream", f"member {sid} has not been admitted")]
    if type_ in ("ShareCapitalBought", "ShareCapitalWithdrawn", "DividendPaid"):
        errors = _society(world, p["society_id"], on, "payload.society_id")
        held = S.member_ledger(events, world.stream(f"dwelling-{adm.dwelling_id}"), on).share_capital.get(p["society_id"], D(0))
        if type_ == "ShareCapitalBought" and held + D(p["amount"]) > S.MAX_SHARE_CAPITAL:
            errors.append(FieldError("payload.amount", f"would bring member {sid}'s share capital in {p['society_id']} "
                                                       f"to {held + D(p['amount'])}, above the legal maximum of £20,000"))
        if type_ == "ShareCapitalWithdrawn" and D(p["amount"]) > held:
            errors.append(FieldError("payload.amount", f"is more than the {held} member {sid} holds in {p['society_id']}"))
        return errors
    dwelling_events = world.stream(f"dwelling-{adm.dwelling_id}")
    left = S.leaving_date(dwelling_events, sid)
    if on < adm.admitted_on:
        return [FieldError("effective_date", f"{on.isoformat()} is before member {sid} was admitted "
                                             f"({adm.admitted_on.isoformat()})")]
    if type_ == "EquityPaidOut":
        if left is None or on < left:
            return [FieldError("type", f"an equity payout is only made to a member who has left; member {sid} has not "
                                       f"left on {on.isoformat()}")]
        if any(e.type == "EquityPaidOut" for e in events):
            return [FieldError("type", f"member {sid} has already been paid out")]
        due = world.member_position(sid, on).payout["payout"]
        if D(p["amount"]) > due:
            return [FieldError("payload.amount", f"is more than the {due} the resale formula gives member {sid}")]
        return []
    if left is not None and on >= left:
        return [FieldError("effective_date", f"{on.isoformat()} is on or after member {sid} left ({left.isoformat()}): "
                                             f"no {type_} after leaving")]
    if type_ == "MortgageYearPosted" and world.schedule(adm) is not None:
        return [FieldError("stream", f"member {sid}'s debt share follows mortgage {world.schedule(adm).mortgage_id}: "
                                     "its years are computed from the mortgage's terms and index, not recorded; "
                                     "post the lender's year on the mortgage's stream")]
    if type_ == "PaymentReductionAgreed" and D(p["units_sold"]):
        units = world.member_position(sid, on).units
        if D(p["units_sold"]) > D(units["member"]):
            return [FieldError("payload.units_sold", f"member {sid} holds only {units['member']} units on {on.isoformat()}")]
    return []


def record(store: EventStore, envelopes: Iterable[Any], *, actor: str) -> Recorded:
    """Check every envelope against the books and the batch so far, then append them all or none."""
    return _record(store, list(envelopes), actor=actor)  # (a list: a second check reads them again)


@checks_again
def _record(store: EventStore, envelopes: list[Any], *, actor: str) -> Recorded:
    world = World(store)
    guard = PeriodGuard(world.stream)
    built: list[Pending] = []
    for number, envelope in enumerate(envelopes, start=1):
        where = f"event {number}"
        pending, errors = pending_from_envelope(envelope, default_actor=actor, where=where)
        if errors:
            raise ValidationFailed(errors, where=f"{where} refused, nothing written")
        if pending.type in COMPUTED_ON_READ:
            raise ValidationFailed([FieldError("type", f"a {pending.type} is not recorded: "
                                                       f"{COMPUTED_ON_READ[pending.type]}")],
                                   where=f"{where} refused, nothing written")
        command = CHECKED_BY_ITS_COMMAND.get(pending.type)
        if command is not None:
            raise ValidationFailed([FieldError("type", f"a {pending.type} is recorded with `{command}`, which checks it")],
                                   where=f"{where} refused, nothing written")
        built.append(pending)
    # An event the log holds already (its key with the same fact) is a replay: it is not checked again (its checks
    # held when it was recorded; against the books that now include it they would refuse it), and writes nothing.
    recorded = store.recorded(built)
    pendings: list[Pending] = []
    seen: dict[str, Pending] = {}  # the batch's keys so far: an event repeated in the batch is one event
    for number, (pending, position) in enumerate(zip(built, recorded), start=1):
        where = f"event {number}"
        pendings.append(pending)
        earlier = seen.setdefault(pending.idempotency_key, pending)
        if position is not None or earlier is not pending:
            continue  # (a repeat with another fact under the same key is refused by the append)
        payload = orjson.loads(pending.payload_json)
        on = date.fromisoformat(pending.effective_date)
        if pending.type in EQUITY_TYPES:
            problems = check(world, pending.stream, pending.type, on, payload)
            if problems:
                raise ValidationFailed(problems, where=f"{where} ({pending.type} on {pending.stream}) refused, nothing written")
        problem = _closed(guard, world, pending, payload, on)
        if problem is not None:
            raise ValidationFailed([problem], where=f"{where} ({pending.type} on {pending.stream}) refused, nothing written")
        world.add(pending.stream, pending.type, pending.schema_version, on, payload, pending.idempotency_key)
    expected = {stream: world.versions.get(stream, 0) for stream in dict.fromkeys(p.stream for p in pendings)}
    result = store.append_pending(pendings, expected, expected_head=world.head)
    return Recorded(len(pendings), result.written, len(pendings) - result.written, result.head.position, result.head.hash)


def _closed(guard: PeriodGuard, world: World, pending: Pending, payload: dict, on: date) -> Optional[FieldError]:
    """The closed-period rule (ledger/periods.py); a retry of an event already recorded is the store's business."""
    if guard.already_recorded(pending.stream, pending.idempotency_key):
        return None
    return guard.error(pending.stream, payload, on, orjson.loads(pending.metadata_json))


@dataclass(frozen=True)
class Accrued:
    through: date
    planned: int
    written: int
    by_type: dict


def planned_accruals(world: World, through: date, coop: Optional[str] = None) -> list:
    """What accrual would post through `through` (for one co-op, or all)."""
    admissions = [a for a in world.admissions() if coop is None or a.coop_id == coop]
    mortgages = [p["mortgage_id"] for p in (S.payload_of(e) for e in world.of_type("CollectiveMortgageDrawn"))
                 if coop is None or p["coop_id"] == coop]
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
