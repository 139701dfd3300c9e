"""The append-only, hash-chained event store."""

from ledger.store.eventstore import EventStore, ImportResult, NewEvent
from ledger.store.records import AppendResult, Head, StoredEvent

__all__ = ["AppendResult", "EventStore", "Head", "ImportResult", "NewEvent", "StoredEvent"]
