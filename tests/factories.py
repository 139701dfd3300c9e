"""Small builders of valid events for tests."""

from __future__ import annotations

from datetime import date

from ledger.events.equity import IndexValuePublished, SocietyRegistered
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
    """Alter the log behind the store's back, as an attacker with the owner's rights would (triggers bypassed)."""
    from sqlalchemy import text

    with backend.engine.begin() as conn:
        if backend.name == "sqlite":
            conn.execute(text("DROP TRIGGER events_refuse_update"))
            conn.execute(text(statement))
        else:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete"))
