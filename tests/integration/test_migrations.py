"""Migrations run both ways on both engines."""

from __future__ import annotations

from sqlalchemy import inspect

from ledger.store import migrate


def test_migrations_run_from_empty_to_head_to_base_and_back_to_head(empty_backend):
    engine = empty_backend.engine
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0014_legacy_keys_index"
    assert "events" in inspect(engine).get_table_names()
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert "events" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0014_legacy_keys_index"


def test_the_events_table_follows_the_naming_convention(backend):
    inspector = inspect(backend.engine)
    uniques = {u["name"] for u in inspector.get_unique_constraints("events")}
    assert {"uq_events_stream_version", "uq_events_idempotency_key"} <= uniques
    assert "ix_events_type_position" in {i["name"] for i in inspector.get_indexes("events")}
    if backend.name == "postgresql":
        assert inspector.get_pk_constraint("events")["name"] == "pk_events"
