"""Audit checkpoints: the books as folded at one position of the log, kept beside it and append-only.

A checkpoint is what the back office published (at a year end, say): the
totals of every co-op and fund on an effective date, folded from the log up
to a position whose hash it records. A later audit replays the log up to
that position and shows the books still follow from it, or names every
figure that no longer does. Like the events, a checkpoint is never updated
or deleted (the migration's triggers refuse), and its books are kept as
canonical JSON text with their SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

import orjson
from sqlalchemy import insert, select

from ledger.clock import UTC
from ledger.errors import FieldError, ValidationFailed
from ledger.store.eventstore import EventStore
from ledger.store.schema import checkpoints as table


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: int
    position: int
    head_hash: str
    as_of: date
    recorded_at: datetime
    actor: str
    books: dict[str, Any]
    books_hash: str

    def to_json(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint_id, "position": self.position, "head_hash": self.head_hash,
                "as_of": self.as_of, "recorded_at": self.recorded_at, "actor": self.actor,
                "books_hash": self.books_hash}


def books_text(books: dict[str, Any]) -> str:
    """Canonical JSON of the books: sorted keys, decimals as strings."""
    return orjson.dumps(books, default=str, option=orjson.OPT_SORT_KEYS).decode()


def record_checkpoint(store: EventStore, *, position: int, head_hash: str, as_of: date, books: dict[str, Any],
                      actor: str) -> Checkpoint:
    if not isinstance(actor, str) or not actor.strip():
        raise ValidationFailed([FieldError("actor", "is required: who takes the checkpoint")])
    text = books_text(books)
    row = {"position": position, "head_hash": head_hash, "as_of": as_of,
           "recorded_at": store.clock().astimezone(UTC), "actor": actor, "books": text,
           "books_hash": hashlib.sha256(text.encode()).hexdigest()}
    with store.engine.begin() as conn:
        checkpoint_id = conn.execute(insert(table).values(**row).returning(table.c.checkpoint_id)).scalar_one()
    return _checkpoint({**row, "checkpoint_id": checkpoint_id})


def checkpoints(store: EventStore, *, recorded_to: Optional[datetime] = None) -> list[Checkpoint]:
    """Every checkpoint (taken by `recorded_to`, when given), oldest first."""
    query = select(table).order_by(table.c.checkpoint_id)
    if recorded_to is not None:
        query = query.where(table.c.recorded_at <= recorded_to.astimezone(UTC))
    with store.engine.connect() as conn:
        return [_checkpoint(dict(row._mapping)) for row in conn.execute(query)]


def latest_checkpoint(store: EventStore, *, recorded_to: Optional[datetime] = None) -> Optional[Checkpoint]:
    found = checkpoints(store, recorded_to=recorded_to)
    return found[-1] if found else None


def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    recorded = row["recorded_at"]
    recorded = recorded.replace(tzinfo=UTC) if recorded.tzinfo is None else recorded.astimezone(UTC)
    return Checkpoint(row["checkpoint_id"], row["position"], row["head_hash"], row["as_of"], recorded, row["actor"],
                      orjson.loads(row["books"]), row["books_hash"])
