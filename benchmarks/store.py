"""Store benchmark: import, append and read, against raw-driver baselines in the same run.

    python -m benchmarks.store --events 1000000 [--db URL] [--appends 1000] [--stream-length 1000]

Prints one JSON object. `import_ratio` = import_per_s / raw_insert_per_s and
`read_ratio` = read_per_s / raw_read_per_s, where the baselines insert the
very same rows with the raw driver (sqlite3 executemany, or psycopg COPY)
into an identical table, and read them back with a raw SELECT + json.loads.
The import is `EventStore.import_lines` as `mutual import` calls it, with no
collector or pragma setting of the benchmark's own.

Appends: `--appends` single-event appends (one `EventStore.append` each, with
its expected version) to a stream already `--stream-length` events long:
`append_per_s` (wall) and `append_cpu_ms` (this process's CPU, user and
system, a single append); then once as many keyed by their fact, as commands
key an event given no key, on the same (now longer) stream: `fact_append_per_s`
and `fact_append_cpu_ms` (such an append also asks whether its fact is held
under a legacy key: docs/store.md, "Appends"). With the `eventsourcing` library installed (the
optional extra `peers`), its SQLite application does the same on the same
machine in the same run, one event saved at a time to an aggregate of
`--stream-length` events: `peer_append_per_s` and `peer_append_cpu_ms` (on
PostgreSQL runs too: the peer is always on SQLite). Without it, `peer` says
why. With `--rounds R` the two take turns R times and the best round of
each is reported (both saw the same load), every round under `rounds`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from datetime import date

import click

from benchmarks.common import fresh_store, timed
from benchmarks.generate import store_lines
from ledger.events.coop import IndexValuePublished
from ledger.store import EventStore, NewEvent
from ledger.store.envelope import model_fact_key
from ledger.store.recorder import SELECT_COLUMNS


def _long_event(i: int, by_fact: bool = False, series: str = "LONG") -> NewEvent:
    """The i-th event of one long stream: an index value a month from January 1900 (the months start again after
    300 years, the ledger's range of dates; each event is its own by its value and key). `by_fact`: keyed as a
    command keys an event given no key, by its fact (`fact:` and the fact's hash), which asks on each append whether
    the fact was recorded under a legacy key; else by a key of its own."""
    year = 1900 + (i // 12) % 300
    payload = IndexValuePublished(series=series, period=f"{year}-{i % 12 + 1:02d}", value=f"{100 + i}")
    on = date(year, 1, 1)
    key = model_fact_key(f"index-{series}", payload, on) if by_fact else f"{series.lower()}-{i}"
    return NewEvent(payload, on, key)


def time_appends(store: EventStore, stream_length: int, appends: int, by_fact: bool = False,
                 series: str = "LONG") -> dict[str, float]:
    """Single-event appends to `index-<series>`, grown first to `stream_length` events in one append. `by_fact`: the
    events keyed by their fact, as commands key them."""
    stream = f"index-{series}"
    version = store.stream_version(stream)
    if version < stream_length:
        store.append(stream, [_long_event(i, series=series) for i in range(version, stream_length)],
                     expected_version=version, metadata={"actor": "bench"})
        version = stream_length
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(version, version + appends):
        store.append(stream, [_long_event(i, by_fact, series)], expected_version=i, metadata={"actor": "bench"})
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"append_per_s": round(appends / wall), "append_cpu_ms": round(cpu / appends * 1000, 3),
            "append_stream_length": version}


class _Peer:
    """The `eventsourcing` library's SQLite application with one aggregate of `stream_length` events (None: the
    library is not installed)."""

    def __init__(self, folder: str, stream_length: int) -> None:
        from eventsourcing.application import Application
        from eventsourcing.domain import Aggregate, event

        class Series(Aggregate):  # type: ignore[misc]
            @event("Published")
            def publish(self, period: str, value: str) -> None:
                pass

        self.app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                    "SQLITE_DBNAME": os.path.join(folder, "peer.db")})
        self.series = Series()
        for i in range(stream_length - 1):
            self.series.publish(f"{1900 + i // 12}-{i % 12 + 1:02d}", "100")
        self.app.save(self.series)

    def time(self, appends: int) -> dict[str, float]:
        series, save = self.series, self.app.save
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(appends):
            series.publish(f"{2000 + i // 12}-{i % 12 + 1:02d}", "100")
            save(series)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return {"peer_append_per_s": round(appends / wall), "peer_append_cpu_ms": round(cpu / appends * 1000, 3)}


def compare_appends(store: EventStore, stream_length: int, appends: int, rounds: int) -> dict[str, object]:
    """Our appends and, if the `eventsourcing` library is installed, the peer's, in `rounds` alternating rounds of
    `appends` each: on a shared machine the best round of each is the figure to compare (both saw the same load)."""
    ours = [time_appends(store, stream_length, appends)]
    by_fact = time_appends(store, stream_length, appends, by_fact=True)
    try:
        import eventsourcing.application  # noqa: F401
    except ImportError:
        peer_rounds = None
    else:
        peer_rounds = []
    with tempfile.TemporaryDirectory() as folder:
        peer = _Peer(folder, stream_length) if peer_rounds is not None else None
        if peer is not None and peer_rounds is not None:
            peer_rounds.append(peer.time(appends))
        for _ in range(rounds - 1):
            ours.append(time_appends(store, stream_length, appends))
            if peer is not None and peer_rounds is not None:
                peer_rounds.append(peer.time(appends))
        if peer is not None:
            peer.app.close()
    figures: dict[str, object] = {
        "append_per_s": max(r["append_per_s"] for r in ours), "append_cpu_ms": min(r["append_cpu_ms"] for r in ours),
        "append_stream_length": stream_length, "append_rounds": rounds,
        "fact_append_per_s": by_fact["append_per_s"], "fact_append_cpu_ms": by_fact["append_cpu_ms"],
        "fact_append_stream_length": by_fact["append_stream_length"]}
    if peer_rounds is None:
        figures["peer"] = "eventsourcing not installed (pip install -e '.[peers]')"
        return figures
    from importlib.metadata import version as installed

    figures.update({"peer": f"eventsourcing {installed('eventsourcing')}, SQLite",
                    "peer_append_per_s": max(r["peer_append_per_s"] for r in peer_rounds),
                    "peer_append_cpu_ms": min(r["peer_append_cpu_ms"] for r in peer_rounds)})
    if rounds > 1:
        figures["rounds"] = {"ours": [(r["append_per_s"], r["append_cpu_ms"]) for r in ours],
                             "peer": [(r["peer_append_per_s"], r["peer_append_cpu_ms"]) for r in peer_rounds]}
    return figures


def _raw_sqlite(rows: list[tuple], ddl: list[str]) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(os.path.join(folder, "raw.db"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        for statement in ddl:
            db.execute(statement)
        marks = ", ".join("?" * 12)
        with timed() as insert:
            db.execute("BEGIN")
            db.executemany(f"INSERT INTO events ({SELECT_COLUMNS}) VALUES ({marks})", rows)
            db.execute("COMMIT")
        loads = json.loads
        with timed() as read:
            for row in db.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY position"):
                loads(row[7])
        db.close()
    return len(rows) / insert["seconds"], len(rows) / read["seconds"]


def _raw_postgres(store, rows: list[tuple]) -> tuple[float, float]:
    conn = store.engine.raw_connection()
    try:
        cursor = conn.driver_connection.cursor()
        cursor.execute("CREATE TEMP TABLE raw_events (LIKE events INCLUDING ALL)")
        with timed() as insert:
            with cursor.copy(f"COPY raw_events ({SELECT_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.driver_connection.commit()
        loads = json.loads
        with timed() as read:
            named = conn.driver_connection.cursor(name="raw_read")
            named.itersize = 5000
            named.execute(f"SELECT {SELECT_COLUMNS} FROM raw_events ORDER BY position")
            for row in named:
                loads(row[7])
            named.close()
        conn.driver_connection.rollback()
    finally:
        conn.close()
    return len(rows) / insert["seconds"], len(rows) / read["seconds"]


@click.command()
@click.option("--events", "n", type=click.IntRange(min=1000), default=100_000, show_default=True)
@click.option("--appends", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--stream-length", type=click.IntRange(min=1), default=1000, show_default=True,
              help="How long the stream appended to is before the timed appends.")
@click.option("--rounds", type=click.IntRange(min=1), default=1, show_default=True,
              help="Alternating rounds of --appends, ours then the peer's; the best round of each is reported.")
@click.option("--db", "url", default=None, help="A PostgreSQL URL to measure there instead of SQLite.")
def main(n: int, appends: int, stream_length: int, rounds: int, url: str | None) -> None:
    lines = store_lines(n)
    with fresh_store(url) as (store, where):
        with timed() as imported:
            result = store.import_lines(lines)
        assert result.written == n
        with timed() as read:
            count = sum(1 for _ in store.read())
        assert count == n
        rows = list(store.read_raw())
        appended = compare_appends(store, stream_length, appends, rounds)
        if store.engine.dialect.name == "sqlite":
            ddl = [r[0] for r in sqlite3.connect(where).execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL")]
            raw_insert, raw_read = _raw_sqlite(rows, ddl)
        else:
            raw_insert, raw_read = _raw_postgres(store, rows)
        figures = {
            "engine": store.engine.dialect.name,
            "events": n,
            "import_per_s": round(n / imported["seconds"]),
            **appended,
            "read_per_s": round(n / read["seconds"]),
            "raw_insert_per_s": round(raw_insert),
            "raw_read_per_s": round(raw_read),
        }
        figures["import_ratio"] = round(figures["import_per_s"] / figures["raw_insert_per_s"], 3)
        figures["read_ratio"] = round(figures["read_per_s"] / figures["raw_read_per_s"], 3)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
