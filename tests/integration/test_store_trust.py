"""What the store holds against writers it does not trust: no append on a broken head (item 11), the writers'
lock that only writers can take, per ledger (item 10), commands that converge under load (item 15), and
checkpoints that only the owner or an auditor write, each one checked (item 9)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.canonical import GENESIS_HASH
from ledger.errors import ChainBroken
from ledger.store.verify import row_hash, verify
from tests.factories import ACTOR, index_value


def _insert_raw(backend, row: tuple) -> None:
    """A row written around the store, as an attacker with INSERT on the table could."""
    with backend.engine.begin() as conn:
        conn.execute(text("INSERT INTO events (position, stream, version, type, schema_version, effective_date, "
                          "recorded_at, payload, metadata, idempotency_key, prev_hash, hash) VALUES (:p, :s, :v, "
                          ":t, :sv, :e, :r, :pl, :m, :k, :ph, :h)"),
                     dict(zip(("p", "s", "v", "t", "sv", "e", "r", "pl", "m", "k", "ph", "h"), row)))


def _forged_after(store, prev_hash: str) -> tuple:
    """The last row again as position head+1, sealed by its own content but chained to `prev_hash`."""
    with store.recorder.reading() as conn:
        last = store.recorder.last_rows(store.recorder.driver(conn))[0]
    row = (last[0] + 1, "index-X", 1, last[3], last[4], last[5], last[6], last[7], last[8], "forged", prev_hash, "")
    return row[:11] + (row_hash(row, prev_hash),)


def test_an_append_on_a_row_chained_to_nothing_is_refused_and_names_it(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020"), index_value("2021")], metadata=ACTOR)
    _insert_raw(backend, _forged_after(store, GENESIS_HASH))  # its own hash holds; it follows nothing
    with pytest.raises(ChainBroken) as caught:
        store.append("index-RPI", [index_value("2022")], metadata=ACTOR)
    assert "position 3" in str(caught.value) and "prev_hash" in str(caught.value)
    with pytest.raises(ChainBroken):
        store.import_lines([])  # an import is a write like any other (even of nothing: it reads the head)
    assert verify(store).first_bad_position == 3 and store.head().position == 3


def test_an_append_on_an_intact_head_still_goes_in(backend):
    store = backend.store()
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    _insert_raw(backend, _forged_after(store, store.head().hash))  # a well-formed row written around the store
    assert store.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 3
    assert verify(store).intact


# --- item 10: the writers' lock ---------------------------------------------------------------------

OLD_ADVISORY_KEY = 7_320_451_001  # the database-wide advisory lock writers took before 0005_writer_lock


def _role_url(pg, role: str) -> str:
    return pg.url.replace("options=", f"options=-crole%3D{role}%20")


def test_an_auditor_cannot_stop_a_clerk_from_writing(backend):
    """Every lock the read-only role can take, held in an open transaction, and the clerk still writes."""
    from sqlalchemy.exc import DBAPIError

    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    if backend.name != "postgresql":
        pytest.skip("roles are a PostgreSQL feature; SQLite has file permissions")
    backend.store().append("index-RPI", [index_value("2020")], metadata=ACTOR)
    auditor = make_engine(_role_url(backend, "mutual_auditor"))
    conn = auditor.connect()
    held = conn.begin()
    try:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({OLD_ADVISORY_KEY})")  # needs no privilege at all
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({OLD_ADVISORY_KEY})")
        conn.exec_driver_sql("SELECT * FROM events")  # ACCESS SHARE on events, held to the end
        conn.exec_driver_sql("LOCK TABLE events, checkpoints IN ACCESS SHARE MODE")
        for statement in ("SELECT * FROM writer_lock FOR UPDATE", "SELECT * FROM writer_lock FOR KEY SHARE",
                          "LOCK TABLE writer_lock IN EXCLUSIVE MODE", "LOCK TABLE writer_lock IN ROW SHARE MODE",
                          "LOCK TABLE events IN SHARE MODE", "SELECT * FROM events FOR KEY SHARE"):
            savepoint = conn.begin_nested()
            with pytest.raises(DBAPIError) as caught:
                conn.exec_driver_sql(statement)
            savepoint.rollback()
            assert "permission denied" in str(caught.value), statement
        clerk = EventStore(make_engine(_role_url(backend, "mutual_writer"), lock_timeout_s=1))
        assert clerk.append("index-RPI", [index_value("2021")], metadata=ACTOR).head.position == 2
        clerk.dispose()
    finally:
        held.rollback()
        conn.exec_driver_sql(f"SELECT pg_advisory_unlock_all()")
        conn.close()
        auditor.dispose()


def test_two_ledgers_in_one_database_write_in_parallel(backend, new_backend):
    """A writer holding one ledger's lock (mid-transaction) does not hold up a clerk of another ledger."""
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    other = new_backend(backend.name)  # PostgreSQL: another schema of the same database
    one = backend.store()
    with one.recorder.writing():
        clerk = EventStore(make_engine(other.url, lock_timeout_s=1))
        assert clerk.append("index-RPI", [index_value("2020")], metadata=ACTOR).head.position == 1
        clerk.dispose()
    assert one.head().position == 0


def test_a_writer_of_one_ledger_still_waits_for_another_writer_of_the_same_ledger(backend):
    from ledger.errors import StoreUnavailable
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    one = backend.store()
    with one.recorder.writing():
        clerk = EventStore(make_engine(backend.url, lock_timeout_s=0.3))
        with pytest.raises(StoreUnavailable) as caught:
            clerk.append("index-RPI", [index_value("2020")], metadata=ACTOR)
        assert "busy" in str(caught.value)
        clerk.dispose()


# --- item 15: commands converge under load ----------------------------------------------------------


def test_eight_clerks_recording_at_once_get_every_event_in(backend):
    """Each clerk records events one at a time, as fast as it can, all eight at once through one store: every
    command is checked and written, none is given up on as "the ledger moved"."""
    import sys
    import threading
    import time

    from ledger.commands.coop import record
    from tests.factories import envelope

    store = backend.store()
    append = store.append_pending

    def append_after_checking_a_bigger_ledger(*args, **kwargs):
        time.sleep(0.002)  # a command's checks take time: on a ledger of years, milliseconds
        return append(*args, **kwargs)

    store.append_pending = append_after_checking_a_bigger_ledger
    clerks, each = 8, 20
    failures: list[BaseException] = []
    start = threading.Barrier(clerks)

    def clerk(n: int) -> None:
        start.wait()
        for i in range(each):
            line = envelope(f"index-C{n}", "IndexValuePublished", {"series": f"C{n}", "period": str(2000 + i),
                                                                    "value": "100"}, effective_date=f"{2000 + i}-01-01")
            try:
                record(store, [line], actor=f"clerk-{n}")
            except Exception as exc:  # noqa: BLE001 - every failure is the test's business
                failures.append(exc)

    threads = [threading.Thread(target=clerk, args=(n,)) for n in range(clerks)]
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # the clerks' reads, checks and appends interleave, as on a busy machine
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switching)
    assert failures == []
    report = verify(store)
    assert report.intact and report.events == clerks * each
