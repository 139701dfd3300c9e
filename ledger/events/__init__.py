"""Event schemas: the public contract for importers and auditors (see docs/events.md)."""

from ledger.events import audit, equity, fund  # noqa: F401  (registers the types)
from ledger.events.base import REGISTRY, EventPayload, upcast

__all__ = ["REGISTRY", "EventPayload", "upcast", "equity", "fund", "audit"]
