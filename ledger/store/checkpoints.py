"""Audit checkpoints: the books as folded at one position of the log, kept beside it and append-only.

A checkpoint is what the back office published (at a year end, say): the
totals of every co-op and fund on an effective date, folded from the log up
to a position whose hash it records. A later audit replays the log up to
that position and shows the books still follow from it, or names every
figure that no longer does. Like the events, a checkpoint is never updated
or deleted (the migration's triggers refuse), and its books are kept as
canonical JSON text with their SHA-256.

Whoever writes a checkpoint is trusted by every later audit, so on
PostgreSQL only the owner and the auditor role may (migration
0006_checkpoint_writers), the ledger assigns the ids, and an audit checks
every checkpoint, not only the last. A row is read as it is, however it got
there: one that is not a checkpoint an audit can hold the log to (books that
are not a JSON object, a date or hash that cannot be read) comes back with
`malformed` saying why, and the audit reports it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import orjson
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from ledger.clock import UTC
from ledger.errors import FieldError, StoreUnavailable, ValidationFailed
from ledger.store.eventstore import EventStore
from ledger.store.schema import checkpoints as table

HASH = re.compile(r"[0-9a-f]{64}")
COLUMNS = "checkpoint_id, position, head_hash, as_of, recorded_at, actor, books, books_hash"


@dataclass(frozen=True)
class Checkpoint:
    checkpoint_id: int
    position: int
    head_hash: str
    as_of: date | None
    recorded_at: datetime | None
    actor: str
    books: dict[str, Any] | None
    books_hash: str
    malformed: str = ""  # why the row is no checkpoint an audit can hold the log to ("" when it is one)

    def to_json(self) -> dict[str, Any]:
        out = {"checkpoint": self.checkpoint_id, "position": self.position, "head_hash": self.head_hash,
               "as_of": self.as_of, "recorded_at": self.recorded_at, "actor": self.actor,
               "books_hash": self.books_hash}
        if self.malformed:
            out["malformed"] = self.malformed
        return out


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
    try:
        with store.engine.begin() as conn:
            checkpoint_id = conn.execute(insert(table).values(**row).returning(table.c.checkpoint_id)).scalar_one()
    except DBAPIError as exc:
        message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if "permission denied" not in message:
            raise
        raise StoreUnavailable(f"checkpoints: the database refused: {message}; a checkpoint is taken by an "
                               "auditor (role mutual_auditor) or the owner, not by a writer; nothing was kept"
                               ) from None
    return _checkpoint({**row, "checkpoint_id": checkpoint_id})


def checkpoints(store: EventStore, *, recorded_to: datetime | None = None) -> list[Checkpoint]:
    """Every checkpoint (taken by `recorded_to`, when given), oldest first, as the driver gives its row: a
    malformed row is read, not raised on (`Checkpoint.malformed`)."""
    recorder = store.recorder
    where, params = "", cast(tuple[Any, ...], ())
    if recorded_to is not None:
        where, params = f" WHERE recorded_at <= {recorder.mark}", (recorder.recorded_param(recorded_to),)
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {COLUMNS} FROM checkpoints{where} ORDER BY checkpoint_id", params)
        return [_checkpoint(dict(zip(COLUMNS.split(", "), row, strict=True))) for row in rows]


def latest_checkpoint(store: EventStore, *, recorded_to: datetime | None = None) -> Checkpoint | None:
    found = checkpoints(store, recorded_to=recorded_to)
    return found[-1] if found else None


def _checkpoint(row: dict[str, Any]) -> Checkpoint:
    """A row as a Checkpoint; what cannot be read is named in `malformed` (and left None), never raised."""
    problems = []
    as_of, recorded, books = row["as_of"], row["recorded_at"], row["books"]
    try:
        as_of = as_of if isinstance(as_of, date) else date.fromisoformat(as_of)
    except (TypeError, ValueError):
        problems.append(f"as_of: {as_of!r} is not a date")
        as_of = None
    try:
        recorded = recorded if isinstance(recorded, datetime) else datetime.fromisoformat(recorded)
        recorded = recorded.replace(tzinfo=UTC) if recorded.tzinfo is None else recorded.astimezone(UTC)
    except (TypeError, ValueError):
        problems.append(f"recorded_at: {recorded!r} is not a time")
        recorded = None
    try:
        books = orjson.loads(books)
    except (TypeError, orjson.JSONDecodeError):
        books = None
    if not isinstance(books, dict) or not all(isinstance(books.get(k), dict) for k in ("coops", "funds")):
        problems.append("books: are not a JSON object of coops and funds")
        books = None
    if not isinstance(row["head_hash"], str) or not HASH.fullmatch(row["head_hash"]):
        problems.append(f"head_hash: {row['head_hash']!r} is not the 64 hex digits of a hash")
    if not isinstance(row["position"], int) or row["position"] < 0:
        problems.append(f"position: {row['position']!r} is not a position of the log")
    return Checkpoint(row["checkpoint_id"], row["position"], row["head_hash"], as_of, recorded, row["actor"],
                      books, row["books_hash"], "; ".join(problems))
