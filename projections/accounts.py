"""The general ledger as a projection: every event's postings (ledger/accounts/postings.py) and the postings the
folds derive (ledger/accounts/derived.py), read through an `EventSource`, added up into a trial balance, a
balance sheet and an income statement; and the chain head the books were drawn from (docs/accounts.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Optional, cast

from ledger import streams
from ledger.accounts import derived
from ledger.accounts.carried import MEMBER_STREAM, carried, sums_of_json, sums_to_json
from ledger.accounts.chart import Account, Chart, chart_settings
from ledger.accounts.journal import Balances, Entry, entry, entry_order, society_of, statement_rows, trial_balance_rows
from ledger.accounts.postings import MONEY_TYPES, RULES, Legs
from ledger.coop.member import admission_of
from ledger.errors import NotFound
from ledger.events.accounts import ChartOfAccountsSet
from ledger.events.coop import MemberAdmitted
from ledger.fund.books import FundBooks
from ledger.money import ZERO, round_money
from ledger.periods import STREAM_OWNERS
from ledger.source import EventSource, StoreSource, current
from ledger.store import EventStore
from ledger.store.balances import latest_balances, record_balances
from ledger.store.mapper import consistent
from projections.books import societies
from projections.head import ChainHead, head_known_at


def chain_head(store: EventStore, as_known_at: datetime | None) -> ChainHead:
    """The head of the log as known at `as_known_at` (the last event recorded by then; now when None)."""
    return head_known_at(store, as_known_at)


def owners(view: EventSource) -> dict[str, str]:
    """Each owned stream's society, from the event that says so (ledger.periods.STREAM_OWNERS)."""
    found: dict[str, str] = {}
    for type_, field in STREAM_OWNERS.values():
        for e in view.of_type(type_):
            found.setdefault(e.stream, e.payload[field])
    return found


Raw = tuple[date, str, Optional[int], str, str, Legs]  # (on, society, position, type, narration, legs)


def _raw(view: EventSource, end: date, society: str | None) -> Iterator[Raw]:
    """Every event's postings effective on or before `end`, then the folds' (unordered)."""
    owned = owners(view)
    rules = RULES
    for e in view.of_type(*MONEY_TYPES):
        on = e.effective_date
        if on > end:
            continue
        legs = rules[e.type].legs(e.payload, e.stream)
        if not legs:
            continue
        sid = society_of(e.stream, e.type, e.payload, owned) or "unowned"
        if society is not None and sid != society:
            continue
        yield on, sid, e.position, e.type, e.stream, legs
    for d in derived_postings(view, end, society):
        yield d.on, d.society, None, "derived", d.what, d.legs


def chart_on(view: EventSource, end: date) -> Chart:
    """The chart of accounts in force on `end` (the default, as the societies' `ChartOfAccountsSet` change it)."""
    return Chart(chart_settings(view.of_type(ChartOfAccountsSet.event_type), end))


def general_ledger(view: EventSource, end: date, society: str | None = None) -> list[Entry]:
    """Every entry effective on or before `end` (of one society, or all), in effective order."""
    chart = chart_on(view, end)
    out = [entry(chart, on, sid, position, type_, f"{type_} {what}" if position is not None else what, legs)
           for on, sid, position, type_, what, legs in _raw(view, end, society)]
    out.sort(key=entry_order)
    return out


Key = tuple[str, str, Optional[str]]  # (society, role, party): what a posting adds to, before the chart names it
Sums = dict[Key, Decimal]


def _add(sums: Sums, society: str, legs: Legs) -> None:
    get = sums.get
    for leg in legs:
        key = (society, leg.role, leg.party)
        sums[key] = get(key, ZERO) + leg.amount


def posting_sums(view: EventSource, end: date, society: str | None = None, start: date | None = None) -> Sums:
    """Every posting effective on or before `end` (from `start`), added up by society, role and party."""
    sums: Sums = {}
    for on, sid, _, _, _, legs in _raw(view, end, society):
        if start is not None and on < start:
            continue
        _add(sums, sid, legs)
    return sums


def named_balances(chart: Chart, sums: Sums) -> Balances:
    """The sums under the accounts the chart names them by."""
    accounts: dict[str, Account] = {}
    balance: dict[str, Decimal] = {}
    for (sid, role, party), amount in sums.items():
        a = chart.account(sid, role, party)
        accounts[a.name] = a
        balance[a.name] = balance.get(a.name, ZERO) + amount
    return Balances(accounts, balance)


