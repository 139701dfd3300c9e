"""Four-eyes approval's rules (docs/approvals.md): which commands need a second user and why, and the checks an
approval or a rejection must pass. Pure: no I/O, no SQLAlchemy; errors come back as data (FieldErrors)."""

from ledger.approvals.argv import canonical, command_path, digest, option, positionals
from ledger.approvals.rules import (
    APPROVERS,
    FOUR_EYES,
    Need,
    approval_errors,
    may_decide,
    needs_approval,
    rejection_errors,
)

__all__ = ["APPROVERS", "FOUR_EYES", "Need", "approval_errors", "canonical", "command_path", "digest",
           "may_decide", "needs_approval", "option", "positionals", "rejection_errors"]
