"""Events that keep the books honest: corrections and period closes."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from ledger.events.base import EventPayload
from ledger.events.types import EventDate, Id, Text

# The corrections' own types: never a correction's replacement.
AUDIT_TYPES = ("EventReversed", "PeriodClosed")


class EventReversed(EventPayload):
    """Reverses the event at `position` (it then counts for nothing); may name its replacement's type and payload."""

    event_type = "EventReversed"
    stream_kinds = ("member", "dwelling", "society", "mortgage", "loan", "account", "index", "bank")
    position: int = Field(ge=1)
    reason: Text
    replacement_type: Optional[Id] = None
    replacement_payload: Optional[dict[str, Any]] = None


class PeriodClosed(EventPayload):
    """A society closes a financial period; later events dated inside it need a prior-period adjustment."""

    event_type = "PeriodClosed"
    stream_kinds = ("society",)
    society_id: Id
    period_start: EventDate
    period_end: EventDate
