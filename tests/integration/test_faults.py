"""Faults: killed imports, busy locks, full disks and racing clerks leave an intact store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import event, text

from benchmarks.generate import store_lines
from ledger.errors import ConcurrencyConflict, StoreUnavailable
from ledger.store import EventStore
from ledger.store.engine import make_engine
from ledger.store.recorder import _ADVISORY_KEY
from ledger.store.verify import verify
from tests.factories import ACTOR, index_value


def _import(url: str, path: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli.main", "--db", url, "import", path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_an_import_killed_halfway_commits_nothing_and_a_rerun_completes_it_once(backend, tmp_path):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    before = store.head()
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(store_lines(100_000)) + b"\n")
    process = _import(backend.url, str(path))
    time.sleep(1.5)
    assert process.poll() is None, "the import finished before it could be killed; make the file bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert store.head() == before, "a killed import left part of itself behind"
    assert verify(store).intact
    finished = _import(backend.url, str(path))
    out, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err.decode()
    assert store.head().position == before.position + 100_000
    again = _import(backend.url, str(path))
    out, _ = again.communicate(timeout=300)
    assert b"0 written, 100000 already recorded" in out
    assert verify(store).intact


def test_a_lock_held_too_long_gives_a_clear_error_and_an_intact_store(backend):
    store = EventStore(make_engine(backend.url, lock_timeout_s=0.3))
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    before = store.head()
    if backend.name == "sqlite":
        holder = sqlite3.connect(backend.url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = lambda: (holder.execute("ROLLBACK"), holder.close())  # noqa: E731
    else:
        engine = make_engine(backend.url)
        conn = engine.connect()
        transaction = conn.begin()
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_KEY})")
        release = lambda: (transaction.rollback(), conn.close(), engine.dispose())  # noqa: E731
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.append("index-RPI", [index_value("2021")], metadata=ACTOR)
        assert "busy" in str(caught.value) and "nothing was written" in str(caught.value)
    finally:
        release()
    assert store.head() == before
    store.append("index-RPI", [index_value("2021")], metadata=ACTOR)
    assert verify(store).intact


def test_a_full_disk_gives_a_clear_error_and_an_intact_store(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    before = store.head()
    if backend.name == "sqlite":
        engine = make_engine(backend.url)

        @event.listens_for(engine, "connect")
        def _small_disk(dbapi_connection, _record):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 1}")

        full = EventStore(engine)
    else:
        with backend.engine.begin() as conn:
            conn.execute(text("CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
                              "BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
                              "USING ERRCODE = 'disk_full'; END $$"))
            conn.execute(text("CREATE TRIGGER disk_full BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION disk_full()"))
        full = backend.store()
    with pytest.raises(StoreUnavailable) as caught:
        full.import_lines(store_lines(3000))
    assert "space" in str(caught.value) or "full" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    if backend.name == "postgresql":
        with backend.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER disk_full ON events"))
    assert store.head() == before
    assert verify(store).intact


def test_two_clerks_appending_to_one_member_stream_one_wins_the_other_is_told_to_retry(backend):
    store = backend.store()
    store.append("index-M1", [index_value("2020", series="M1")], metadata=ACTOR)
    version = store.stream_version("index-M1")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def clerk(n: int) -> None:
        mine = backend.store()
        barrier.wait()
        try:
            mine.append("index-M1", [index_value(f"202{n + 1}", series="M1", key=f"clerk-{n}")],
                        expected_version=version, metadata={"actor": f"clerk{n}"})
            outcomes.append("won")
        except ConcurrencyConflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("won") == 1
    [conflict] = [o for o in outcomes if o != "won"]
    assert "retry" in str(conflict)
    assert store.stream_version("index-M1") == version + 1


@pytest.mark.slow
def test_eight_writers_of_ten_thousand_events_leave_a_gap_free_valid_chain(backend):
    if backend.name != "postgresql":
        pytest.skip("the many-writer test is for PostgreSQL (SQLite has one writer at a time by design)")
    writers, per_writer, batch = 8, 10_000, 100

    def write(n: int) -> None:
        store = backend.store()
        for start in range(0, per_writer, batch):
            store.append(f"index-W{n}", [index_value(f"{2000 + i // 12}-{i % 12 + 1:02d}",
                                                     series=f"W{n}x{start // batch}", key=f"w{n}-{start + i}")
                                         for i in range(batch)], metadata=ACTOR)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = backend.store()
    report = verify(store)
    assert report.intact and report.events == writers * per_writer
    with backend.engine.connect() as conn:
        positions = conn.execute(text("SELECT MIN(position), MAX(position), COUNT(*) FROM events")).one()
    assert tuple(positions) == (1, writers * per_writer, writers * per_writer)