def balances(view: EventSource | Books, end: date, society: str | None = None, start: date | None = None) -> Balances:
    """The accounts' balances on `end` (movements from `start`), added up straight from the postings: what the
    trial balance and the statements read (the same postings as `general_ledger`, without building entries).
    `Books` answer a balance on a date from a balance checkpoint when one holds (docs/accounts.md)."""
    if isinstance(view, Books):
        if start is None:
            return named_balances(view.chart(end), view.sums(end, society))
        view = view.view
    return named_balances(chart_on(view, end), posting_sums(view, end, society, start))


def whole_log(store: EventStore, as_known_at: datetime | None, head: ChainHead) -> EventSource:
    """The log up to `head`, as known at `as_known_at`, read in one pass into memory (the audit replay's reader,
    projections/replay.py): faster than reading type by type when every society's books are wanted."""
    from ledger.source import ReplaySource
    from ledger.store import StoredEvent
    from projections.replay import Bounds, folded_events

    events = cast(Iterator[StoredEvent], folded_events(store, Bounds(head.position, as_known_at)))
    return ReplaySource(events, as_known_at)


def derived_postings(view: EventSource, end: date, society: str | None = None) -> list[derived.Derived]:
    """The folds' postings by `end`: closed member-years (the same `member_position` `coop show` adds up) and
    releases of after-savings (the same `FundBooks.releases` `fund show` reads)."""
    found: list[derived.Derived] = []
    for _, postings in member_postings(view, end, society):
        found += postings
    return found + fund_postings(view, end, society)


def member_postings(view: EventSource, end: date, society: str | None = None,
                    admissions: Iterable[Any] | None = None) -> Iterator[tuple[str, list[derived.Derived]]]:
    """Each admitted member's closed years' postings by `end` (of `admissions`, default every MemberAdmitted)."""
    from projections.coop import member_position

    for e in view.of_type(MemberAdmitted.event_type) if admissions is None else admissions:
        adm = admission_of([e])
        if adm is None or adm.admitted_on > end or (society is not None and adm.coop_id != society):
            continue
        years = member_position(view, adm.member_id, end).ledger.years
        yield adm.member_id, derived.member_years(adm.coop_id, adm.member_id, years)


def fund_postings(view: EventSource, end: date, society: str | None = None) -> list[derived.Derived]:
    """Each fund's releases of after-savings by `end`."""
    found: list[derived.Derived] = []
    for fund in societies(view)["fund"]:
        if society is not None and fund != society:
            continue
        try:
            books = FundBooks(view, fund)
        except NotFound:
            continue
        if books.loans:
            found += derived.releases(fund, books.releases(end))
    return found


@dataclass(frozen=True)
class Period:
    """What a query asks for: balances on `end`, movements from `start` (None: since the books began)."""

    start: date | None
    end: date

    @classmethod
    def of(cls, as_of: date | None, start: date | None, end: date | None, today: date) -> Period:
        if as_of is not None and (start is not None or end is not None):
            raise ValueError("give --as-of, or --from and --to, not both")
        if as_of is not None:
            return cls(None, as_of)
        end = end or today
        if start is not None and start > end:
            raise ValueError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
        return cls(start, end)

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end}


def _header(kind: str, period: Period, society: str | None, head: ChainHead,
            as_known_at: datetime | None) -> dict[str, Any]:
    return {"report": kind, "from": period.start, "to": period.end, "society": society, "as_known_at": as_known_at,
            "chain_head": head.named()}


def journal(view: EventSource, period: Period, society: str | None, head: ChainHead,
            as_known_at: datetime | None) -> dict[str, Any]:
    entries = [e for e in general_ledger(view, period.end, society) if period.start is None or e.on >= period.start]
    return {**_header("journal", period, society, head, as_known_at), "entries": [e.to_json() for e in entries]}


