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


def test_only_the_auditor_or_the_owner_takes_checkpoints_and_no_one_alters_one(pg):
    """A writer who could write checkpoints could write the one every later audit is held to."""
    from ledger.store.checkpoints import checkpoints
    from projections.audit import take_checkpoint

    pg.store().append("index-RPI", [index_value("2020")], metadata=ACTOR)
    writer = _as(pg, "mutual_writer")
    with pytest.raises(StoreUnavailable) as caught:
        take_checkpoint(writer, actor="clerk", workers=1)
    assert "permission denied" in str(caught.value) and "auditor" in str(caught.value)
    with pytest.raises(DBAPIError):
        with writer.engine.begin() as conn:
            conn.execute(text("INSERT INTO checkpoints (position, head_hash, as_of, recorded_at, actor, books, "
                              "books_hash) VALUES (0, '', '2020-01-01', now(), 'clerk', '{}', '')"))
    auditor = _as(pg, "mutual_auditor")
    taken = take_checkpoint(auditor, actor="auditor", workers=1)
    owners = take_checkpoint(pg.store(), actor="treasurer", workers=1)
    assert [c.checkpoint_id for c in checkpoints(writer)] == [taken.checkpoint_id, owners.checkpoint_id] == [1, 2]
    for statement in ("DELETE FROM checkpoints", "UPDATE checkpoints SET actor = 'mallory'"):
        with pytest.raises(DBAPIError):
            with auditor.engine.begin() as conn:
                conn.execute(text(statement))
