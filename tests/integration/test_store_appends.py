"""Single appends: what the kept write connection, the head seen again, and the trimmed checks must never change
(docs/store.md, "Appends")."""

from __future__ import annotations

import os
import threading

import pytest

from ledger.errors import ChainBroken, ConcurrencyConflict, StoreUnavailable, ValidationFailed
from ledger.store.verify import verify
from tests.factories import ACTOR, index_value, tamper


def _other_clerk(backend):
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    return EventStore(make_engine(backend.url, lock_timeout_s=0.5))


def test_an_append_the_books_refuse_leaves_no_lock_and_no_transaction_behind(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    with pytest.raises(ConcurrencyConflict):
        store.append("index-RPI", [index_value("2021")], expected_version=0, metadata=ACTOR)
    with pytest.raises(ValidationFailed):
        store.append("index-RPI", [index_value("2021", key="has space")], metadata=ACTOR)
    clerk = _other_clerk(backend)
    try:  # (a lock left held would make this wait half a second and fail as busy)
        assert clerk.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 2
    finally:
        clerk.dispose()
    assert store.append("index-RPI", [index_value("2022")], expected_version=2, metadata=ACTOR).head.position == 3
    assert verify(store).intact


def test_an_append_waiting_on_another_writer_fails_as_busy_and_the_next_one_goes_in(backend):
    store = _other_clerk(backend)
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    holder = backend.store()
    with holder.recorder.writing():
        with pytest.raises(StoreUnavailable) as caught:
            store.append("index-RPI", [index_value("2021")], metadata=ACTOR)
        assert "busy" in str(caught.value)
    assert store.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 2
    store.dispose()


def test_a_thread_keeps_one_connection_for_its_appends_outside_the_pool(backend):
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL appends take a pooled connection, checked alive first")
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    kept = store.recorder._kept.driver
    for year in ("2021", "2022"):
        store.append("index-RPI", [index_value(year)], metadata=ACTOR)
    assert store.recorder._kept.driver is kept and not kept.in_transaction
    assert store.engine.pool.checkedout() == 0
    store.dispose()  # closes it: the next append makes another
    assert store.append("index-RPI", [index_value("2023")], metadata=ACTOR).head.position == 4
    assert store.recorder._kept.driver is not kept


def test_a_kept_connection_closed_under_the_store_is_replaced(backend):
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL appends take a pooled connection, checked alive first")
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    store.recorder._kept.driver.close()
    assert store.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 2
    assert verify(store).intact


def test_a_connection_the_database_fails_on_fails_one_append_by_name_and_is_never_used_again(backend, monkeypatch):
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL appends take a pooled connection, checked alive first")
    import sqlite3

    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    failing = store.recorder._kept.driver
    real_run = store.recorder._run

    def disk_fails_on_commit(driver, statement):
        if statement == "COMMIT" and driver is failing:
            raise store.recorder._as_sqlalchemy(sqlite3.OperationalError("disk I/O error"), statement, ())
        real_run(driver, statement)

    monkeypatch.setattr(store.recorder, "_run", disk_fails_on_commit)
    with pytest.raises(StoreUnavailable) as caught:
        store.append("index-RPI", [index_value("2021")], metadata=ACTOR)
    assert "disk I/O error" in str(caught.value) and "nothing was written" in str(caught.value)
    assert store.head().position == 1  # rolled back
    assert store.recorder._kept.driver is None  # closed and forgotten
    assert store.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 2
    assert verify(store).intact


def test_threads_sharing_one_store_leave_a_gap_free_chain(backend):
    store = backend.store()
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                store.append(f"index-T{n}", [index_value(str(2000 + i), series=f"T{n}")], expected_version=i,
                             metadata=ACTOR)
        except BaseException as exc:  # pragma: no cover - what the test looks for
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert [e.position for e in store.read()] == list(range(1, 46))
    assert verify(store).intact


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_appends_on_a_connection_of_its_own(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)  # the parent's connection, kept
    store.engine.dispose(close=False)  # (what a forking caller does for the pool: SQLAlchemy's advice)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            store.engine.dispose(close=False)
            code = 0 if store.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 2 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.append("index-RPI", [index_value("2022")], metadata=ACTOR).head.position == 3
    assert verify(store).intact


def test_the_store_that_wrote_the_head_still_refuses_to_append_on_it_once_altered(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020"), index_value("2021")], metadata=ACTOR)
    tamper(backend, "UPDATE events SET payload = replace(payload, '100.0', '999.0') WHERE position = 2")
    with pytest.raises(ChainBroken) as caught:
        store.append("index-RPI", [index_value("2022")], metadata=ACTOR)
    assert "position 2" in str(caught.value) and "altered" in str(caught.value)
    assert store.head().position == 2


def test_the_store_that_wrote_the_head_still_refuses_a_head_given_another_hash(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    tamper(backend, "UPDATE events SET hash = '" + "a" * 64 + "' WHERE position = 1")
    with pytest.raises(ChainBroken):
        store.append("index-RPI", [index_value("2021")], metadata=ACTOR)


def test_an_append_under_a_derived_key_looks_for_legacy_keys_in_their_own_index(backend):
    """A `fact:` key's append asks whether its fact is recorded under a legacy `content:` key on its stream: from
    ix_events_legacy_keys (empty in a ledger begun since), not from every event of the stream."""
    from sqlalchemy import text

    from ledger.store.recorder import LEGACY_KEYS

    store = backend.store()
    store.append("index-RPI", [index_value(str(y)) for y in range(1950, 2000)], metadata=ACTOR)
    query = (f"SELECT stream, type, schema_version, effective_date, payload, position FROM events "
             f"WHERE stream IN ({'?' if backend.name == 'sqlite' else '%s'}) AND {LEGACY_KEYS} ORDER BY position")
    with store.engine.connect() as conn:
        if backend.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query, ("index-RPI",)).all()
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = conn.exec_driver_sql("EXPLAIN " + query, ("index-RPI",)).all()
    assert "ix_events_legacy_keys" in " ".join(str(row) for row in plan)


def test_an_in_memory_ledger_reads_back_what_it_appended():
    """An in-memory database is its one connection: appends are not moved to a connection of their own."""
    from ledger.store import EventStore, migrate

    store = EventStore("sqlite://")
    assert not store.recorder.keeps_writer
    migrate.upgrade(store.engine)
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    store.append("index-RPI", [index_value("2021")], expected_version=1, metadata=ACTOR)
    assert store.head().position == 2 and [e.position for e in store.read()] == [1, 2]
    assert verify(store).intact
    store.dispose()
