"""Audit replay benchmark: rebuild every co-op's and fund's books from the log.

    python -m benchmarks.audit --events 1000000 [--db URL] [--workers N] [--full]

The log is a secondary co-op's thirty years (benchmarks/queries.py) and, for
`--fund-share` of the events (default 10%), a JAK fund's savers
(benchmarks/generate.py). Prints one JSON object: `events`, `replay_per_s`
(the replay `mutual audit` runs: the co-ops and funds shared out among
worker processes, each reading its share of the log, decoding and folding
it into the books on the log's last effective date; projections/replay.py),
`replay_one_process_per_s` (the
same fold in one process), and as a baseline measured in the same run
`raw_read_per_s` (one raw SELECT + json.loads of every payload) with
`replay_ratio`, and `core_scaling`: how much plain Python work the replay's
worker count gets done at once, in units of one process (2.0 would be two
whole cores; the parallel replay cannot beat it). With --full it also times `mutual audit` end to end as a user
runs it (the CLI in a process of its own, on the same database): `audit_s` (wall), `audit_cpu_s` (all its
processes), `audit_phases` (its `--timings`: verify, replay, checkpoints, live) and `audit_peak_rss_mb` (the largest
of its processes).
The log is generated and imported by a child process, so that the process
that replays has not just freed gigabytes of generated events (which
`mutual audit` never has).
"""

from __future__ import annotations

import gc
import json
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor

import click

from benchmarks.common import fresh_store, timed
from benchmarks.generate import fund_savers
from benchmarks.queries import generate
from ledger.store.engine import source_url
from ledger.store.recorder import SELECT_COLUMNS
from projections.replay import _context


def _spin(_: int = 0) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - started


def core_scaling(workers: int) -> float:
    """How much work `workers` processes get done together, in units of one process alone (ideal: `workers`)."""
    alone = min(_spin() for _ in range(2))
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        each = list(pool.map(_spin, range(workers)))
    return sum(alone / t for t in each)


def _generate_and_import(url: str, n: int, fund_share: float) -> int:
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    fund_events = int(n * fund_share)
    lines = generate(n - fund_events)[0] + (fund_savers(fund_events) if fund_events else [])
    engine = make_engine(url)
    try:
        return EventStore(engine).import_lines(lines, default_actor="bench").written
    finally:
        engine.dispose()


_AS_A_USER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, check=False)
wall = time.perf_counter() - started
used = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(done.stderr.decode()[-2000:])
print(json.dumps({"code": done.returncode, "wall": wall, "cpu": used.ru_utime + used.ru_stime,
                  "peak_kb": used.ru_maxrss, "out": done.stdout.decode()}))
"""


def _audit_as_a_user_runs_it(url: str, workers: int | None) -> dict:
    """`mutual audit --json --timings` as a user runs it, in a process of its own (started from a small one that
    measures it, so that no other child of the benchmark counts): wall-clock and CPU seconds, phases, peak RSS (the
    largest of the audit's processes)."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "cli.main", "--db", url, "audit", "--json", "--timings"]
    if workers:
        command += ["--workers", str(workers)]
    measured = json.loads(subprocess.run([sys.executable, "-c", _AS_A_USER, *command], capture_output=True,
                                         check=True).stdout)
    if measured["code"] not in (0, 1):
        raise SystemExit("mutual audit failed")
    report = json.loads(measured["out"])
    return {"audit_s": round(measured["wall"], 2), "audit_cpu_s": round(measured["cpu"], 2),
            "audit_phases": report["timings"], "audit_peak_rss_mb": round(measured["peak_kb"] / 1024),
            "discrepancies": len(report["discrepancies"])}


@click.command()
@click.option("--events", "n", type=click.IntRange(min=1000), default=100_000, show_default=True)
@click.option("--db", "url", default=None, help="A PostgreSQL URL to measure there instead of SQLite.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Replay processes (default: one per core).")
@click.option("--fund-share", type=click.FloatRange(0, 0.9), default=0.1, show_default=True,
              help="The part of the events that are the fund's.")
@click.option("--full", is_flag=True, help="Also time `mutual audit` end to end, through the CLI, with its phases.")
def main(n: int, url: str | None, workers: int | None, fund_share: float, full: bool) -> None:
    from projections.replay import Bounds, default_workers, replay_books

    with fresh_store(url) as (store, where):
        # The log is generated and imported by a child process: generating a million events leaves gigabytes
        # of freed heap behind, which `mutual audit` never has and the replay's forked workers would inherit.
        with ProcessPoolExecutor(max_workers=1, mp_context=_context()) as pool:
            written = pool.submit(_generate_and_import, source_url(store.engine), n, fund_share).result()
        bounds = Bounds(store.head().position)
        with timed() as replay:  # on the log's last date, asked of the database beside the plan (no date given)
            replayed = replay_books(store, bounds, None, workers)
        gc.collect()
        with timed() as one_process:
            one = replay_books(store, bounds, None, 1)
        assert replayed.as_of == one.as_of, "the parallel replay and the one-process replay fold on different dates"
        assert one.books == replayed.books, "the parallel replay and the one-process replay differ"
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
            "events": written,
            "coops": len(replayed.books["coops"]),
            "funds": len(replayed.books["funds"]),
            "workers": replayed.portions,
            "cores": default_workers(),
            "replay_s": round(replay["seconds"], 2),
            "replay_per_s": round(written / replay["seconds"]),
            "replay_one_process_per_s": round(written / one_process["seconds"]),
            "raw_read_per_s": round(written / raw["seconds"]),
        }
        figures["replay_ratio"] = round(figures["replay_per_s"] / figures["raw_read_per_s"], 3)
        figures["core_scaling"] = round(core_scaling(replayed.portions), 2)
        if full:
            figures.update(_audit_as_a_user_runs_it(source_url(store.engine), workers))
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
