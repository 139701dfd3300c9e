"""The savings-and-loans fund's read side: the folds of ledger/fund/ over an EventSource (ledger/source.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger import streams
from ledger.fund.books import FundBooks
from ledger.fund.holder import HolderState
from ledger.fund.loan import LoanState
from ledger.fund.policy import Policy
from ledger.fund.reading import FundIndex, read_holder, read_loan, read_policies
from ledger.source import EventSource


def holder(view: EventSource, holder_id: str, as_of: date) -> HolderState:
    return read_holder(view, holder_id, as_of)


def loan(view: EventSource, loan_id: str, as_of: date) -> LoanState:
    return read_loan(view, loan_id, as_of)


def loan_corrections(view: EventSource, loan_id: str) -> list[dict[str, Any]]:
    """The corrections of a loan's history (docs/audit.md), as known to the view."""
    return view.corrections(streams.loan(loan_id))


def fund(view: EventSource, fund_id: str, as_of: date) -> dict[str, Any]:
    return FundBooks(view, fund_id).report(as_of)


def forecast(view: EventSource, fund_id: str, years: int, start: date | None = None,
             as_of: date | None = None) -> dict[str, Any]:
    return FundBooks(view, fund_id).forecast(years, start, as_of)


def policies(view: EventSource, fund_id: str) -> tuple[Policy, ...]:
    return read_policies(view, fund_id)


__all__ = ["FundIndex", "forecast", "fund", "holder", "loan", "loan_corrections", "policies"]
