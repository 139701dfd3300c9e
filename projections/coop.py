"""Point-in-time views of the shared-equity co-op: member, dwelling, co-op, register.

Each is a pure fold (ledger/coop/) over the streams a `LedgerView`
hands it, so `as_known_at` (recorded time) is the view's business and
`as_of` (effective date) the fold's. A member query reads three streams
through the (stream, version) index: the member's, their dwelling's and
their co-op's. Co-op, dwelling and register queries find their members with
a scan by event type (indexed) of `MemberAdmitted` and the like: fine for
a back office, not the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from ledger import streams
from ledger.coop import member as fold_member
from ledger.coop.dwelling import (
    charges_budget_on,
    dwelling_state,
    leaving_date,
    units_json,
)
from ledger.coop.fold import Events, dec
from ledger.coop.member import Admission, MemberPosition, MemberYear, admission_of
from ledger.coop.mortgage import (
    DebtShareSchedule,
    Drawn,
    drawn_by_coop,
    mortgage_state,
    schedule_of,
)
from ledger.coop.payloads import Drawdown, DwellingRegistration, Shares
from ledger.coop.society import MEMBERSHIP_SHARE, society_state
from ledger.errors import NotFound
from ledger.events.base import EventPayload
from ledger.events.coop import (
    CollectiveMortgageDrawn,
    DwellingRegistered,
    EquityStakePolicySet,
    MemberAdmitted,
    ResaleFormulaSet,
    ShareCapitalBought,
    ShareCapitalWithdrawn,
)
from ledger.money import ZERO, round_money
from ledger.source import EventSource
from ledger.store import StoredEvent
from projections.view import check_as_of

T = TypeVar("T")


def _admissions(view: EventSource) -> list[Admission]:
    """Every admission known to the view (one per member stream), in log order (remembered by the view)."""
    found = view.__dict__.get("_admissions")
    if found is None:
        found = view.__dict__["_admissions"] = [admission_of([e]) for e in view.of_type(MemberAdmitted.event_type)]
    return cast(list[Admission], found)


def _admissions_to(view: EventSource, dwelling_id: str) -> list[Admission]:
    """The admissions to one dwelling, earliest first (the index is remembered by the view)."""
    index = view.__dict__.get("_admissions_by_dwelling")
    if index is None:
        index = view.__dict__["_admissions_by_dwelling"] = cast(dict[str, list[Admission]], {})
        for adm in sorted(_admissions(view), key=lambda a: a.admitted_on):
            index.setdefault(adm.dwelling_id, []).append(adm)
    return cast(list[Admission], index.get(dwelling_id, []))


def _check_exists(events: list[StoredEvent], as_of: date, what: str) -> None:
    check_as_of(events, as_of, what)


def share_folds(view: EventSource, folds: dict[str, dict[Any, Any]]) -> None:
    """Let the view remember what it folds (members' positions by date, members' books) in `folds`, which other
    views of exactly the same books (the same chain head, as known at the same time) share: a fold of the same
    events never changes while the books do not. `fresh_folds()` makes an empty one."""
    view.__dict__.update(folds)


def fresh_folds() -> dict[str, dict[Any, Any]]:
    return {"_member_positions": {}, "_member_books": {}, "_answers": {}}


def remembered(view: EventSource, question: tuple[Any, ...], answer: Callable[[], T]) -> T:
    """`answer()`, remembered by the view under `question` (a page's figures: the query and its dates), and shared
    with every view of the same books (`share_folds`): the same books give the same answer. The answer is shared,
    so nothing may change it."""
    answers = view.__dict__.setdefault("_answers", {})
    if question not in answers:
        answers[question] = answer()
    return cast(T, answers[question])


def member_position(view: EventSource, member_id: str, as_of: date) -> MemberPosition:
    """A member's position (remembered by the view: co-op, dwelling and audit totals all ask for it)."""
    cache = view.__dict__.setdefault("_member_positions", {})
    key = (member_id, as_of)
    if key not in cache:
        cache[key] = _member_position(view, member_id, as_of)
    return cast(MemberPosition, cache[key])


def member_positions(view: EventSource, member_id: str, dates: list[date]) -> list[MemberPosition]:
    """A member's positions on many dates (ascending), the stream folded once for those the view has not
    remembered: a chart of thirty years of month ends is one fold, not 360."""
    cache = view.__dict__.setdefault("_member_positions", {})
    missing = [d for d in dates if (member_id, d) not in cache]
    if missing:
        last = missing[-1]
        adm, events = admitted(view, member_id, missing[0], _until(view, streams.member(member_id), last))
        dwelling = view.require(streams.dwelling(adm.dwelling_id),
                                f"dwelling {adm.dwelling_id} of member {member_id}")
        found = fold_member.member_positions(events, dwelling, _policies(view, adm.coop_id), missing,
                                             schedule_for(view, adm))
        for day, position in zip(missing, found, strict=True):
            cache[(member_id, day)] = position
    return [cast(MemberPosition, cache[(member_id, d)]) for d in dates]


def admitted(view: EventSource, member_id: str, as_of: date, events: list[Any] | None = None
             ) -> tuple[Admission, list[Any]]:
    """A member's admission and events (`events`, or their whole stream), refused by name when there is no such
    member or they were not yet admitted on `as_of`."""
    stream = streams.member(member_id)
    if not events:
        events = view.require(stream, f"member {member_id}")
    adm = admission_of(events)
    if adm is None:
        raise NotFound(f"member {member_id}: the stream {stream} has no MemberAdmitted event")
    if as_of < adm.admitted_on:
        raise NotFound(f"member {member_id} was not yet admitted on {as_of.isoformat()}: "
                       f"admitted on {adm.admitted_on.isoformat()}")
    return adm, events


def _member_position(view: EventSource, member_id: str, as_of: date) -> MemberPosition:
    adm, events = admitted(view, member_id, as_of, _until(view, streams.member(member_id), as_of))
    dwelling = view.require(streams.dwelling(adm.dwelling_id), f"dwelling {adm.dwelling_id} of member {member_id}")
    return fold_member.member_position(events, dwelling, _policies(view, adm.coop_id), as_of, schedule_for(view, adm))


def _policies(view: EventSource, coop_id: str) -> list[StoredEvent]:
    """The co-op's policies a member's fold reads: the resale formula and the `% to equity stake`."""
    stream = streams.society(coop_id)
    return _typed(view, stream, ResaleFormulaSet) + _typed(view, stream, EquityStakePolicySet)


def coop_mortgages(view: EventSource) -> dict[str, dict[str, Drawn]]:
    """Every co-op's drawn mortgages (remembered by the view)."""
    found = view.__dict__.get("_coop_mortgages")
    if found is None:
        found = view.__dict__["_coop_mortgages"] = drawn_by_coop(view.of_type(CollectiveMortgageDrawn.event_type))
    return found


def schedule_for(view: EventSource, adm: Admission) -> DebtShareSchedule | None:
    return schedule_of(adm, coop_mortgages(view).get(adm.coop_id, {}), view.stream)


def _until(view: EventSource, stream: str, as_of: date) -> list[StoredEvent]:
    """A stream's events effective on or before `as_of` (the fold needs no later ones): fewer rows to decode."""
    return view.stream_until(stream, as_of)


def _typed(view: EventSource, stream: str, cls: type[EventPayload]) -> list[StoredEvent]:
    """One type of event of one stream (a co-op's stream also carries every member's reserve transfers)."""
    return view.stream_of_type(stream, cls.event_type)


def member_show(view: EventSource, member_id: str, as_of: date) -> dict[str, Any]:
    data = member_position(view, member_id, as_of).to_json()
    corrections = view.corrections(streams.member(member_id))
    if corrections:  # only when there are any: the JSON of an uncorrected member is the fold's, unchanged
        data["corrections"] = corrections
    return data


def dwelling_show(view: EventSource, dwelling_id: str, as_of: date) -> dict[str, Any]:
    events = view.require(streams.dwelling(dwelling_id), f"dwelling {dwelling_id}")
    _check_exists(events, as_of, f"dwelling {dwelling_id}")
    state = dwelling_state(events, as_of)
    occupant = _occupant(view, dwelling_id, events, as_of)
    if occupant is not None:
        position = member_position(view, occupant, as_of)
        units = position.units
        debt = position.ledger.debt_share
    else:
        units = units_json(state.clt_units, ZERO, state.total_units - state.clt_units, state.total_units)
        debt = ZERO
    return {
        "dwelling": dwelling_id,
        "coop": state.coop_id,
        "as_of": as_of,
        "registered_on": state.registered_on,
        "value": round_money(state.value),
        "value_basis": state.value_basis,
        "valued_on": state.valued_on,
        "unit_value": round_money(state.unit_value),
        "units": units,
        "units_by_holder": {"clt": units["clt"], "financed (co-op)": units["financed"],
                            (occupant or "no occupant"): units["member"]},
        "occupant": occupant,
        "occupant_debt_share": round_money(debt),
        "charges_budget": round_money(state.charges_budget),
        "charges": {k: dec(v) for k, v in sorted(state.charges.items())},
        "leases": [{"on": on, "outgoing": out, "incoming": inc} for on, out, inc in state.leases],
    }


def occupant_of(admissions: list[Admission], dwelling_events: Events, dwelling_id: str, as_of: date) -> str | None:
    """The member admitted to the dwelling on or before `as_of` who has not left by then (latest admission wins).

    `admissions` must be in admission-date order (ties in log order).
    """
    found = None
    for adm in admissions:
        if adm.dwelling_id != dwelling_id or adm.admitted_on > as_of:
            continue
        left = leaving_date(dwelling_events, adm.member_id)
        if left is None or left > as_of:
            found = adm.member_id
    return found


def _occupant(view: EventSource, dwelling_id: str, dwelling_events: Events, as_of: date) -> str | None:
    return occupant_of(_admissions_to(view, dwelling_id), dwelling_events, dwelling_id, as_of)


@dataclass
class _Members:
    """A co-op's members on a date, added up: what `coop show` says of them."""

    current: list[str] = field(default_factory=list)  # admitted and not left
    debt_shares: Decimal = ZERO
    arrears: Decimal = ZERO
    charges_collected: Decimal = ZERO
    received: Decimal = ZERO
    due: Decimal = ZERO
    staircased: Decimal = ZERO
    added_for_units: Decimal = ZERO
    open_receipts: Decimal = ZERO
    closed_years: list[MemberYear] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    @property
    def reserve_moves(self) -> list[Decimal]:
        return [y.reserve for y in self.closed_years]


def _members(view: EventSource, coop_id: str, as_of: date) -> _Members:
    found = _Members()
    for adm in _admissions(view):
        if adm.coop_id != coop_id or adm.admitted_on > as_of:
            continue
        lg = member_position(view, adm.member_id, as_of).ledger
        found.charges_collected += lg.charges_collected
        found.received += lg.payments_received
        found.due += lg.payments_due
        found.staircased += lg.extra_paid
        found.added_for_units += lg.debt_added
        found.open_receipts += lg.received_in_open_year
        found.closed_years += lg.years
        if lg.years_blocked:
            found.blocked.append(lg.years_blocked)
        if lg.left_on is None:
            found.current.append(adm.member_id)
            found.debt_shares += lg.debt_share
            found.arrears += lg.arrears
    return found


def _dwellings(view: EventSource, coop_id: str, as_of: date) -> tuple[list[str], Decimal]:
    """The co-op's dwellings on a date and their charges budgets, added up."""
    dwellings, budget = [], ZERO
    for e in view.of_type(DwellingRegistered.event_type):
        registration = DwellingRegistration.of(e)
        if registration.coop_id != coop_id or e.effective_date > as_of:
            continue
        dwellings.append(registration.dwelling_id)
        budget += charges_budget_on(view.stream(e.stream), as_of)
    return dwellings, budget


@dataclass
class _Lenders:
    """The co-op's collective mortgages on a date, added up."""

    mortgages: list[str] = field(default_factory=list)
    debt: Decimal = ZERO
    top_ups: Decimal = ZERO
    prepaid: Decimal = ZERO


def _lenders(view: EventSource, coop_id: str, as_of: date) -> _Lenders:
    found = _Lenders()
    for e in view.of_type(CollectiveMortgageDrawn.event_type):
        drawn = Drawdown.of(e)
        if drawn.coop_id != coop_id or e.effective_date > as_of or drawn.mortgage_id in found.mortgages:
            continue
        state = mortgage_state(view.stream(e.stream), as_of)
        found.mortgages.append(state.mortgage_id)
        found.debt += state.debt
        found.top_ups += state.top_ups
        found.prepaid += state.prepaid
    return found


def coop_show(view: EventSource, coop_id: str, as_of: date) -> dict[str, Any]:
    society_events = view.require(streams.society(coop_id), f"society {coop_id}")
    _check_exists(society_events, as_of, f"society {coop_id}")
    society = society_state(society_events, as_of)
    if society.kind != "coop":  # a CLT's or a fund's books are not a co-op's: shown as one they are all zeros
        raise NotFound(f"coop: {coop_id} is a {society.kind}, not a co-op")
    m = _members(view, coop_id, as_of)
    dwellings, budget = _dwellings(view, coop_id, as_of)
    lenders = _lenders(view, coop_id, as_of)
    debt = lenders.debt if lenders.mortgages else m.debt_shares
    prepayments_held = m.staircased - lenders.prepaid
    from_members = m.reserve_moves
    return {
        "coop": coop_id,
        "name": society.name,
        "kind": society.kind,
        "as_of": as_of,
        "registered_on": society.registered_on,
        "debt": round_money(debt),
        "mortgage_debt": round_money(lenders.debt),
        "top_up_loans": round_money(lenders.top_ups),
        "members_debt_shares": round_money(m.debt_shares),
        "mortgages": sorted(lenders.mortgages),
        "reserve": round_money(society.reserve + sum(from_members, ZERO)),
        "reserve_in": round_money(society.reserve_in + sum((r for r in from_members if r > 0), ZERO)),
        "reserve_out": round_money(society.reserve_out - sum((r for r in from_members if r < 0), ZERO)),
        "reserve_spent": round_money(society.reserve_spent),
        "reserve_incomplete": sorted(m.blocked),
        "prepayments_held": round_money(prepayments_held),
        "mortgage_prepaid": round_money(lenders.prepaid),
        "receipts_allocation": _allocation(m.closed_years, m.open_receipts),
        "debt_reconciliation": _reconciliation(debt, m.debt_shares, lenders.top_ups, prepayments_held,
                                               m.added_for_units),
        "charges_collected": round_money(m.charges_collected),
        "charges_budget": round_money(budget),
        "payments_due": round_money(m.due),
        "payments_received": round_money(m.received),
        "arrears": round_money(m.arrears),
        "members": sorted(m.current),
        "member_count": len(m.current),
        "dwellings": sorted(dwellings),
        "resale_formula": society.resale,
        "equity_stake_fraction": society.equity_stake_fraction,
    }


def _allocation(years: list[MemberYear], open_receipts: Decimal) -> dict[str, Any]:
    """Where the members' receipts went: each closed member-year's charges, mortgage payment, equity stake and
    the rest to (or, in deficit, from) the reserve; receipts of years not yet closed are held."""
    def total(attribute: str) -> Decimal:
        return round_money(sum((getattr(y, attribute) for y in years), ZERO))

    return {
        "received_in_closed_years": total("received"),
        "charges": total("charges"),
        "mortgage_payments": total("payment"),
        "equity_stake": total("equity_stake"),
        "to_reserve": total("reserve"),
        "held_in_open_years": round_money(open_receipts),
    }


def _reconciliation(debt: Decimal, shares: Decimal, top_ups: Decimal, held: Decimal,
                    added_for_units: Decimal) -> dict[str, Any]:
    """The co-op's debt against its members' debt shares: where every pound of the difference is.

    debt + debt added to shares for units = members' debt shares + top-up loans + prepayments held, while the members'
    years and the lender's fall on the same days; what is left is `difference` (docs/rules-equity.md).
    """
    return {
        "debt": round_money(debt),
        "debt_added_for_units": round_money(added_for_units),
        "members_debt_shares": round_money(shares),
        "top_up_loans": round_money(top_ups),
        "prepayments_held": round_money(held),
        "difference": round_money(debt + added_for_units - shares - top_ups - held),
    }


def register_show(view: EventSource, society_id: str, as_of: date) -> dict[str, Any]:
    """Members and shares on `as_of`; a member may vote while admitted (not left) and holding at least £1."""
    society_events = view.require(streams.society(society_id), f"society {society_id}")
    _check_exists(society_events, as_of, f"society {society_id}")
    society = society_state(society_events, as_of)
    holders: dict[str, Decimal] = {}
    for cls, sign in ((ShareCapitalBought, 1), (ShareCapitalWithdrawn, -1)):
        for e in view.of_type(cls.event_type):
            held = Shares.of(e)
            if held.society_id == society_id and e.effective_date <= as_of:
                holders[held.member_id] = holders.get(held.member_id, ZERO) + sign * held.amount
    admitted = {a.member_id: a for a in _admissions(view) if a.coop_id == society_id and a.admitted_on <= as_of}
    rows: list[dict[str, Any]] = []
    for member_id in sorted(set(holders) | set(admitted)):
        adm = admitted.get(member_id)
        left = None
        if adm is not None:
            left = leaving_date(view.stream(streams.dwelling(adm.dwelling_id)), member_id)
            if left is not None and left > as_of:
                left = None
        shares = holders.get(member_id, ZERO)
        is_member = adm is not None and left is None if society.kind == "coop" else shares >= MEMBERSHIP_SHARE
        rows.append({
            "member": member_id,
            "shares": round_money(shares),
            "admitted_on": adm.admitted_on if adm else None,
            "left_on": left,
            "dwelling": adm.dwelling_id if adm else None,
            "member_on_date": bool(is_member),
            "may_vote": bool(is_member and shares >= MEMBERSHIP_SHARE),
        })
    return {
        "society": society_id,
        "name": society.name,
        "kind": society.kind,
        "as_of": as_of,
        "members": rows,
        "member_count": sum(1 for r in rows if r["member_on_date"]),
        "voting_members": sorted(r["member"] for r in rows if r["may_vote"]),
        "share_capital": round_money(sum((r["shares"] for r in rows), ZERO)),
    }
