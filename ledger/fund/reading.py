"""The folds over what a reader hands them: a holder, a loan, a fund's policies, read through an EventSource."""

from __future__ import annotations

from datetime import date
from typing import Any, Optional, Protocol

from ledger.errors import NotFound
from ledger.fund.account import Release
from ledger.fund.common import Event
from ledger.fund.holder import HolderState, holder_state
from ledger.fund.loan import LoanState, loan_state
from ledger.fund.policy import Policy, policies
from ledger.fund.releases import holder_releases

#
# A reader is anything with `facts(stream) -> list[Event]` and `facts_of_type(type) -> list[Event]`
# (an EventSource of ledger/source.py: a StoreSource for queries and commands, a ReplaySource for the audit).
# These functions only ask the reader for streams; the figures come from the pure folds above.


class Reader(Protocol):
    as_known_at: Any

    def facts(self, stream: str) -> list[Event]: ...

    def facts_of_type(self, type_: str) -> list[Event]: ...


def known(reader: Reader) -> str:
    at = getattr(reader, "as_known_at", None)
    return f" as known at {at.isoformat()}" if at else ""


class FundIndex:
    """Who holds which account and loan, and which belong to which fund (one scan of each type)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.accounts: dict[str, dict] = {}
        self.loans: dict[str, dict] = {}
        for f in reader.facts_of_type("SavingsAccountOpened"):
            self.accounts.setdefault(f.payload["account_id"], f.payload)
        for f in reader.facts_of_type("LoanGranted"):
            self.loans.setdefault(f.payload["loan_id"], f.payload)
        self._gifts: Optional[list[Event]] = None

    def gifts(self) -> list[Event]:
        if self._gifts is None:
            self._gifts = list(self.reader.facts_of_type("PointsGifted"))
        return self._gifts

    def holder_accounts(self, holder: str) -> list[str]:
        return sorted(a for a, p in self.accounts.items() if p["holder_id"] == holder)

    def holder_loans(self, holder: str) -> list[str]:
        return sorted(x for x, p in self.loans.items() if p["holder_id"] == holder)

    def fund_accounts(self, fund: str) -> list[str]:
        return sorted(a for a, p in self.accounts.items() if p["fund_id"] == fund)

    def fund_loans(self, fund: str) -> list[str]:
        return sorted(x for x, p in self.loans.items() if p["fund_id"] == fund)

    def holders(self, fund: Optional[str] = None) -> list[str]:
        found = {p["holder_id"] for p in self.accounts.values() if fund is None or p["fund_id"] == fund}
        found |= {p["holder_id"] for p in self.loans.values() if fund is None or p["fund_id"] == fund}
        return sorted(found)

    def holder_kind(self, holder: str) -> Optional[str]:
        kinds = {p["holder_kind"] for p in self.accounts.values() if p["holder_id"] == holder}
        return "coop" if "coop" in kinds else ("member" if kinds else None)


def read_holder(reader: Reader, holder_id: str, as_of: date, index: Optional[FundIndex] = None) -> HolderState:
    """A holder's balances, locked after-savings, loans and points on `as_of`."""
    index = index or FundIndex(reader)
    accounts, loans = index.holder_accounts(holder_id), index.holder_loans(holder_id)
    gifts = [g for g in index.gifts() if holder_id in (g.payload["from_member_id"], g.payload["to_member_id"])]
    if not accounts and not loans and not gifts:
        raise NotFound(f"holder {holder_id}: no savings account, loan or points gift in the books{known(reader)}")
    return holder_state(holder_id, as_of, *_holder_streams(reader, holder_id, index))


def _holder_streams(reader: Reader, holder_id: str, index: FundIndex) -> tuple:
    """(account streams, loan streams, gifts, society streams of their funds): everything a holder's figures fold."""
    accounts, loans = index.holder_accounts(holder_id), index.holder_loans(holder_id)
    gifts = [g for g in index.gifts() if holder_id in (g.payload["from_member_id"], g.payload["to_member_id"])]
    account_streams = {a: reader.facts(f"account-{a}") for a in accounts}
    loan_streams = {x: reader.facts(f"loan-{x}") for x in loans}
    funds = {index.accounts[a]["fund_id"] for a in accounts} | {index.loans[x]["fund_id"] for x in loans}
    policy_facts = {fund: reader.facts(f"society-{fund}") for fund in sorted(funds)}
    return account_streams, loan_streams, gifts, policy_facts


def read_releases(reader: Reader, holder_id: str, through: date, index: Optional[FundIndex] = None,
                  accounts: Optional[dict[str, list[Event]]] = None) -> tuple[Release, ...]:
    """A holder's releases on or before `through` (holder_releases over their streams; `accounts` replaces
    some of their account streams, to ask what a command would change)."""
    index = index or FundIndex(reader)
    account_streams, loan_streams, gifts, policy_facts = _holder_streams(reader, holder_id, index)
    if accounts:
        account_streams = {**account_streams, **accounts}
    return holder_releases(holder_id, through, account_streams, loan_streams, gifts, policy_facts)


def read_loan(reader: Reader, loan_id: str, as_of: date) -> LoanState:
    loan_facts = reader.facts(f"loan-{loan_id}")
    granted = next((f for f in loan_facts if f.type == "LoanGranted"), None)
    if granted is None:
        raise NotFound(f"loan {loan_id}: no such loan in the books{known(reader)}")
    return loan_state(loan_facts, as_of, read_releases(reader, granted.payload["holder_id"], as_of))


def read_policies(reader: Reader, fund: str) -> tuple[Policy, ...]:
    return policies(reader.facts(f"society-{fund}"))
