"""Least privilege on PostgreSQL: the writer appends and reads; the auditor only reads."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.errors import StoreUnavailable
from ledger.store import EventStore
from ledger.store.engine import make_engine
from ledger.store.verify import verify
from tests.factories import ACTOR, index_value


@pytest.fixture
def pg(backend):
    if backend.name != "postgresql":
        pytest.skip("roles are a PostgreSQL feature; SQLite has file permissions")
    return backend


def _as(pg, role: str) -> EventStore:
    return EventStore(make_engine(pg.url.replace("options=", f"options=-crole%3D{role}%20")))


def test_the_writer_role_can_append_and_verify(pg):
    writer = _as(pg, "mutual_writer")
    writer.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    assert verify(writer).intact


@pytest.mark.parametrize("statement", ["UPDATE events SET payload = '{}'", "DELETE FROM events",
                                       "TRUNCATE events", "DROP TABLE events", "ALTER TABLE events DISABLE TRIGGER ALL"])
def test_the_writer_role_cannot_alter_delete_or_redefine_events(pg, statement):
    writer = _as(pg, "mutual_writer")
    writer.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    with pytest.raises(DBAPIError) as caught:
        with writer.engine.begin() as conn:
            conn.execute(text(statement))
    assert "permission denied" in str(caught.value) or "must be owner" in str(caught.value)
    assert verify(pg.store()).intact


def test_the_auditor_role_can_read_but_cannot_append(pg):
    pg.store().append("index-RPI", [index_value("2020")], metadata=ACTOR)
    auditor = _as(pg, "mutual_auditor")
    assert verify(auditor).intact
    with pytest.raises(StoreUnavailable) as caught:
        auditor.append("index-RPI", [index_value("2021")], metadata=ACTOR)
    assert "permission denied" in str(caught.value)
    assert pg.store().head().position == 1


def test_the_writer_can_take_a_checkpoint_but_not_alter_one_and_the_auditor_only_reads_them(pg):
    from ledger.store.checkpoints import checkpoints
    from projections.audit import take_checkpoint

    pg.store().append("index-RPI", [index_value("2020")], metadata=ACTOR)
    writer = _as(pg, "mutual_writer")
    taken = take_checkpoint(writer, actor="treasurer", workers=1)
    with pytest.raises(DBAPIError):
        with writer.engine.begin() as conn:
            conn.execute(text("DELETE FROM checkpoints"))
    auditor = _as(pg, "mutual_auditor")
    assert [c.books_hash for c in checkpoints(auditor)] == [taken.books_hash]
    with pytest.raises(DBAPIError) as caught:
        take_checkpoint(auditor, actor="auditor", workers=1)
    assert "permission denied" in str(caught.value)
