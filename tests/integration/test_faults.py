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
from ledger.errors import ConcurrencyConflict, LedgerMoved, StoreUnavailable
from ledger.store import EventStore
from ledger.store.engine import make_engine
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
        conn.exec_driver_sql("SELECT lock_id FROM writer_lock FOR UPDATE")  # the writers' lock
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
            store.append(f"index-W{n}x{start // batch}", [index_value(f"{2000 + i // 12}-{i % 12 + 1:02d}",
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


def test_two_clerks_admitting_two_members_to_one_dwelling_at_once_admit_one_and_refuse_the_other(backend):
    """The admissions go to two member streams; what they race for (the dwelling) is on neither. The loser's
    append finds the log moved on since it checked, checks again, and is refused because the dwelling is taken."""
    from datetime import date
    from decimal import Decimal as D

    from ledger.commands.coop import record
    from ledger.errors import ValidationFailed
    from tests.equity_fixtures import admit, dwelling, society

    store = backend.store()
    record(store, [society("coop1", on=date(2009, 1, 1)), dwelling("d1", "coop1", "100000", "1000", "300",
                                                                   on=date(2009, 6, 1))], actor=ACTOR["actor"])
    both_checked = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def clerk(member: str) -> None:
        mine = backend.store()
        append, waited = mine.append_pending, []

        def append_once_both_have_checked(*args, **kwargs):
            if not waited:  # only the first attempt waits: a second one comes after the other clerk has written
                waited.append(True)
                both_checked.wait()
            return append(*args, **kwargs)

        mine.append_pending = append_once_both_have_checked
        try:
            record(mine, [admit(member, "coop1", "d1", D("5000"), D("65000"), on=date(2010, 1, 1),
                                mortgage_id=None)], actor=f"clerk-{member}")
            outcomes[member] = "admitted"
        except ValidationFailed as exc:
            outcomes[member] = exc

    threads = [threading.Thread(target=clerk, args=(m,)) for m in ("p1", "p2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert list(outcomes.values()).count("admitted") == 1
    [refused] = [o for o in outcomes.values() if o != "admitted"]
    assert "dwelling d1 is occupied by member" in str(refused)
    assert len(list(store.read(type="MemberAdmitted"))) == 1 and verify(store).intact


def test_an_append_checked_against_an_older_head_is_refused_and_writes_nothing(backend):
    store = backend.store()
    store.append("index-M1", [index_value("2020", series="M1")], metadata=ACTOR)
    checked_at = store.head()
    store.append("index-M2", [index_value("2020", series="M2")], metadata=ACTOR)  # another clerk, meanwhile
    with pytest.raises(LedgerMoved) as moved:
        store.append("index-M1", [index_value("2021", series="M1")], metadata=ACTOR,
                     expected_head=checked_at.position)
    assert "moved on from position 1 to 2" in str(moved.value) and "run it again" in str(moved.value)
    assert isinstance(moved.value, ConcurrencyConflict)  # told to retry, as any conflict
    assert store.head().position == 2
    written = store.append("index-M1", [index_value("2021", series="M1")], metadata=ACTOR, expected_head=2)
    assert written.head.position == 3


def test_a_command_whose_log_moved_checks_again_and_records_even_events_given_as_a_generator(backend):
    from datetime import date

    from ledger.commands.coop import record
    from tests.equity_fixtures import society

    store = backend.store()
    append, moved = store.append_pending, []

    def another_clerk_appends_first(*args, **kwargs):
        if not moved:  # between this command's checks and its append
            moved.append(backend.store().append("index-M1", [index_value("2020", series="M1")], metadata=ACTOR))
        return append(*args, **kwargs)

    store.append_pending = another_clerk_appends_first
    result = record(store, (e for e in [society("coop1", on=date(2009, 1, 1))]), actor="clerk")
    assert (result.checked, result.written) == (1, 1) and moved
    assert [e.type for e in store.read()] == ["IndexValuePublished", "SocietyRegistered"]


def test_an_append_of_events_all_recorded_already_is_a_replay_however_the_log_moved(backend):
    store = backend.store()
    first = store.append("index-M1", [index_value("2020", series="M1", key="k-2020")], metadata=ACTOR)
    store.append("index-M2", [index_value("2020", series="M2")], metadata=ACTOR)
    again = store.append("index-M1", [index_value("2020", series="M1", key="k-2020")], metadata=ACTOR,
                         expected_head=0)
    assert again.written == 0 and again.positions == first.positions and store.head().position == 2
