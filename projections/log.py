"""The log as a person reads it: one line per event, in 80 columns, each saying what happened in its own words.

`summary` words an event from its payload at its type's current schema version (so a version 1 admission shows
its agreed payment, never the salary it carried); a type without words of its own (one added later) shows its
fields. `names_member` says whether an event belongs to a member's log: their own stream, the savings accounts
and loans they hold, and any event naming them (a lease assigned to or from them, points given or received).
Everything is made one line of printable text: a payload's free text may hold new lines or control characters.
"""

from __future__ import annotations

import collections
import functools
import itertools
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.store import EventStore, StoredEvent
from ledger.store.mapper import current_payload

WIDTH = 80
MEMBER_FIELDS = ("member_id", "outgoing_member_id", "incoming_member_id", "from_member_id", "to_member_id")
HELD = ("SavingsAccountOpened", "LoanGranted")  # a stream a member holds: their savings account, their loan

P = Mapping[str, Any]


def money(value: Any) -> str:
    try:
        return f"£{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return f"£{value}"


def percent(value: Any) -> str:
    try:
        return f"{(Decimal(value) * 100).normalize():f}%"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _charges(p: P) -> str:
    heads = ("management", "maintenance", "insurance", "services", "sinking_fund")
    try:
        total = sum((Decimal(p.get(h) or "0") for h in heads), Decimal(0))
    except (InvalidOperation, TypeError, ValueError):
        return f"{p.get('dwelling_id')} charges budget set"
    return f"{p.get('dwelling_id')} charges budget {money(total)} a year"


def _paid(p: P) -> str:
    period = f" for {p['period']}" if p.get("period") else ""
    return f"{p.get('member_id')} paid {money(p.get('amount'))}{period}"


def _reversed(p: P) -> str:
    replaced = f", replaced by a {p['replacement_type']}" if p.get("replacement_type") else ""
    return f"reverses position {p.get('position')}{replaced}: {p.get('reason')}"


def _resale(p: P) -> str:
    cap = f", gains capped at {percent(p['appreciation_cap'])}" if p.get("appreciation_cap") is not None else ""
    return (f"{p.get('coop_id')} resale formula: {percent(p.get('deduction'))} deducted{cap}, "
            f"{p.get('minimum_tenure_years')} years' tenure")


def _paid_out(p: P) -> str:
    arrears = p.get("arrears_deducted")
    deducted = f" ({money(arrears)} arrears deducted)" if arrears and Decimal(arrears) else ""
    return f"{p.get('member_id')} paid out {money(p.get('amount'))}{deducted}"


