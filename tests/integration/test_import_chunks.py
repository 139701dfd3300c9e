"""An import is validated and sealed block by block and inserted chunk by chunk, in one transaction:
keys repeated across blocks, refusals in a later block and replays of stored events behave as in one
big block, on every engine."""

from __future__ import annotations

import os

import orjson
import pytest

from ledger.errors import IdempotencyConflict, ValidationFailed
from ledger.store import eventstore
from ledger.store.mapper import to_envelope
from ledger.store.verify import verify
from tests.factories import ACTOR, envelope, index_value


def _line(period: str, value: str = "100", key: str | None = None, **extra) -> bytes:
    line = envelope("index-RPI", "IndexValuePublished", {"series": "RPI", "period": period, "value": value}, **extra)
    if key is not None:
        line["idempotency_key"] = key
    return orjson.dumps(line)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(eventstore, "IMPORT_BLOCK", 3)
    monkeypatch.setattr(eventstore, "IMPORT_CHUNK", 5)


def test_a_key_repeated_in_a_later_chunk_with_the_same_content_is_written_once(store, small_chunks):
    lines = [_line(str(y), key=f"k{y}") for y in range(2000, 2007)] + [_line("2001", key="k2001")]
    result = store.import_lines(lines)
    assert (result.read, result.written, result.already_recorded) == (8, 7, 1)
    assert result.head.position == 7 and verify(store).intact


def test_a_key_repeated_in_a_later_chunk_with_other_content_refuses_the_whole_import(store, small_chunks):
    lines = [_line(str(y), key=f"k{y}") for y in range(2000, 2007)] + [_line("2001", value="101", key="k2001")]
    with pytest.raises(ValidationFailed) as caught:
        store.import_lines(lines)
    assert "line 8: idempotency_key: 'k2001' is used twice for different events" in str(caught.value)
    assert store.head().position == 0


def test_a_key_repeated_within_a_chunk_is_written_once_and_with_other_content_refused(store, small_chunks):
    result = store.import_lines([_line("2000", key="a"), _line("2000", key="a"), _line("2001", key="b")])
    assert (result.written, result.already_recorded) == (2, 1)
    with pytest.raises(ValidationFailed) as caught:
        store.import_lines([_line("2002", key="c"), _line("2003", key="c")])
    assert "line 2: idempotency_key: 'c' is used twice for different events" in str(caught.value)
    assert store.head() == result.head


def test_replays_of_stored_events_mixed_with_new_ones_across_chunks(store, small_chunks):
    first = store.import_lines([_line(str(y)) for y in range(2000, 2004)])
    mixed = [_line(str(y)) for y in range(2002, 2010)]  # 2002, 2003 are stored; the rest is new
    result = store.import_lines(mixed)
    assert (result.read, result.written, result.already_recorded) == (8, 6, 2)
    assert result.head.position == first.head.position + 6 and verify(store).intact
    again = store.import_lines(mixed)
    assert (again.written, again.already_recorded, again.head) == (0, 8, result.head)


def test_a_stored_key_with_other_content_is_an_idempotency_conflict(store, small_chunks):
    store.import_lines([_line("2000", key="k")])
    with pytest.raises(IdempotencyConflict):
        store.import_lines([_line("2001", key="x"), _line("2002", key="y"), _line("2003", key="z"),
                            _line("2000", value="5", key="k")])
    assert store.head().position == 1


def test_a_refused_line_in_a_later_chunk_leaves_nothing_written(store, small_chunks):
    lines = [_line(str(y)) for y in range(2000, 2010)] + [_line("2010", value="1e3")]
    with pytest.raises(ValidationFailed) as caught:
        store.import_lines(lines)
    assert "line 11: payload.value" in str(caught.value)
    assert store.head().position == 0


