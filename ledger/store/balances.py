"""Balance checkpoints: the general ledger's postings added up on one effective date, as of one position of the log.

A cache of a fold, kept beside the log (migration 0011_balances): projections/accounts.py takes one and reads it
back (docs/accounts.md, "Balance checkpoints"). The row records the position and the hash of the event there, so a
checkpoint is only ever used on the chain it was taken from; the sums are canonical JSON with their SHA-256. Like an
audit checkpoint it is append-only, and on PostgreSQL only the owner and the auditor role may write one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError

from ledger.canonical import GENESIS_HASH
from ledger.clock import UTC
from ledger.errors import FieldError, StoreUnavailable, ValidationFailed
from ledger.store.eventstore import EventStore

COLUMNS = "checkpoint_id, position, head_hash, as_of, recorded_at, actor, sums, sums_hash"


@dataclass(frozen=True)
class BalanceCheckpoint:
    checkpoint_id: int
    position: int
    head_hash: str
    as_of: date
    actor: str
    sums: dict[str, Any]


def sums_text(sums: dict[str, Any]) -> str:
    """Canonical JSON: sorted keys, decimals as strings."""
    return orjson.dumps(sums, default=str, option=orjson.OPT_SORT_KEYS).decode()


def record_balances(store: EventStore, *, position: int, head_hash: str, as_of: date, sums: dict[str, Any],
                    actor: str) -> int:
    """Keep a balance checkpoint; its id."""
    if not isinstance(actor, str) or not actor.strip():
        raise ValidationFailed([FieldError("actor", "is required: who takes the checkpoint")])
    text = sums_text(sums)
    mark = store.recorder.mark
    params = (position, head_hash, as_of.isoformat(), store.clock().astimezone(UTC).isoformat(), actor, text,
              hashlib.sha256(text.encode()).hexdigest())
    try:
        with store.engine.begin() as conn:
            found = conn.exec_driver_sql(
                "INSERT INTO balance_checkpoints (position, head_hash, as_of, recorded_at, actor, sums, sums_hash) "
                f"VALUES ({', '.join([mark] * 7)}) RETURNING checkpoint_id", params).scalar_one()
    except DBAPIError as exc:
        message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if "permission denied" not in message:
            raise
        raise StoreUnavailable(f"balance checkpoints: the database refused: {message}; a balance checkpoint is "
                               "taken by an auditor (role mutual_auditor) or the owner; nothing was kept") from None
    return int(found)


def latest_balances(store: EventStore, as_of: date, to_position: int) -> BalanceCheckpoint | None:
    """The latest checkpoint on `as_of` taken at or before `to_position` whose sums still hash to what was kept and
    whose head is still the log's event at that position (None: no such checkpoint)."""
    mark = store.recorder.mark
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT {COLUMNS} FROM balance_checkpoints WHERE as_of = {mark} AND position <= {mark} "
            "ORDER BY position DESC, checkpoint_id DESC LIMIT 1", (as_of.isoformat(), to_position)).all()
        if not rows:
            return None
        row = dict(zip(COLUMNS.split(", "), rows[0], strict=True))
        head_hash: str | None = GENESIS_HASH
        if row["position"] != 0:
            found = conn.exec_driver_sql(f"SELECT hash FROM events WHERE position = {mark}",
                                         (row["position"],)).first()
            head_hash = found[0] if found else None
    text = row["sums"]
    if head_hash != row["head_hash"] or hashlib.sha256(text.encode()).hexdigest() != row["sums_hash"]:
        return None
    return BalanceCheckpoint(row["checkpoint_id"], row["position"], row["head_hash"], as_of, row["actor"],
                             orjson.loads(text))
