"""What every fold reads of an event, and the one order a fold takes events in.

A fold (ledger/coop/, ledger/fund/) takes events as an EventSource hands them (ledger/source.py): a
`StoredEvent`, a replay's `FoldedEvent` (ledger/store/records.py) or a command's pending fact, its payload at
its type's current schema version. The domain names that shape here without importing the store.
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import Any, Protocol


class Event(Protocol):
    """The fields every fold reads."""

    @property
    def position(self) -> int: ...

    @property
    def stream(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def effective_date(self) -> date: ...

    @property
    def payload(self) -> dict[str, Any]: ...


# An event counts from its effective date; same-day events in log order (C-level key: folds sort every stream).
EFFECTIVE_ORDER = attrgetter("effective_date", "position")

__all__ = ["EFFECTIVE_ORDER", "Event"]
