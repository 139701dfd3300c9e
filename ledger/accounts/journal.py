"""The journal and what adds it up: entries of balanced postings, the trial balance, the balance sheet and the
income statement. Pure: the entries come from projections/accounts.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.accounts.chart import TYPE_ORDER, Account, Chart
from ledger.accounts.postings import Legs
from ledger.money import ZERO, round_money

# kind of stream -> the payload field of the event on it that names the society it belongs to (ledger/periods.py)
SHARE_TYPES = ("ShareCapitalBought", "ShareCapitalWithdrawn", "DividendPaid")


def society_of(stream: str, event_type: str, payload: Mapping[str, Any], owners: Mapping[str, str]) -> str | None:
    """Whose books an event's postings go to: a society's own stream is its own; a member's share capital and
    dividends are the society the shares are in; any other stream belongs to the society its first event names
    (`owners`: ledger.periods.STREAM_OWNERS)."""
    if event_type in SHARE_TYPES:
        return str(payload["society_id"])
    kind, _, sid = stream.partition("-")
    if kind == "society":
        return sid
    return owners.get(stream)


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry: an event's postings (`position` its place in the log) or a fold's (`position` None)."""

    on: date
    society: str
    position: int | None
    event_type: str
    narration: str
    postings: tuple[Posting, ...]

    @property
    def derived(self) -> bool:
        return self.position is None

    def to_json(self) -> dict[str, Any]:
        return {"date": self.on, "society": self.society, "position": self.position, "event_type": self.event_type,
                "narration": self.narration, "derived": self.derived,
                "postings": [{"account": p.account.name, "code": p.account.code, "amount": p.amount}
                             for p in self.postings]}


def entry(chart: Chart, on: date, society: str, position: int | None, event_type: str, narration: str,
          legs: Legs) -> Entry:
    return Entry(on, society, position, event_type, narration,
                 tuple(Posting(chart.account(society, leg.role, leg.party), leg.amount) for leg in legs))


def entry_order(e: Entry) -> tuple[date, int, str]:
    """Effective date, then log order; a fold's entries after the day's events."""
    return (e.on, e.position if e.position is not None else 1 << 62, e.narration)


@dataclass
class Balances:
    """Account balances (debit +), added up from entries."""

    accounts: dict[str, Account]
    balance: dict[str, Decimal]

    @classmethod
    def of(cls, entries: Iterable[Entry], start: date | None = None, end: date | None = None) -> Balances:
        accounts: dict[str, Account] = {}
        balance: dict[str, Decimal] = {}
        get = balance.get
        for e in entries:
            if (start is not None and e.on < start) or (end is not None and e.on > end):
                continue
            for p in e.postings:
                name = p.account.name
                if name not in accounts:
                    accounts[name] = p.account
                balance[name] = get(name, ZERO) + p.amount
        return cls(accounts, balance)

    def names(self) -> list[str]:
        return sorted(self.accounts, key=lambda n: (TYPE_ORDER.index(self.accounts[n].type), n))

    def total(self) -> Decimal:
        return sum(self.balance.values(), ZERO)

    def of_role(self, role: str, society: str | None = None, party: str | None = None) -> Decimal:
        return sum((b for n, b in self.balance.items()
                    if self.accounts[n].role == role and (society is None or self.accounts[n].society == society)
                    and (party is None or self.accounts[n].party == party)), ZERO)

    def of_type(self, type_: str) -> Decimal:
        return sum((b for n, b in self.balance.items() if self.accounts[n].type == type_), ZERO)


def trial_balance_rows(b: Balances) -> list[dict[str, Any]]:
    """One row per account: its debit or credit balance (rounded to the penny for showing; the sums are exact)."""
    rows = []
    for name in b.names():
        amount = b.balance[name]
        a = b.accounts[name]
        rows.append({"account": name, "code": a.code, "society": a.society, "type": a.type,
                     "debit": round_money(amount) if amount > 0 else ZERO,
                     "credit": round_money(-amount) if amount < 0 else ZERO})
    return rows


def statement_rows(b: Balances, types: Iterable[str]) -> dict[str, Any]:
    """The accounts of some types with their balances shown the way a statement reads them (a credit balance
    positive on the liabilities, equity and income side), and a total per type."""
    out: dict[str, Any] = {}
    for t in types:
        sign = 1 if t in ("Assets", "Expenses") else -1
        rows = [{"account": n, "code": b.accounts[n].code, "amount": _shown(sign * b.balance[n])}
                for n in b.names() if b.accounts[n].type == t]
        out[t] = {"accounts": rows, "total": _shown(sign * b.of_type(t))}
    return out


def _shown(amount: Decimal) -> Decimal:
    """To the penny, and a zero turned round by the side it is shown on is 0.00, never -0.00."""
    return round_money(amount) + ZERO