WORDS: dict[str, Callable[[P], str]] = {
    "SocietyRegistered": lambda p: f"{p.get('name')} registered as a {p.get('kind')}"
                                   + (f" of {p['clt_id']}" if p.get("clt_id") else ""),
    "DwellingRegistered": lambda p: f"{p.get('dwelling_id')} of {p.get('coop_id')} registered at "
                                    f"{money(p.get('value'))}, {p.get('units')} units",
    "DwellingRevalued": lambda p: f"{p.get('dwelling_id')} revalued at {money(p.get('value'))} ({p.get('basis')})",
    "PaymentIndexationPolicySet": lambda p: f"{p.get('coop_id')} indexes payments by {p.get('series')} + "
                                            f"{percent(p.get('margin'))}",
    "ChargesBudgetSet": _charges,
    "DepositRuleSet": lambda p: f"{p.get('coop_id')} deposit rule: at least {percent(p.get('minimum_fraction'))}",
    "EquityStakePolicySet": lambda p: f"{p.get('coop_id')} puts {percent(p.get('fraction'))} of surplus to equity",
    "ResaleFormulaSet": _resale,
    "CollectiveMortgageDrawn": lambda p: f"{p.get('coop_id')} drew {money(p.get('principal'))} at "
                                         f"{percent(p.get('rate'))} over {p.get('term_years')} years",
    "TopUpLoanDrawn": lambda p: f"top-up of {money(p.get('amount'))} drawn: {p.get('purpose')}",
    "MortgagePrepaid": lambda p: f"{money(p.get('amount'))} prepaid to the lender",
    "MortgageYearPosted": lambda p: f"year {p.get('year')}: debt {money(p.get('opening_debt'))} to "
                                    f"{money(p.get('closing_debt'))}",
    "MemberAdmitted": lambda p: f"{p.get('member_id')} admitted: {p.get('dwelling_id')}, "
                                f"{money(p.get('annual_payment'))}/yr",
    "PaymentIndexed": lambda p: f"{p.get('member_id')} pays {money(p.get('annual_payment'))}/yr from "
                                f"{p.get('period')}",
    "PaymentDue": lambda p: f"{p.get('member_id')} owes {money(p.get('amount'))} for {p.get('period')}",
    "PaymentReceived": _paid,
    "PaymentReductionAgreed": lambda p: f"{p.get('member_id')} pays {money(p.get('annual_payment'))}/yr, "
                                        f"{p.get('units_sold')} units sold",
    "ExtraPaymentReceived": lambda p: f"{p.get('member_id')} paid {money(p.get('amount'))} extra",
    "PaymentReturned": lambda p: f"{p.get('member_id')}'s {money(p.get('amount'))} returned by the bank",
    "UnitsTransferred": lambda p: f"{p.get('units')} units from {p.get('from_holder')} to {p.get('to_holder')} "
                                  f"for {money(p.get('price'))}",
    "LeaseAssigned": lambda p: f"{p.get('dwelling_id')} passes from {p.get('outgoing_member_id')} to "
                               f"{p.get('incoming_member_id')}",
    "EquityPaidOut": _paid_out,
    "ShareCapitalBought": lambda p: f"{p.get('member_id')} bought {money(p.get('amount'))} of shares in "
                                    f"{p.get('society_id')}",
    "ShareCapitalWithdrawn": lambda p: f"{p.get('member_id')} withdrew {money(p.get('amount'))} of shares from "
                                       f"{p.get('society_id')}",
    "DividendPaid": lambda p: f"{p.get('member_id')} got a {money(p.get('amount'))} dividend for {p.get('period')}",
    "ReserveSpent": lambda p: f"{p.get('coop_id')} spent {money(p.get('amount'))} of reserve: {p.get('purpose')}",
    "ReserveTransferred": lambda p: f"{money(p.get('amount'))} to {p.get('coop_id')}'s reserve: {p.get('purpose')}",
    "IndexValuePublished": lambda p: f"{p.get('series')} for {p.get('period')} is {p.get('value')}",
    "PeriodClosed": lambda p: f"{p.get('society_id')} closed {p.get('period_start')} to {p.get('period_end')}",
    "EventReversed": _reversed,
    "FundPolicySet": lambda p: f"{p.get('fund_id')} policy: loans up to {p.get('maximum_loan_multiple')}x savings",
    "FundExpense": lambda p: f"{p.get('fund_id')} spent {money(p.get('amount'))}: {p.get('purpose')}",
    "SavingsAccountOpened": lambda p: f"{p.get('holder_id')} opened a {p.get('kind')} account at {p.get('fund_id')}",
    "SavingsDeposited": lambda p: f"{money(p.get('amount'))} saved into {p.get('account_id')}",
    "SavingsWithdrawn": lambda p: f"{money(p.get('amount'))} withdrawn from {p.get('account_id')}",
    "PointsGifted": lambda p: f"{p.get('from_member_id')} gave {p.get('points')} points to {p.get('to_member_id')}",
    "LoanGranted": lambda p: f"{p.get('holder_id')} lent {money(p.get('principal'))} over {p.get('months')} months",
    "ShareDepositBought": lambda p: f"share deposit of {money(p.get('amount'))} bought",
    "LoanDisbursed": lambda p: f"{money(p.get('amount'))} paid out on loan {p.get('loan_id')}",
    "FeeCharged": lambda p: f"{p.get('kind')} fee of {money(p.get('amount'))}",
    "InstalmentReceived": lambda p: f"instalment: {money(p.get('repayment'))} repaid, "
                                    f"{money(p.get('after_saving'))} saved",
    "AfterSavingsReleased": lambda p: f"{money(p.get('amount'))} of after-savings released",
    "ShareDepositReleased": lambda p: f"share deposit of {money(p.get('amount'))} released",
    "LoanWrittenOff": lambda p: f"{money(p.get('amount'))} written off: {p.get('reason')}",
}


def _fields(p: P) -> str:
    """A type without words of its own: its fields, in the payload's order."""
    return ", ".join(f"{k}={v}" for k, v in p.items() if v is not None and not isinstance(v, (dict, list)))


def summary(event: StoredEvent) -> str:
    """The event in its own words, on one line."""
    try:
        payload = current_payload(event)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        payload = event.payload
    words = WORDS.get(event.type, _fields)
    try:
        said = words(payload)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        said = _fields(payload)
    return one_line(said)


# -- a member's log ----------------------------------------------------------------------------------------------


def held_streams(events: Iterable[StoredEvent], member_id: str) -> set[str]:
    """The streams a member holds: their own, and the savings accounts and loans opened in their name."""
    held = {f"member-{member_id}"}
    for e in events:
        if e.type in HELD and e.payload.get("holder_id") == member_id:
            held.add(e.stream)
    return held


def names_member(event: StoredEvent, member_id: str, held: set[str]) -> bool:
    if event.stream in held:
        return True
    p = event.payload
    return any(p.get(name) == member_id for name in MEMBER_FIELDS)


# -- choosing events (`mutual log` and the web's /log) ---------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a log query keeps: one stream, one type, a member's log, an effective-date range, as known at a time."""

    stream: str | None = None
    type: str | None = None
    member: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    as_known_at: datetime | None = None


