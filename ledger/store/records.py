"""The store's small records: a stored event as read back, and one waiting to be written."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple, Optional


class StoredEvent(NamedTuple):
    """One row of the log, decoded. The payload is at the schema version it was stored with."""

    position: int
    stream: str
    version: int
    type: str
    schema_version: int
    effective_date: date
    recorded_at: datetime
    payload: dict[str, Any]
    metadata: dict[str, Any]
    idempotency_key: str
    prev_hash: str
    hash: str


class FoldedEvent(NamedTuple):
    """A stored event as a replay folds it: what the folds of the books read, and nothing else (a fifth of the
    replay's time is building rows). The recorded time has done its work in the query that read the event; the
    stream version, metadata, idempotency key and hashes are the store's and the chain's, checked on their own pass.
    A fold that reaches for one of them fails loudly rather than folding without it."""

    position: int
    stream: str
    type: str
    schema_version: int
    effective_date: date
    payload: dict[str, Any]


class Head(NamedTuple):
    """The last event of the log: what an auditor writes down."""

    position: int
    hash: str
    recorded_at: Optional[datetime]


class Pending(NamedTuple):
    """A validated event that has no position yet (a plain tuple: cheap to build and to pickle).

    `head` and `middle` are the canonical envelope text around the parts only
    the store can fill in (position, prev_hash, recorded_at, version), so that
    sealing an event is one string join and one SHA-256. `claimed_*` fields
    come from an imported envelope: if present they must agree with what the
    store assigns, so an export re-imports to the same chain.
    """

    stream: str
    type: str
    schema_version: int
    effective_date: str
    payload_json: str
    metadata_json: str
    idempotency_key: str
    head: str
    middle: str
    recorded_at: Optional[datetime] = None
    claimed_version: Optional[int] = None
    claimed_position: Optional[int] = None
    claimed_prev_hash: Optional[str] = None
    claimed_hash: Optional[str] = None
    where: str = ""

    def content_text(self) -> str:
        """What an idempotent retry must repeat exactly: the business fact (not who recorded it, when, or its
        version; docs/events.md "Idempotency")."""
        return fact_text(self.stream, self.type, self.schema_version, self.effective_date, self.payload_json)


def fact_text(stream: str, type_: str, schema_version: int, effective_date: str, payload_json: str) -> str:
    """The business fact of an event: its stream, type, schema version, effective date and canonical payload.

    Never the metadata (who recorded it and why), the recorded time or the stream version: the same fact
    entered again, by anyone, at any time, is the same fact. The default idempotency key is its SHA-256.
    """
    return "\x1f".join((stream, type_, str(schema_version), effective_date, payload_json))


def content_text(stream: str, type_: str, schema_version: int, effective_date: str,
                 payload_json: str, metadata_json: str) -> str:
    """The text the legacy `content:` keys were derived from (the fact and the metadata): kept so that events
    recorded under such keys are still recognised when the same fact is entered again."""
    return "\x1f".join((stream, type_, str(schema_version), effective_date, payload_json, metadata_json))


class AppendResult(NamedTuple):
    positions: list[int]
    written: int
    head: Head
