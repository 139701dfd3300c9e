"""Event schemas: the public contract for importers and auditors (see docs/events.md)."""

from ledger.events import accounts, approvals, audit, bank, coop, fund  # importing them registers the types
from ledger.events.base import REGISTRY, EventPayload, upcast

__all__ = ["REGISTRY", "EventPayload", "accounts", "approvals", "audit", "bank", "coop", "fund", "upcast"]
