"""Store benchmark: import, append and read, against raw-driver baselines in the same run.

    python -m benchmarks.store --events 1000000 [--db URL]

Prints one JSON object. `import_ratio` = import_per_s / raw_insert_per_s and
`read_ratio` = read_per_s / raw_read_per_s, where the baselines insert the
very same rows with the raw driver (sqlite3 executemany, or psycopg COPY)
into an identical table, and read them back with a raw SELECT + json.loads.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import tempfile

import click

from benchmarks.common import fresh_store, timed
from benchmarks.generate import store_lines
from ledger.store import NewEvent
from ledger.store.recorder import SELECT_COLUMNS


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
@click.option("--appends", type=click.IntRange(min=10), default=2000, show_default=True)
@click.option("--db", "url", default=None, help="A PostgreSQL URL to measure there instead of SQLite.")
def main(n: int, appends: int, url: str | None) -> None:
    lines = store_lines(n)
    with fresh_store(url) as (store, where):
        gc.collect()
        gc.disable()
        with timed() as imported:
            result = store.import_lines(lines)
        gc.enable()
        assert result.written == n
        with timed() as read:
            count = sum(1 for _ in store.read())
        assert count == n
        rows = list(store.read_raw())
        from datetime import date

        from ledger.events.coop import IndexValuePublished

        with timed() as appended:
            for i in range(appends):
                store.append("index-BENCH", [NewEvent(IndexValuePublished(series="BENCH", period=f"{1000 + i // 12 + 1}"
                                                      if False else f"{2000 + i}", value="100"),
                                                      date(2000, 1, 1), f"append-{i}")],
                             expected_version=i, metadata={"actor": "bench"})
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
            "append_per_s": round(appends / appended["seconds"]),
            "read_per_s": round(n / read["seconds"]),
            "raw_insert_per_s": round(raw_insert),
            "raw_read_per_s": round(raw_read),
        }
        figures["import_ratio"] = round(figures["import_per_s"] / figures["raw_insert_per_s"], 3)
        figures["read_ratio"] = round(figures["read_per_s"] / figures["raw_read_per_s"], 3)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
