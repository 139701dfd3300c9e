"""The JAK fund's read side: a LedgerView (as_known_at, per-stream cache) + the folds of ledger/jak_state.py."""

from __future__ import annotations

from datetime import date
from typing import Optional

from ledger.jak_state import Fact, FundBooks, HolderState, JakIndex, LoanState, read_holder, read_loan, read_policies
from ledger.store import StoredEvent
from projections.view import LedgerView, payload


def fact(event: StoredEvent) -> Fact:
    return Fact(event.position, event.stream, event.type, event.effective_date, payload(event))


class ViewReader:
    """The folds' reader over a LedgerView: streams cached, type scans cached, as known at its time."""

    def __init__(self, view: LedgerView) -> None:
        self.view = view
        self.as_known_at = view.as_known_at
        self._facts: dict[str, list[Fact]] = {}
        self._types: dict[str, list[Fact]] = {}

    def facts(self, stream: str) -> list[Fact]:
        found = self._facts.get(stream)
        if found is None:
            found = self._facts[stream] = [fact(e) for e in self.view.stream(stream)]
        return found

    def facts_of_type(self, type_: str) -> list[Fact]:
        found = self._types.get(type_)
        if found is None:
            found = self._types[type_] = [fact(e) for e in self.view.of_type(type_)]
        return found


def reader(view: LedgerView | ViewReader) -> ViewReader:
    return view if isinstance(view, ViewReader) else ViewReader(view)


def holder(view: LedgerView, holder_id: str, as_of: date) -> HolderState:
    return read_holder(reader(view), holder_id, as_of)


def loan(view: LedgerView, loan_id: str, as_of: date) -> LoanState:
    return read_loan(reader(view), loan_id, as_of)


def loan_corrections(view: LedgerView, loan_id: str) -> list[dict]:
    """The corrections of a loan's history (docs/audit.md), as known to the view."""
    return view.corrections(f"loan-{loan_id}")


def fund(view: LedgerView, fund_id: str, as_of: date) -> dict:
    return FundBooks(reader(view), fund_id).report(as_of)


def forecast(view: LedgerView, fund_id: str, years: int, start: Optional[date] = None,
             as_of: Optional[date] = None) -> dict:
    return FundBooks(reader(view), fund_id).forecast(years, start, as_of)


def policies(view: LedgerView, fund_id: str):
    return read_policies(reader(view), fund_id)


__all__ = ["ViewReader", "holder", "loan", "loan_corrections", "fund", "forecast", "policies", "JakIndex"]
