"""`mutual import` streams its file a read at a time (never all held), in one transaction: a bad line in the last
block writes nothing, keys repeat across blocks as in one block, progress is told, the collector and SQLite's
settings are put back as they were; on every engine (issue 15)."""

from __future__ import annotations

import gc
import io

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import store_commands
from cli.main import cli
from ledger.errors import IdempotencyConflict, ValidationFailed
from ledger.store import eventstore
from ledger.store.verify import verify
from tests.factories import ACTOR, envelope, index_value


def _line(period: str, value: str = "100", key: str | None = None) -> bytes:
    extra = {} if key is None else {"idempotency_key": key}
    payload = {"series": "RPI", "period": period, "value": value}
    return orjson.dumps(envelope("index-RPI", "IndexValuePublished", payload, "2000-01-01", metadata={"actor": "clerk"},
                                 **extra))


@pytest.fixture
def small_reads(monkeypatch):
    """Blocks of 3 lines, chunks of 5 rows, reads of 64 bytes (a line is longer): many of each in a small file."""
    monkeypatch.setattr(eventstore, "IMPORT_BLOCK", 3)
    monkeypatch.setattr(eventstore, "IMPORT_CHUNK", 5)
    monkeypatch.setattr(store_commands, "READ_SIZE", 64)


def _import(backend, path, *extra):
    return CliRunner().invoke(cli, ["--db", backend.url, "import", str(path), "--json", *extra])


def test_a_bad_line_in_the_last_block_of_a_file_writes_nothing(backend, tmp_path, small_reads):
    path = tmp_path / "events.jsonl"
    lines = [_line(str(y)) for y in range(1990, 2020)] + [_line("2020", value="1e5")]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = _import(backend, path)
    assert result.exit_code != 0 and "line 31: payload.value" in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert backend.store().head().position == 0


def test_a_file_imported_in_many_reads_and_again_is_written_once(backend, tmp_path, small_reads):
    path = tmp_path / "events.jsonl"
    lines = [_line(str(y), key=f"k{y}") for y in range(1990, 2020)]
    lines.insert(17, _line("1991", key="k1991"))  # a key repeated blocks later, same content: a replay
    path.write_bytes(b"\r\n".join(lines) + b"\r\n\r\n")
    first = _import(backend, path)
    assert first.exit_code == 0, first.output
    assert orjson.loads(first.output)["written"] == 30 and orjson.loads(first.output)["already_recorded"] == 1
    again = _import(backend, path)
    assert orjson.loads(again.output)["written"] == 0 and orjson.loads(again.output)["already_recorded"] == 31
    assert backend.store().head().position == 30 and verify(backend.store()).intact


def test_a_key_repeated_blocks_later_with_other_content_refuses_the_file(backend, tmp_path, small_reads):
    path = tmp_path / "events.jsonl"
    lines = [_line(str(y), key=f"k{y}") for y in range(1990, 2020)] + [_line("1991", value="7", key="k1991")]
    path.write_bytes(b"\n".join(lines))  # (no line ending at the end)
    result = _import(backend, path)
    assert result.exit_code != 0 and "used twice for different events" in result.output + result.stderr
    assert backend.store().head().position == 0


def test_stdin_is_streamed_too(backend, small_reads):
    data = b"\n".join(_line(str(y)) for y in range(1990, 2000))
    result = CliRunner().invoke(cli, ["--db", backend.url, "import", "-", "--json"], input=data)
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["written"] == 10


def test_progress_is_told_every_event_of_a_streamed_file(store, small_reads):
    told: list[int] = []
    handle = io.BytesIO(b"\n".join(_line(str(y)) for y in range(1990, 2020)))
    result = store.import_lines(store_commands._lines(handle), on_progress=told.append)
    assert result.written == 30 and sum(told) == 30 and len(told) > 1