def test_an_export_reimports_to_the_same_head_in_small_chunks(backend, new_backend, small_chunks):
    store = backend.store()
    store.append("index-RPI", [index_value(str(y)) for y in range(1990, 2001)], metadata=ACTOR)
    store.import_lines([_line(str(y)) for y in range(2001, 2005)], default_actor="importer")
    exported = [orjson.dumps(to_envelope(e)) for e in store.read()]
    target = new_backend(backend.name).store()
    result = target.import_lines(exported)
    assert result.written == 15 and target.head() == store.head()
    assert [orjson.dumps(to_envelope(e)) for e in target.read()] == exported


def test_positions_of_an_append_with_replays_are_the_originals(store):
    events = [index_value(str(y)) for y in range(2000, 2003)]
    first = store.append("index-RPI", events, metadata=ACTOR)
    again = store.append("index-RPI", [events[1], index_value("2003"), events[0], index_value("2003")], metadata=ACTOR)
    assert first.positions == [1, 2, 3]
    assert again.positions == [2, 4, 1, 4] and again.written == 1


def test_progress_counts_every_line_read(store, small_chunks):
    told = []
    lines = [_line(str(y)) for y in range(2000, 2012)]
    store.import_lines(lines[:4])
    result = store.import_lines(lines, on_progress=told.append)
    assert sum(told) == 12 and len(told) > 1 and (result.written, result.already_recorded) == (8, 4)


def test_more_refused_lines_than_are_reported_stop_the_reading(store, small_chunks):
    lines = [_line(str(y), value="x") for y in range(2000, 2030)]
    with pytest.raises(ValidationFailed) as caught:
        store.import_lines(lines)
    assert len(caught.value.errors) == eventstore.MAX_ERRORS_REPORTED
    assert "line 20: payload.value" in str(caught.value) and "line 21:" not in str(caught.value)


def test_an_import_on_sqlite_leaves_its_write_ahead_log_emptied_into_the_database(store):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the write-ahead log is SQLite's")
    path = store.engine.url.database
    with store.engine.connect() as held:  # another reader's connection, idle: a checkpoint does not wait for it
        held.exec_driver_sql("SELECT 1")
    store.import_lines([_line(str(y)) for y in range(2000, 2050)])
    assert os.path.getsize(path + "-wal") == 0
    assert store.head().position == 50 and verify(store).intact


def test_an_import_on_sqlite_is_committed_even_when_a_reader_mid_read_keeps_the_log_from_being_emptied(store):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the write-ahead log is SQLite's")
    import sqlite3

    reader = sqlite3.connect(store.engine.url.database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM events").fetchone()  # holds its snapshot
    try:
        result = store.import_lines([_line(str(y)) for y in range(2000, 2010)])
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert result.written == 10 and store.head().position == 10 and verify(store).intact
    with store.engine.connect() as conn:  # the pooled connection's lock timeout is as it was
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_lines_given_one_at_a_time_are_read_a_block_at_a_time_and_numbered_across_blocks(store, small_chunks,
                                                                                         monkeypatch):
    pulled = []

    def lines():
        for y in range(2000, 2008):
            pulled.append(y)
            yield _line(str(y)) if y != 2006 else b"{not json"

    with pytest.raises(ValidationFailed) as caught:
        store.import_lines(lines())
    assert "line 7:" in str(caught.value) and store.head().position == 0
    assert pulled == list(range(2000, 2008))  # read on to report every refused line
    taken, seen_at_each_block = [], []
    validate = eventstore.validate_lines

    def validate_noting_how_much_was_read(block, *args, **kwargs):
        seen_at_each_block.append(len(taken))
        return validate(block, *args, **kwargs)

    def good():
        for y in range(2000, 2008):
            taken.append(y)
            yield _line(str(y))

    monkeypatch.setattr(eventstore, "validate_lines", validate_noting_how_much_was_read)
    assert store.import_lines(good()).written == 8
    assert seen_at_each_block == [3, 6, 8]  # never more than the block in hand