def matching(store: EventStore, filters: Filters, after: int = 0) -> Iterator[StoredEvent]:
    """The events the filters keep, in position order, from after position `after`. A member not in the books is
    NotFound (rather than an empty log that looks like a member with no history)."""
    f = filters
    read = functools.partial(store.read, after=after, stream=f.stream, type=f.type, date_from=f.date_from,
                             date_to=f.date_to, recorded_to=f.as_known_at)
    if f.member is None:
        yield from read()
        return
    from ledger.errors import NotFound

    member = f.member
    held = held_streams(store.read(type="SavingsAccountOpened", recorded_to=f.as_known_at), member) | \
        held_streams(store.read(type="LoanGranted", recorded_to=f.as_known_at), member)
    found = False
    for e in read():
        if names_member(e, member, held):
            found = True
            yield e
    if not found and not any(True for _ in store.read(stream=f"member-{member}", recorded_to=f.as_known_at)):
        raise NotFound(f"member: {member} is not a member in the books (no member-{member} stream)")


def chosen(store: EventStore, filters: Filters, tail: int | None = None, reverse: bool = False,
           limit: int | None = None) -> list[StoredEvent]:
    """`mutual log`'s selection: the events filtered, then the last `tail` of them, then newest first if asked,
    then the first `limit`."""
    if filters.member is None and tail is None and not reverse and limit is not None:
        return list(itertools.islice(matching(store, filters), limit))  # (reads no more than it shows)
    events = list(matching(store, filters))
    if tail is not None:
        events = events[-tail:]
    if reverse:
        events.reverse()
    return events[:limit] if limit is not None else events


@dataclass(frozen=True)
class Page:
    """One page of the log by position: its events, and where the pages before and after it start."""

    events: list[StoredEvent]
    previous_before: int | None  # ask for `before=` this for the page before (None: this is the first)
    next_after: int | None  # ask for `after=` this for the page after (None: this is the last)


def page(store: EventStore, filters: Filters, *, after: int = 0, before: int | None = None,
         size: int = 50) -> Page:
    """`size` events after position `after`, or the `size` just before position `before` when given."""
    if before is not None:
        kept: collections.deque[StoredEvent] = collections.deque(maxlen=size + 1)
        for e in matching(store, filters):
            if e.position >= before:
                break
            kept.append(e)
        events = list(kept)
        earlier = len(events) > size
        events = events[1:] if earlier else events
        return Page(events, events[0].position if earlier and events else None,
                    events[-1].position if events else None)
    events = list(itertools.islice(matching(store, filters, after), size + 1))
    later = len(events) > size
    events = events[:size]
    return Page(events, events[0].position if after > 0 and events else None,
                events[-1].position if later else None)


def corrections(store: EventStore, as_known_at: datetime | None = None) -> list[dict[str, Any]]:
    """The books' corrections, newest first: every reversal, and every event recorded as a prior-period
    adjustment (docs/audit.md), each as position, dates, type, stream, what it did and why."""
    from ledger.periods import PRIOR_PERIOD

    rows = []
    for e in store.read(recorded_to=as_known_at, corrections=True):  # from their own index, not the whole log
        adjustment = e.metadata.get("adjustment") == PRIOR_PERIOD
        if e.type != "EventReversed" and not adjustment:
            continue
        rows.append({"position": e.position, "effective_date": e.effective_date, "recorded_at": e.recorded_at,
                     "type": e.type, "stream": e.stream, "actor": e.metadata.get("actor"),
                     "reason": one_line(str(e.payload.get("reason") or e.metadata.get("reason") or "")),
                     "reversed_position": e.payload.get("position") if e.type == "EventReversed" else None,
                     "replacement_type": e.payload.get("replacement_type") if e.type == "EventReversed" else None,
                     "prior_period": adjustment, "summary": summary(e)})
    rows.reverse()
    return rows


# -- 80 columns --------------------------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Printable text on one line: new lines, tabs and every other control or format character become spaces."""
    out = []
    for ch in text:
        out.append(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") else ch)
    return " ".join("".join(out).split())


def columns(text: str) -> int:
    """How many terminal columns a text takes (wide East Asian characters two, combining marks none)."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def fit(text: str, width: int) -> str:
    """A text cut to `width` columns (an ellipsis saying so), padded to it."""
    text = one_line(text)
    if columns(text) > width:
        kept, used = [], 0
        for ch in text:
            w = columns(ch)
            if used + w > width - 1:
                break
            kept.append(ch)
            used += w
        text = "".join(kept) + "…"
    return text + " " * (width - columns(text))


def lines(events: list[StoredEvent], width: int = WIDTH) -> list[str]:
    """A header and one line per event: position, effective date, type, stream, summary, in `width` columns."""
    if not events:
        return []
    pos = max(3, max(len(str(e.position)) for e in events))
    type_w = min(20, max(4, max(len(e.type) for e in events)))
    stream_w = min(16, max(6, max(len(one_line(e.stream)) for e in events)))
    rest = width - (pos + 1 + 10 + 1 + type_w + 1 + stream_w + 1)
    out = [(f"{'pos':>{pos}} {'effective':<10} {fit('type', type_w)} {fit('stream', stream_w)} "
            f"{fit('summary', rest)}").rstrip()]
    for e in events:
        out.append(f"{e.position:>{pos}} {e.effective_date.isoformat()} {fit(e.type, type_w)} "
                   f"{fit(e.stream, stream_w)} {fit(summary(e), rest)}".rstrip())
    return out
