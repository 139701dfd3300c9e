"""The store's small records: an event as read back (whole, or as the folds read it), and one waiting to be written.

Why two records of a stored event. `StoredEvent` is the whole row: what `mutual log`, export, verify and the
read side's checks read. `FoldedEvent` is the same event as a replay folds it: the six fields the folds of the
books read, in StoredEvent's order, and nothing else. A fifth of the replay's time is building rows, and a
6-tuple is cheaper to build than a 12-tuple whose other six fields are thrown away; a fold that reaches for one
of them (the stream version, the recorded time, metadata, key or hashes: the store's and the chain's, checked
on their own pass) fails loudly rather than folding without it.

The field list is StoredEvent's. FoldedEvent repeats six of its lines only because a type checker needs a
NamedTuple's fields written out (one built from StoredEvent at run time would be untyped for every fold); at
import it is checked to be a part of StoredEvent, same names, types and order (`_derived_from`),
and the recorder's column lists are derived from the two (`recorder.COLUMNS`, `recorder.FOLD_COLUMNS`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from ledger.store.keys import content_text, fact_text

__all__ = ["FOLDED_FIELDS", "AppendResult", "FoldedEvent", "Head", "Pending", "StoredEvent", "content_text",
           "fact_text"]


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
    """A stored event as a replay folds it: six of StoredEvent's fields, in its order (the module's docstring)."""

    position: int
    stream: str
    type: str
    schema_version: int
    effective_date: date
    payload: dict[str, Any]


def _derived_from(whole: Any, view: Any) -> tuple[str, ...]:
    """`view`'s fields, once shown to be some of `whole`'s, in `whole`'s order, with the same annotations."""
    fields: tuple[str, ...] = view._fields
    whole_fields: tuple[str, ...] = whole._fields
    if [n for n in whole_fields if n in fields] != list(fields) \
            or any(view.__annotations__[n] != whole.__annotations__[n] for n in fields):
        raise TypeError(f"{view.__name__}'s fields must be {whole.__name__}'s, in its order, with its types")
    return fields


FOLDED_FIELDS = _derived_from(StoredEvent, FoldedEvent)


class Head(NamedTuple):
    """The last event of the log: what an auditor writes down."""

    position: int
    hash: str
    recorded_at: datetime | None


class Pending(NamedTuple):
    """A validated event that has no position yet (a plain tuple: cheap to build and to pickle).

    `head` and `middle` are the canonical envelope text around the parts only
    the store can fill in (position, prev_hash, recorded_at, version), so that
    sealing an event is one string join and one SHA-256 (ledger.canonical:
    envelope_parts, seal_text). `claimed_*` fields come from an imported
    envelope: if present they must agree with what the store assigns, so an
    export re-imports to the same chain.
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
    recorded_at: datetime | None = None
    claimed_version: int | None = None
    claimed_position: int | None = None
    claimed_prev_hash: str | None = None
    claimed_hash: str | None = None
    where: str = ""

    def content_text(self) -> str:
        """What an idempotent retry must repeat exactly: the business fact (not who recorded it, when, or its
        version; docs/events.md "Idempotency")."""
        return fact_text(self.stream, self.type, self.schema_version, self.effective_date, self.payload_json)


class AppendResult(NamedTuple):
    positions: list[int]
    written: int
    head: Head
