"""The `proposals` table (migration 0010_proposals): each proposal's command line, kept off the chain because it
may hold personal data, and where the proposal stands. The chain holds the proposal's events and the command line's
digest; this table is the working copy the approver runs (docs/approvals.md).

A decision is claimed before it is made (`claim`: pending -> deciding, one UPDATE that only one caller can win), so
two approvers at once cannot both run the command. A claim older than the rules' CLAIM_LAPSES (its process died
mid-decision) may be taken over; the chain still allows one decision only (docs/approvals.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, and_, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ledger.clock import UTC
from ledger.errors import StoreUnavailable
from ledger.store.engine import WRITE

_metadata = MetaData()

proposals = Table(
    "proposals", _metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("command", String(64), nullable=False),
    Column("argv", Text, nullable=False),
    Column("argv_digest", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("needs", Text, nullable=False),
    Column("proposer", String(200), nullable=False),
    Column("proposer_role", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(200)),
    Column("decided_at", DateTime(timezone=True)),
    Column("reason", Text),
    Column("result", Text),
    Column("claimed_at", DateTime(timezone=True)),  # migration 0012_proposal_claims
)

DECIDING = "deciding"


@dataclass(frozen=True)
class Proposal:
    """One row: the proposal as the table has it."""

    proposal_id: str
    command: str
    argv: list[str]
    argv_digest: str
    summary: str
    needs: str
    proposer: str
    proposer_role: str
    status: str
    proposed_at: datetime
    decided_by: Optional[str] = None
    decided_at: Optional[datetime] = None
    reason: Optional[str] = None
    result: Optional[str] = None
    claimed_at: Optional[datetime] = None

    def to_json(self, *, with_argv: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "proposal_id": self.proposal_id, "command": self.command, "summary": self.summary,
            "needs": self.needs, "argv_digest": self.argv_digest, "proposer": self.proposer,
            "proposer_role": self.proposer_role, "status": self.status,
            "proposed_at": self.proposed_at.isoformat(), "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None, "reason": self.reason}
        if with_argv:
            out["argv"] = self.argv
        return out


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _proposal(row: Any) -> Proposal:
    m = dict(row._mapping)
    m["argv"] = json.loads(m["argv"])
    m["proposed_at"], m["decided_at"], m["claimed_at"] = (_utc(m["proposed_at"]), _utc(m["decided_at"]),
                                                          _utc(m["claimed_at"]))
    return Proposal(**m)


def _refused(exc: DBAPIError) -> StoreUnavailable:
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    hint = " (has `mutual init` been run on this database, since this version?)" if "proposals" in message else ""
    return StoreUnavailable(f"proposals: the database refused: {message}{hint}; nothing was changed")


class Proposals:
    """The proposals of one ledger's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, proposal_id: str) -> Optional[Proposal]:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(proposals).where(proposals.c.proposal_id == proposal_id)).first()
        except DBAPIError as exc:
            raise _refused(exc) from None
        return None if row is None else _proposal(row)

    def all(self, status: Optional[str] = None) -> list[Proposal]:
        """Newest first; of one status, or all."""
        query = select(proposals)
        if status is not None:
            query = query.where(proposals.c.status == status)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(proposals.c.proposed_at.desc(), proposals.c.proposal_id)).all()
        except DBAPIError as exc:
            raise _refused(exc) from None
        return [_proposal(r) for r in rows]

    def _write(self, statement: Any) -> int:
        try:
            with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
                return int(conn.execute(statement).rowcount)
        except DBAPIError as exc:
            raise _refused(exc) from None

    def add(self, proposal: Proposal) -> None:
        values = {**proposal.__dict__, "argv": json.dumps(proposal.argv, ensure_ascii=False)}
        self._write(insert(proposals).values(**values))

    def withdraw(self, proposal_id: str) -> None:
        """Take back a row whose ProposalMade could not be appended (so no row names a proposal the chain lacks)."""
        self._write(delete(proposals).where(proposals.c.proposal_id == proposal_id,
                                            proposals.c.status == "pending"))

    def claim(self, proposal_id: str, status: str, now: datetime, lapses: timedelta) -> datetime | None:
        """pending -> deciding, if it is still `status` (pending), or deciding under a claim made before `now -
        lapses` (its decider died mid-decision; a claim from before claims were timed counts as lapsed). The one
        caller who wins it gets its claim's time (`now`), which `release` needs; the others get None."""
        lapsed = or_(proposals.c.claimed_at.is_(None), proposals.c.claimed_at < now - lapses)
        won = self._write(update(proposals).where(
            proposals.c.proposal_id == proposal_id,
            or_(proposals.c.status == status, and_(proposals.c.status == DECIDING, lapsed)),
        ).values(status=DECIDING, claimed_at=now)) == 1
        return now if won else None

    def release(self, proposal_id: str, status: str, claimed_at: datetime) -> None:
        """Put a claimed proposal back (a decision that could not be recorded), if the claim is still this
        decider's (`claimed_at`, from `claim`): a slow decider whose claim lapsed and was taken over by another
        must not put back the other's."""
        self._write(update(proposals).where(proposals.c.proposal_id == proposal_id,
                                            proposals.c.status == DECIDING,
                                            proposals.c.claimed_at == claimed_at).values(status=status))

    def decide(self, proposal_id: str, status: str, by: str, at: datetime, reason: Optional[str] = None,
               result: Optional[str] = None) -> None:
        """The decision, once it is on the chain: unconditional, since the chain allows one decision and this
        decider's append was it (whoever holds the claim in the table by now)."""
        self._write(update(proposals).where(proposals.c.proposal_id == proposal_id).values(
            status=status, decided_by=by, decided_at=at, reason=reason, result=result))
