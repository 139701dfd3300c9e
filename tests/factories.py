"""Small builders of valid events for tests."""

from __future__ import annotations

from datetime import date

from ledger.events.coop import IndexValuePublished, SocietyRegistered
from ledger.store import NewEvent

ACTOR = {"actor": "test-clerk"}


def society(society_id: str = "coop1", key: str | None = None, kind: str = "coop") -> NewEvent:
    return NewEvent(SocietyRegistered(society_id=society_id, kind=kind, name=f"Society {society_id}"),
                    date(2020, 1, 1), key or f"reg-{society_id}")


def index_value(period: str, value: str = "100.0", series: str = "RPI", key: str | None = None) -> NewEvent:
    return NewEvent(IndexValuePublished(series=series, period=period, value=value),
                    date(int(period[:4]), 1, 1), key or f"idx-{series}-{period}")


def envelope(stream: str, type_: str, payload: dict, effective_date: str = "2024-01-01", **extra) -> dict:
    line = {"stream": stream, "type": type_, "effective_date": effective_date, "payload": payload,
            "metadata": {"actor": "importer"}}
    line.update(extra)
    return line


def tamper(backend, statement: str) -> None:
    """Alter or delete rows of the log behind the store's back, as an attacker with the owner's rights would
    (the triggers that refuse updates and deletes bypassed)."""
    from sqlalchemy import text

    with backend.engine.begin() as conn:
        if backend.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS events_refuse_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS events_refuse_delete"))
            conn.execute(text(statement))
        else:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete"))


def forge(backend, *, stream: str, type_: str, payload: dict, key: str, effective_date: str = "2024-01-01",
          metadata: dict | None = None, raw_text: bool = False) -> dict:
    """Append a row with SQL, around the ledger (an attacker with the owner's rights, or a bug in an earlier
    version): chained and hashed like any event, so that `mutual verify` finds nothing wrong with the chain.

    `raw_text`: hash the stream, type and key written between quotes as they are, not as JSON strings (what
    versions before the whole-string patterns did with a key ending in a newline). Returns the row."""
    import hashlib
    import json
    from datetime import datetime, timezone

    from sqlalchemy import text

    with backend.engine.begin() as conn:
        last = conn.execute(text("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1")).first()
        version = conn.execute(text("SELECT COUNT(*) FROM events WHERE stream = :s"), {"s": stream}).scalar()
        position, prev_hash = (last[0] + 1, last[1]) if last else (1, "0" * 64)
        recorded = datetime.now(timezone.utc).replace(tzinfo=None)
        row = {"position": position, "stream": stream, "version": version + 1, "type": type_, "schema_version": 1,
               "effective_date": effective_date, "recorded_at": recorded.isoformat(timespec="microseconds") + "Z",
               "payload": payload, "metadata": metadata or {"actor": "forger"}, "idempotency_key": key,
               "prev_hash": prev_hash}
        dump = lambda value: json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # noqa: E731
        canonical = dump(row)
        if raw_text:
            for name in ("idempotency_key", "stream", "type"):
                canonical = canonical.replace(f'"{name}":{dump(row[name])}', f'"{name}":"{row[name]}"')
        row["hash"] = hashlib.sha256(canonical.encode()).hexdigest()
        sqlite = backend.name == "sqlite"
        conn.execute(text(
            "INSERT INTO events (position, stream, version, type, schema_version, effective_date, recorded_at, "
            "payload, metadata, idempotency_key, prev_hash, hash) VALUES (:position, :stream, :version, :type, "
            ":schema_version, :effective_date, :recorded_at, :payload, :metadata, :idempotency_key, :prev_hash, "
            ":hash)"), {
            **row, "payload": dump(payload), "metadata": dump(row["metadata"]),
            "effective_date": effective_date if sqlite else datetime.fromisoformat(effective_date).date(),
            "recorded_at": recorded.isoformat(sep=" ", timespec="microseconds") if sqlite
            else recorded.replace(tzinfo=timezone.utc)})
    return row