def trial_balance(view: EventSource | Books, period: Period, society: str | None, head: ChainHead,
                  as_known_at: datetime | None) -> dict[str, Any]:
    """Balances on the period's end (and, with --from, the balances the day before it and the period's movements).
    The debits equal the credits: `balanced` says so, `difference` would say by how much."""
    closing = balances(view, period.end, society)
    rows = trial_balance_rows(closing)
    if period.start is not None:
        opening = balances(view, period.start - timedelta(days=1), society)
        for row in rows:
            before = opening.balance.get(row["account"], ZERO)
            row["opening"] = round_money(before)
            row["movement"] = round_money(closing.balance[row["account"]] - before)
    debit = sum((r["debit"] for r in rows), ZERO)
    credit = sum((r["credit"] for r in rows), ZERO)
    total = closing.total()
    return {**_header("trial-balance", period, society, head, as_known_at), "accounts": rows,
            "total_debit": debit, "total_credit": credit, "difference": round_money(total), "balanced": total == 0}


def balance_sheet(view: EventSource | Books, period: Period, society: str | None, head: ChainHead,
                  as_known_at: datetime | None) -> dict[str, Any]:
    """Assets = liabilities + equity + the surplus of income over expenses not yet closed to equity."""
    b = balances(view, period.end, society)
    parts = statement_rows(b, ("Assets", "Liabilities", "Equity"))
    surplus = round_money(-(b.of_type("Income") + b.of_type("Expenses"))) + 0
    return {**_header("balance-sheet", Period(None, period.end), society, head, as_known_at), **parts,
            "surplus": surplus,
            "balanced": parts["Assets"]["total"] == parts["Liabilities"]["total"] + parts["Equity"]["total"] + surplus}


def income(view: EventSource | Books, period: Period, society: str | None, head: ChainHead,
           as_known_at: datetime | None) -> dict[str, Any]:
    """Income and expenses over the period (since the books began when it has no start)."""
    b = balances(view, period.end, society, start=period.start)
    parts = statement_rows(b, ("Income", "Expenses"))
    return {**_header("income", period, society, head, as_known_at), **parts,
            "surplus": parts["Income"]["total"] - parts["Expenses"]["total"]}


@dataclass(frozen=True)
class Figures:
    """What the general ledger says of the figures the projections show (debit +; shown positive here)."""

    reserve: Decimal
    mortgage_debt: Decimal
    top_up_loans: Decimal
    debtors: dict[str, Decimal]  # member -> dues not paid less paid ahead
    savings: Decimal
    locked_after_savings: Decimal
    loans_outstanding: Decimal
    fees: Decimal
    share_deposits: Decimal


def figures(entries: Iterable[Entry], society: str, on: date) -> Figures:
    b = Balances.of(entries, end=on)
    debtors: dict[str, Decimal] = {}
    for name, amount in b.balance.items():
        a = b.accounts[name]
        if a.role == "members_debtors" and a.society == society and a.party is not None:
            debtors[a.party] = debtors.get(a.party, ZERO) + amount
    return Figures(
        reserve=-b.of_role("reserve", society),
        mortgage_debt=-(b.of_role("mortgage", society) + b.of_role("top_up_loans", society)),
        top_up_loans=-b.of_role("top_up_loans", society),
        debtors=debtors,
        savings=-(b.of_role("savers_deposits", society) + b.of_role("locked_after_savings", society)),
        locked_after_savings=-b.of_role("locked_after_savings", society),
        loans_outstanding=b.of_role("loans_receivable", society),
        fees=-b.of_role("fee_income", society),
        share_deposits=-b.of_role("share_deposits", society),
    )


# -- balance checkpoints (docs/accounts.md): the fold's sums kept on a date, carried forward over member events ---

def checkpoint_sums(view: EventSource, end: date) -> dict[str, Any]:
    """What a balance checkpoint on `end` keeps: the events' postings, each member's derived postings (so one
    member's can be folded again alone), the funds' releases, and the society of each member's stream."""
    owned = owners(view)
    events: Sums = {}
    for e in view.of_type(*MONEY_TYPES):
        if e.effective_date > end:
            continue
        legs = RULES[e.type].legs(e.payload, e.stream)
        if legs:
            _add(events, society_of(e.stream, e.type, e.payload, owned) or "unowned", legs)
    members: dict[str, list[list[Any]]] = {}
    for member_id, postings in member_postings(view, end):
        sums: Sums = {}
        for d in postings:
            _add(sums, d.society, d.legs)
        members[member_id] = sums_to_json(sums)
    funds: Sums = {}
    for d in fund_postings(view, end):
        _add(funds, d.society, d.legs)
    return {"as_of": end.isoformat(), "events": sums_to_json(events), "members": members,
            "funds": sums_to_json(funds),
            "owners": {s: o for s, o in sorted(owned.items()) if s.startswith(MEMBER_STREAM)}}


