"""The event store's contract, written once and run on every backend."""

from __future__ import annotations

import threading

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.errors import ConcurrencyConflict, IdempotencyConflict, ValidationFailed
from ledger.store.verify import verify
from tests.factories import ACTOR, envelope, index_value, society, tamper


def test_an_append_to_a_new_stream_gets_position_and_version_one(store):
    result = store.append("society-coop1", [society()], expected_version=0, metadata=ACTOR)
    assert result.positions == [1] and result.written == 1
    [event] = list(store.read())
    assert (event.position, event.version, event.stream) == (1, 1, "society-coop1")
    assert event.metadata == {"actor": "test-clerk"}
    assert event.recorded_at.tzinfo is not None


def test_an_append_expecting_no_stream_conflicts_once_the_stream_exists(store):
    store.append("society-coop1", [society()], expected_version=0, metadata=ACTOR)
    with pytest.raises(ConcurrencyConflict) as caught:
        store.append("society-coop1", [society(key="other")], expected_version=0, metadata=ACTOR)
    assert "retry" in str(caught.value)
    assert store.head().position == 1


def test_an_append_expecting_an_exact_version_succeeds_only_at_that_version(store):
    store.append("index-RPI", [index_value("2020")], expected_version=0, metadata=ACTOR)
    store.append("index-RPI", [index_value("2021")], expected_version=1, metadata=ACTOR)
    with pytest.raises(ConcurrencyConflict):
        store.append("index-RPI", [index_value("2022")], expected_version=1, metadata=ACTOR)
    store.append("index-RPI", [index_value("2022")], expected_version=None, metadata=ACTOR)
    assert store.stream_version("index-RPI") == 3


def test_a_batch_is_all_or_nothing(store):
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    before = store.head()
    with pytest.raises(ValidationFailed):
        store.import_lines([
            orjson.dumps(envelope("index-RPI", "IndexValuePublished", {"series": "RPI", "period": "2021", "value": "101"})),
            orjson.dumps(envelope("index-RPI", "IndexValuePublished", {"series": "RPI", "period": "2022", "value": 1.5})),
        ])
    assert store.head() == before


def test_a_retry_with_the_same_key_and_content_returns_the_original_positions(store):
    first = store.append("index-RPI", [index_value("2020"), index_value("2021")], metadata=ACTOR)
    again = store.append("index-RPI", [index_value("2020"), index_value("2021")], expected_version=0, metadata=ACTOR)
    assert again.positions == first.positions == [1, 2]
    assert again.written == 0
    assert store.head() == first.head


def test_the_same_key_with_different_content_is_refused_and_writes_nothing(store):
    store.append("index-RPI", [index_value("2020", "100.0", key="k")], metadata=ACTOR)
    head = store.head()
    with pytest.raises(IdempotencyConflict) as caught:
        store.append("index-RPI", [index_value("2020", "100.5", key="k")], metadata=ACTOR)
    assert "k" in str(caught.value) and "position 1" in str(caught.value)
    assert store.head() == head


def test_the_database_itself_refuses_to_update_or_delete_an_event(backend):
    store = backend.store()
    store.append("society-coop1", [society()], metadata=ACTOR)
    for statement in ("UPDATE events SET payload = '{}' WHERE position = 1", "DELETE FROM events"):
        with pytest.raises(DBAPIError) as caught:
            with backend.engine.begin() as conn:
                conn.execute(text(statement))
        assert "append-only" in str(caught.value)
    assert verify(store).intact


def test_verify_names_the_first_altered_position_after_the_triggers_are_bypassed(backend):
    store = backend.store()
    store.append("index-RPI", [index_value(str(y)) for y in range(2000, 2010)], metadata=ACTOR)
    assert verify(store).intact
    tamper(backend, "UPDATE events SET payload = replace(payload, '100', '999') WHERE position = 4")
    report = verify(store)
    assert not report.intact
    assert report.first_bad_position == 4
    assert report.head_position == 3


def test_verify_notices_a_rewritten_chain_that_skips_a_stream_version(backend):
    store = backend.store()
    store.append("index-RPI", [index_value(str(y)) for y in range(2000, 2004)], metadata=ACTOR)
    tamper(backend, "UPDATE events SET version = 7 WHERE position = 3")
    report = verify(store)
    assert report.first_bad_position == 3 and "version" in report.problem


def test_concurrent_writers_leave_a_gap_free_log_in_commit_order(backend):
    writers, per_writer = 4, 25
    seen: list[int] = []
    done = threading.Event()

    def tail():
        store = backend.store()
        last = 0
        while True:
            finished = done.is_set()
            for event in store.read(after=last):
                assert event.position == last + 1, "a tailing reader skipped a position"
                last = event.position
                seen.append(last)
            if finished:
                return

    def write(n: int):
        store = backend.store()
        for i in range(per_writer):
            store.append(f"index-W{n}", [index_value(str(2000 + i), series=f"W{n}")], metadata=ACTOR)

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join()
    store = backend.store()
    positions = [e.position for e in store.read()]
    assert positions == list(range(1, writers * per_writer + 1))
    assert seen == positions
    assert verify(store).intact


def test_recorded_times_never_run_backwards_even_if_the_clock_does(backend):
    from datetime import datetime, timezone

    times = iter([datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2029, 1, 1, tzinfo=timezone.utc)])
    store = backend.store(clock=lambda: next(times))
    store.append("index-RPI", [index_value("2020")], metadata=ACTOR)
    store.append("index-RPI", [index_value("2021")], metadata=ACTOR)
    first, second = store.read()
    assert second.recorded_at >= first.recorded_at
    assert verify(store).intact


def test_an_event_on_the_wrong_kind_of_stream_is_refused(store):
    with pytest.raises(ValidationFailed) as caught:
        store.append("member-m1", [society()], metadata=ACTOR)
    assert "stream" in str(caught.value)
    assert store.head().position == 0


def test_an_event_without_an_actor_is_refused(store):
    with pytest.raises(ValidationFailed) as caught:
        store.append("society-coop1", [society()], metadata={})
    assert "metadata.actor" in str(caught.value)
