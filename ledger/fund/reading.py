"""The folds over what a reader hands them: a holder, a loan, a fund's policies, read through an EventSource."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from ledger import streams
from ledger.errors import NotFound
from ledger.folded import Event
from ledger.fund.account import Release
from ledger.fund.common import Streams
from ledger.fund.holder import HolderState, holder_state
from ledger.fund.loan import LoanState, grant_of, loan_state
from ledger.fund.policy import Policy, policies
from ledger.fund.releases import holder_releases
from ledger.fund.typed import (
    GIFTED,
    GRANTED,
    OPENED,
    Granted,
    Opened,
    account_opened,
    loan_granted,
    points_gifted,
)

# A reader is an EventSource (ledger/source.py): a StoreSource for queries and commands, a ReplaySource for the
# audit. These functions only ask it for streams and types; the figures come from the pure folds.
if TYPE_CHECKING:  # the type only: the domain imports no store (tests/unit/test_layers.py)
    from ledger.source import EventSource as Reader


def known(reader: Reader) -> str:
    at = reader.as_known_at
    return f" as known at {at.isoformat()}" if at else ""


class FundIndex:
    """Who holds which account and loan, and which belong to which fund (one scan of each type)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.opened: dict[str, Opened] = {}  # account -> its (first) opening
        self.granted: dict[str, Granted] = {}  # loan -> its grant
        self.accounts: dict[str, dict[str, Any]] = {}  # the same, as the payloads (for readers of the raw fields)
        self.loans: dict[str, dict[str, Any]] = {}
        for f in reader.of_type(OPENED):
            opened = account_opened(f)
            if opened.account_id not in self.opened:
                self.opened[opened.account_id], self.accounts[opened.account_id] = opened, f.payload
        for f in reader.of_type(GRANTED):
            granted = loan_granted(f)
            if granted.loan_id not in self.granted:
                self.granted[granted.loan_id], self.loans[granted.loan_id] = granted, f.payload
        self._gifts: list[Event] | None = None
        self._gifts_by_holder: dict[str, list[Event]] | None = None

    def gifts(self) -> list[Event]:
        if self._gifts is None:
            self._gifts = list(self.reader.of_type(GIFTED))
        return self._gifts

    def holder_gifts(self, holder: str) -> list[Event]:
        """The gifts a holder gave or received, in the log's order (each gift read once, for every holder)."""
        if self._gifts_by_holder is None:
            by_holder: dict[str, list[Event]] = {}
            for g in self.gifts():
                gift = points_gifted(g)
                for who in {gift.giver, gift.receiver}:
                    by_holder.setdefault(who, []).append(g)
            self._gifts_by_holder = by_holder
        return self._gifts_by_holder.get(holder, [])

    def holder_accounts(self, holder: str) -> list[str]:
        return sorted(a for a, o in self.opened.items() if o.holder_id == holder)

    def holder_loans(self, holder: str) -> list[str]:
        return sorted(x for x, g in self.granted.items() if g.holder_id == holder)

    def fund_accounts(self, fund: str) -> list[str]:
        return sorted(a for a, o in self.opened.items() if o.fund_id == fund)

    def fund_loans(self, fund: str) -> list[str]:
        return sorted(x for x, g in self.granted.items() if g.fund_id == fund)

    def holder_funds(self, holder: str) -> list[str]:
        """The funds a holder saves in."""
        return sorted({self.opened[a].fund_id for a in self.holder_accounts(holder)})

    def holders(self, fund: str | None = None) -> list[str]:
        found = {o.holder_id for o in self.opened.values() if fund is None or o.fund_id == fund}
        found |= {g.holder_id for g in self.granted.values() if fund is None or g.fund_id == fund}
        return sorted(found)

    def holder_kind(self, holder: str) -> str | None:
        kinds = {o.holder_kind for o in self.opened.values() if o.holder_id == holder}
        return "coop" if "coop" in kinds else ("member" if kinds else None)


def read_holder(reader: Reader, holder_id: str, as_of: date, index: FundIndex | None = None) -> HolderState:
    """A holder's balances, locked after-savings, loans and points on `as_of`."""
    index = index or FundIndex(reader)
    accounts, loans = index.holder_accounts(holder_id), index.holder_loans(holder_id)
    gifts = index.holder_gifts(holder_id)
    if not accounts and not loans and not gifts:
        raise NotFound(f"holder {holder_id}: no savings account, loan or points gift in the books{known(reader)}")
    return holder_state(holder_id, as_of, *_holder_streams(reader, holder_id, index))


def _holder_streams(reader: Reader, holder_id: str, index: FundIndex) -> tuple[Streams, Streams, list[Event], Streams]:
    """(account streams, loan streams, gifts, society streams of their funds): everything a holder's figures fold."""
    accounts, loans = index.holder_accounts(holder_id), index.holder_loans(holder_id)
    gifts = index.holder_gifts(holder_id)
    account_streams = {a: reader.stream(streams.account(a)) for a in accounts}
    loan_streams = {x: reader.stream(streams.loan(x)) for x in loans}
    funds = {index.opened[a].fund_id for a in accounts} | {index.granted[x].fund_id for x in loans}
    policy_facts = {fund: reader.stream(streams.society(fund)) for fund in sorted(funds)}
    return account_streams, loan_streams, gifts, policy_facts


def read_releases(reader: Reader, holder_id: str, through: date, index: FundIndex | None = None,
                  accounts: Streams | None = None) -> tuple[Release, ...]:
    """A holder's releases on or before `through` (holder_releases over their streams; `accounts` replaces
    some of their account streams, to ask what a command would change)."""
    index = index or FundIndex(reader)
    account_streams, loan_streams, gifts, policy_facts = _holder_streams(reader, holder_id, index)
    if accounts:
        account_streams = {**account_streams, **accounts}
    return holder_releases(holder_id, through, account_streams, loan_streams, gifts, policy_facts)


def read_loan(reader: Reader, loan_id: str, as_of: date) -> LoanState:
    loan_facts = reader.stream(streams.loan(loan_id))
    granted = grant_of(loan_facts)
    if granted is None:
        raise NotFound(f"loan {loan_id}: no such loan in the books{known(reader)}")
    return loan_state(loan_facts, as_of, read_releases(reader, loan_granted(granted).holder_id, as_of))


def read_policies(reader: Reader, fund: str) -> tuple[Policy, ...]:
    return policies(reader.stream(streams.society(fund)))