def take_balance_checkpoint(store: EventStore, end: date, actor: str) -> dict[str, Any]:
    """Fold the whole log at its head and keep its sums on `end`; what was kept (position, hash, accounts)."""
    head = chain_head(store, None)
    view = whole_log(store, None, head)
    kept = checkpoint_sums(view, end)
    checkpoint_id = record_balances(store, position=head.position, head_hash=head.hash, as_of=end, sums=kept,
                                    actor=actor)
    return {"checkpoint": checkpoint_id, "as_of": end, "chain_head": head.named(),
            "members": len(kept["members"]), "sums": len(kept["events"])}


# Members a checkpoint is carried forward over, at least, before the whole log is folded instead: each is folded
# again from its own stream (measured at 1M events on SQLite: about 8 ms of CPU a member, against about 10 s for the
# whole log's one pass; a quarter of the checkpoint's members is the rule beyond this floor).
CARRIED_MEMBERS = 50


class Books:
    """The log up to `head`, as known at `as_known_at`, for the general ledger's balances: a balance on a date comes
    from a balance checkpoint on that date carried forward over the events after it when it can be
    (ledger/accounts/carried.py), else from the whole log, read in one pass the first time it is needed (`view`)."""

    def __init__(self, store: EventStore, as_known_at: datetime | None, head: ChainHead) -> None:
        self.store, self.as_known_at, self.head = store, as_known_at, head
        self._sums: dict[date, Sums] = {}
        self.checkpoint_used: int | None = None  # the id of the checkpoint the last balance came from

    @cached_property
    def view(self) -> EventSource:
        return whole_log(self.store, self.as_known_at, self.head)

    @cached_property
    def source(self) -> StoreSource:
        """Stream by stream, as known at the same time: what a checkpoint is carried forward with."""
        return StoreSource(self.store, as_known_at=self.as_known_at)

    def chart(self, end: date) -> Chart:
        return chart_on(self.view if "view" in self.__dict__ else self.source, end)

    def sums(self, end: date, society: str | None = None) -> Sums:
        found = self._sums.get(end)
        if found is None:
            found = self._carried(end)
            if found is None:
                found = posting_sums(self.view, end)
            self._sums[end] = found
        return found if society is None else {k: v for k, v in found.items() if k[0] == society}

    def _carried(self, end: date) -> Sums | None:
        """The latest checkpoint on `end` within the head, plus what was appended after it; None when there is none
        or an event after it is not one a checkpoint can be carried over (then the whole log is folded)."""
        if self.head.position == 0:
            return None
        kept = latest_balances(self.store, end, self.head.position)
        if kept is None:
            return None
        after = list(current(consistent(self.store.read(after=kept.position, to_position=self.head.position,
                                                        recorded_to=self.as_known_at))))
        if any(not carried(e.stream, e.type) for e in after):
            return None
        touched = {e.stream[len(MEMBER_STREAM):] for e in after}
        if len(touched) > max(CARRIED_MEMBERS, len(kept.sums["members"]) // 4):
            return None  # folding so many members again one by one costs more than one pass over the whole log
        sums = sums_of_json(kept.sums["events"])
        owned: dict[str, str] = kept.sums["owners"]
        for e in after:
            if e.effective_date > end:
                continue
            legs = RULES[e.type].legs(e.payload, e.stream)
            if legs:
                _add(sums, society_of(e.stream, e.type, e.payload, owned) or "unowned", legs)
        for member_id, rows in kept.sums["members"].items():
            if member_id not in touched:
                for key, amount in sums_of_json(rows).items():
                    sums[key] = sums.get(key, ZERO) + amount
        for member_id in sorted(touched):  # folded again from the member's own stream, as known at the same time
            admissions = self.source.stream(streams.member(member_id))
            for _, postings in member_postings(self.source, end, None,
                                               [e for e in admissions if e.type == MemberAdmitted.event_type]):
                for d in postings:
                    _add(sums, d.society, d.legs)
        for key, amount in sums_of_json(kept.sums["funds"]).items():
            sums[key] = sums.get(key, ZERO) + amount
        self.checkpoint_used = kept.checkpoint_id
        return sums
