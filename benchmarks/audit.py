"""Audit replay benchmark: rebuild every projection from one pass over the log.

    python -m benchmarks.audit --events 1000000 [--db URL] [--full]

Prints one JSON object: `events`, `replay_per_s` (read, decode and fold the
whole log into every co-op's and fund's books), and as a baseline measured in
the same run `raw_read_per_s` (raw SELECT + json.loads of every payload) with
`replay_ratio`. With --full it also times `mutual audit` end to end (verify,
scratch rebuild, replay, live comparison) as `audit_s`.
"""

from __future__ import annotations

import gc
import json
import sqlite3

import click

from benchmarks.common import fresh_store, timed
from benchmarks.queries import generate
from ledger.store.recorder import SELECT_COLUMNS


@click.command()
@click.option("--events", "n", type=click.IntRange(min=1000), default=100_000, show_default=True)
@click.option("--db", "url", default=None, help="A PostgreSQL URL to measure there instead of SQLite.")
@click.option("--full", is_flag=True, help="Also time the whole `mutual audit` (verify, scratch rebuild, compare).")
def main(n: int, url: str | None, full: bool) -> None:
    from projections.audit import books, run_audit
    from projections.view import ReplayView

    lines, _ = generate(n)
    with fresh_store(url) as (store, where):
        result = store.import_lines(lines, default_actor="bench")
        del lines
        gc.collect()
        with timed() as replay:
            view = ReplayView(store.read())
            as_of = max(e.effective_date for events in view._streams.values() for e in events)
            totals = books(view, as_of)
        del view
        gc.collect()
        if store.engine.dialect.name == "sqlite":
            db = sqlite3.connect(where)
            with timed() as raw:
                for row in db.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY position"):
                    json.loads(row[7])
            db.close()
        else:
            conn = store.engine.raw_connection()
            with timed() as raw:
                cursor = conn.driver_connection.cursor(name="raw_read")
                cursor.itersize = 5000
                cursor.execute(f"SELECT {SELECT_COLUMNS} FROM events ORDER BY position")
                for row in cursor:
                    json.loads(row[7])
                cursor.close()
            conn.close()
        figures = {
            "engine": store.engine.dialect.name,
            "events": result.written,
            "coops": len(totals["coops"]),
            "replay_s": round(replay["seconds"], 2),
            "replay_per_s": round(result.written / replay["seconds"]),
            "raw_read_per_s": round(result.written / raw["seconds"]),
        }
        figures["replay_ratio"] = round(figures["replay_per_s"] / figures["raw_read_per_s"], 3)
        if full:
            with timed() as audit:
                report = run_audit(store)
            figures["audit_s"] = round(audit["seconds"], 2)
            figures["discrepancies"] = len(report["discrepancies"])
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
