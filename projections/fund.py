"""The JAK fund's read side: the folds of ledger/fund/ over an EventSource (ledger/source.py)."""

from __future__ import annotations

from datetime import date

from ledger.fund.books import FundBooks
from ledger.fund.holder import HolderState
from ledger.fund.loan import LoanState
from ledger.fund.reading import FundIndex, read_holder, read_loan, read_policies
from ledger.source import EventSource
from projections.view import LedgerView


def reader(view: EventSource) -> EventSource:
    """The fund's folds read through the source itself (ledger/source.py): its `facts` are its streams."""
    return view


def holder(view: LedgerView, holder_id: str, as_of: date) -> HolderState:
    return read_holder(reader(view), holder_id, as_of)


def loan(view: LedgerView, loan_id: str, as_of: date) -> LoanState:
    return read_loan(reader(view), loan_id, as_of)


def loan_corrections(view: LedgerView, loan_id: str) -> list[dict]:
    """The corrections of a loan's history (docs/audit.md), as known to the view."""
    return view.corrections(f"loan-{loan_id}")


def fund(view: LedgerView, fund_id: str, as_of: date) -> dict:
    return FundBooks(reader(view), fund_id).report(as_of)


def forecast(view: LedgerView, fund_id: str, years: int, start: date | None = None,
             as_of: date | None = None) -> dict:
    return FundBooks(reader(view), fund_id).forecast(years, start, as_of)


def policies(view: LedgerView, fund_id: str):
    return read_policies(reader(view), fund_id)


__all__ = ["FundIndex", "forecast", "fund", "holder", "loan", "loan_corrections", "policies"]
