"""The chain head an output was drawn from (a statement, a trial balance, an export): the log's last event as
known at a recorded time.

An output read `as_known_at` T names the last event recorded by T (its position and hash): `mutual audit prove
POSITION HASH` shows later that the log up to it is still the one the document was drawn from, and
`--as-known-at` with the head's recorded time draws the same document again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.clock import format_recorded_at
from ledger.store import EventStore


@dataclass(frozen=True)
class ChainHead:
    position: int
    hash: str
    recorded_at: datetime | None

    @property
    def known_at(self) -> str:
        """The recorded time that reproduces the document (`--as-known-at`): the head's own."""
        return format_recorded_at(self.recorded_at) if self.recorded_at is not None else "-"

    @property
    def prove(self) -> str:
        return f"mutual audit prove {self.position} {self.hash}"

    def to_json(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash, "recorded_at": self.recorded_at}

    def named(self) -> dict[str, Any]:
        """Position and hash: what an output names to be proved later."""
        return {"position": self.position, "hash": self.hash}


def head_known_at(store: EventStore, as_known_at: datetime | None) -> ChainHead:
    """The last event recorded by `as_known_at` (the log's head when None); position 0 for an empty log."""
    head = store.head(as_known_at)
    return ChainHead(head.position, head.hash, head.recorded_at)