def test_an_import_puts_the_collector_back_as_it_found_it(store, small_reads):
    assert gc.isenabled()
    seen = []
    validate = eventstore.validate_lines

    def noting(*args, **kwargs):
        seen.append(gc.isenabled())
        return validate(*args, **kwargs)

    eventstore.validate_lines = noting
    try:
        store.import_lines([_line(str(y)) for y in range(1990, 2000)])
        assert gc.isenabled() and seen and not any(seen)  # off while importing, on again after
        with pytest.raises(ValidationFailed):
            store.import_lines([_line("2001", value="x")])
        assert gc.isenabled()
        gc.disable()
        try:
            store.import_lines([_line(str(y)) for y in range(2000, 2010)])
            assert not gc.isenabled()  # (a caller that had it off keeps it off)
        finally:
            gc.enable()
    finally:
        eventstore.validate_lines = validate


def test_an_import_on_sqlite_puts_the_connection_s_cache_and_checkpointing_back(store, small_reads):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's page cache and write-ahead log")
    with store.engine.connect() as conn:
        before = (conn.exec_driver_sql("PRAGMA cache_size").scalar(),
                  conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())
    store.import_lines([_line(str(y)) for y in range(1990, 2000)])
    with store.engine.connect() as conn:  # (the pool's one connection: the one the import used)
        after = (conn.exec_driver_sql("PRAGMA cache_size").scalar(),
                 conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())
    assert after == before


@pytest.fixture
def filtered_keys(monkeypatch):
    """The written keys kept by the Bloom filter almost at once, in a filter so small that it often says yes."""
    monkeypatch.setattr(eventstore._WrittenKeys, "EXACT_UP_TO", 2)
    monkeypatch.setattr(eventstore._WrittenKeys, "BITS", 5)


def test_keys_past_the_exact_set_are_still_told_apart(store, small_reads, filtered_keys):
    lines = [_line(str(y), key=f"k{y}") for y in range(1990, 2030)] + [_line("1995", key="k1995")]
    result = store.import_lines(lines)
    assert (result.written, result.already_recorded) == (40, 1) and verify(store).intact
    with pytest.raises(ValidationFailed, match="used twice"):
        store.import_lines([_line(str(y), key=f"n{y}") for y in range(1990, 2030)]
                           + [_line("1995", value="5", key="n1995")])
    with pytest.raises(IdempotencyConflict):  # a key recorded before this import, not one it wrote
        store.import_lines([_line(str(y), key=f"m{y}") for y in range(1990, 2030)] + [_line("1996", key="k1995")])
    assert store.head().position == 40
    again = store.append("index-RPI", [index_value("2150")], metadata=ACTOR)
    assert again.written == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60) | st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n", b" "]), max_size=40)
       .map(b"".join), st.integers(min_value=1, max_value=9))
def test_reading_a_bit_at_a_time_gives_the_lines_reading_it_all_gives(data, size):
    assert list(store_commands._lines(io.BytesIO(data), size)) == data.splitlines()


def test_a_very_long_stream_of_keys_in_the_filter_answers_no_for_most_unseen_keys():
    keys = eventstore._WrittenKeys()
    keys.update(f"seen-{i}" for i in range(200_000))
    assert keys.exact is None and all(f"seen-{i}" in keys for i in range(0, 200_000, 7))
    assert sum(f"unseen-{i}" in keys for i in range(100_000)) < 10


def test_the_scale_benchmark_s_federation_imports_whole_and_lists_its_members(store):
    from benchmarks.generate import federation

    admitted: list = []
    lines = list(federation(6000, coops=3, admitted=admitted))
    result = store.import_lines(lines)
    assert result.written == len(lines) > 5000 and len(admitted) == 6
    assert {e.payload["coop_id"] for e in store.read(type="MemberAdmitted")} == {"c000", "c001", "c002"}


def test_an_import_leaves_postgresqls_planner_knowing_the_log(backend, tmp_path):
    """COPY leaves the statistics as they were; the import's settle analyses the table, so the next query is
    planned for the log as it now is (docs/store.md, "Import")."""
    if backend.store().engine.dialect.name != "postgresql":
        pytest.skip("SQLite's planner keeps no statistics the import would leave behind")
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(_line(str(y)) for y in range(1700, 2000)) + b"\n")
    assert _import(backend, path).exit_code == 0
    with backend.store().engine.connect() as conn:
        analysed = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass").scalar()
    assert analysed == 300
