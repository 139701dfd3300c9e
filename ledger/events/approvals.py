"""Four-eyes approval on the record (docs/approvals.md): the reserve-spending limit a co-op sets, and each proposal's
life: made, then approved, rejected or refused.

A proposal's command line may hold personal data (an incoming member's salary), so it is kept off the chain in the
`proposals` table; the chain holds its SHA-256 (`argv_digest`), which proves what was approved.

Streams: `society-<id>` (the limit), `proposal-<id>` (a proposal).
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, StringConstraints

from ledger.events.base import EventPayload
from ledger.events.types import Id, NonNegativeMoney, whole

# One line of text: 1-500 characters, no control character (a newline in a reason or a name is refused by name).
Line = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=whole(r"[^\x00-\x1f\x7f]+"))]
Digest = Annotated[str, StringConstraints(pattern=whole(r"[0-9a-f]{64}"))]
CommandPath = Annotated[str, StringConstraints(pattern=whole(r"[a-z][a-z-]*( [a-z][a-z-]*)?"))]

APPROVAL_TYPES = ("ApprovalLimitSet", "ProposalMade", "ProposalApproved", "ProposalRejected", "ProposalRefused")


class ApprovalLimitSet(EventPayload):
    """From its effective date, a co-op's reserve spending above `reserve_spending_limit` needs a second user's
    approval (spending at or below it runs at once). With no limit in force every reserve spending needs one."""

    event_type = "ApprovalLimitSet"
    stream_kinds = ("society",)
    coop_id: Id
    reserve_spending_limit: NonNegativeMoney


class ProposalMade(EventPayload):
    """A user proposed a command that takes effect only when a different user approves it."""

    event_type = "ProposalMade"
    stream_kinds = ("proposal",)
    proposal_id: Id
    command: CommandPath = Field(description="the command's path, e.g. `member leave`")
    summary: Line = Field(description="what it does, without personal data")
    argv_digest: Digest = Field(description="SHA-256 of the canonical command line (docs/approvals.md)")
    proposer: Line
    needs: Line = Field(description="why it needs approval")


class ProposalApproved(EventPayload):
    """A different user approved the proposal and its command ran, as that user, against the books as they stood:
    its events (recorded with the approver as actor) are those at positions `first_position` to `last_position`."""

    event_type = "ProposalApproved"
    stream_kinds = ("proposal",)
    proposal_id: Id
    approver: Line
    argv_digest: Digest
    first_position: Optional[int] = Field(default=None, ge=1)
    last_position: Optional[int] = Field(default=None, ge=1)


class ProposalRejected(EventPayload):
    """A user with the right to approve rejected the proposal: its command never runs."""

    event_type = "ProposalRejected"
    stream_kinds = ("proposal",)
    proposal_id: Id
    by: Line
    reason: Line


class ProposalRefused(EventPayload):
    """A user approved the proposal but the books no longer allowed its command: nothing of the command was written,
    and `reason` is the command's own."""

    event_type = "ProposalRefused"
    stream_kinds = ("proposal",)
    proposal_id: Id
    approver: Line
    reason: Line


__all__ = ["APPROVAL_TYPES", "ApprovalLimitSet", "ProposalApproved", "ProposalMade", "ProposalRefused",
           "ProposalRejected"]
