"""The read side's window on the log: the books as they stood at a recorded time.

Every projection is a pure fold over events. A `LedgerView` (ledger/source.py: StoreSource) hands them the
events they need -- one stream at a time, read through the (stream, version)
index, so a point-in-time query never replays the whole log -- and applies
the two clocks of every query:

* `as_known_at` (recorded time): only events recorded at or before it exist.
* the effective date (`as_of`) is the fold's business: an event counts from
  its effective date on.

Every event it reads is checked first (ledger.store.mapper.consistent): a row written around the ledger
that no import or command would have written (say, a LoanGranted on loan-X granting loan Y) is named, with
its position, in a clear error instead of being folded into wrong figures or a crash.

It also applies corrections (docs/audit.md): an `EventReversed` known to the
view removes the event it names from every stream and type lookup, puts its
replacement (if any) in its place, and is itself not shown to the folds. An
earlier `as_known_at` does not know a later reversal, so it still shows the
original.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.errors import NotFound
from ledger.source import EventSource, ReplaySource, StoreSource  # noqa: F401 (EventSource: the read side names it here too)
from ledger.store import StoredEvent
from ledger.store.mapper import current_payload

# The read side's names for the two sources (ledger/source.py): every projection takes an EventSource.
LedgerView = StoreSource
ReplayView = ReplaySource


def payload(event: StoredEvent) -> dict[str, Any]:
    """An event's payload at its type's current schema version."""
    return current_payload(event)


def first_effective_date(events: list[StoredEvent]) -> date:
    return min(e.effective_date for e in events)


def check_as_of(events: list[StoredEvent], as_of: date, what: str) -> None:
    """Dates before a stream existed are a clear error; dates after the log answer with what is known."""
    start = first_effective_date(events)
    if as_of < start:
        raise NotFound(f"{what} did not exist on {as_of.isoformat()}: "
                       f"its first event takes effect on {start.isoformat()}")
