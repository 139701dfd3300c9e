"""A federation's thirty years: import, point query, audit, replay and appends at N events (issue 15).

    python -m benchmarks.scale --events 1000000 [--db URL] [--skip audit,replay,...] [--keep PATH]
    python -m benchmarks.scale --ledger URL --skip import ...      (measure a ledger a run kept)

Generates a federation (100 co-ops sharing the members evenly, a JAK fund's savers for a tenth of the events,
thirty years; benchmarks/generate.py `federation`) one member at a time, streamed to a JSON-lines file, so the
generator's memory does not grow with N. Then each part runs as the user runs it, in a process of its own, with
no collector or pragma setting the command lacks:

- import:  `mutual --db URL import FILE --json`, the CLI itself in a child process: `import_s`,
           `import_us_per_event` (wall) and `import_cpu_us_per_event` (user + system CPU of the process), and
           `import_peak_rss_mb`. Linearity is read off `import_us_per_event` at two sizes.
- query:   `member show` as benchmarks/queries.py times it (a fresh LedgerView each query, a new process on the
           ledger just written): `query_p50_ms`, `query_p95_ms` over `--queries` random members and dates.
- audit:   `run_audit(store, workers=...)`, as `mutual audit` calls it: `audit_s`, its CPU and peak RSS (the
           replay's worker processes included), `audit_phases_s` timed from its progress calls (each phase from
           the previous phase's last call to its own last; `after` is what follows the last call), and the
           report's own `phases` if it gives them.
- replay:  `replay_books` on the log's last date with the default workers, as the audit replays:
           `replay_per_s`.
- append:  single-event appends to a stream of `--stream-length` events (benchmarks/store.py `time_appends`):
           `append_per_s` (wall) and `append_cpu_ms` a single append; then as many keyed by their fact, as
           commands key them, on the same stream: `fact_append_per_s`, `fact_append_cpu_ms`; `--append-rounds`
           rounds of each, alternating, each round on a new stream, the highest rate and the least CPU printed
           (as benchmarks/store.py compares its rounds) and every round in `append_rounds`,
           `fact_append_rounds`. Runs last: it adds events to the ledger.

Prints one JSON object. `--skip` names parts not to run (import, query, audit, replay, append). The machine's load
average is printed beside the figures (`load_before`, `load_after`): figures are worth repeating when it is high.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import click

PARTS = ("import", "query", "audit", "replay", "append")


# -- the ledger ------------------------------------------------------------------
@contextmanager
def _ledger(url: str | None, keep: str | None, folder: str) -> Iterator[str]:
    """A migrated, empty ledger's URL: a SQLite file (in `folder`, or `keep`), or a new schema in the PostgreSQL
    database `url` names (named scale_...; dropped after unless --keep)."""
    from sqlalchemy import text

    from ledger.store import migrate
    from ledger.store.engine import make_engine

    if url is None or url.startswith("sqlite"):
        path = keep or os.path.join(folder, "federation.db")
        if os.path.exists(path):
            raise click.BadParameter(f"{path} exists already; give another --keep", param_hint="--keep")
        ledger = f"sqlite:///{path}"
        engine = make_engine(ledger)
        migrate.upgrade(engine)
        engine.dispose()
        yield ledger
        return
    schema = keep or "scale_" + uuid.uuid4().hex[:10]
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    ledger = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(ledger)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield ledger
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _child(argv: list[str]) -> tuple[str, dict[str, float]]:
    """`_run` with CPU seconds and peak RSS (MB) of that child read from wait4."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        child = subprocess.Popen(argv, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read().decode(), err_file.read().decode()
    if child.returncode != 0:
        raise click.ClickException(f"{' '.join(argv[2:6])} ... failed ({child.returncode}): {err[-3000:]}")
    return out, {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def _me(*args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.scale", *args]


# -- the parts, each in a child process -------------------------------------------
def _query(ledger: str, admitted_file: str, queries: int, seed: int) -> dict[str, Any]:
    from ledger.store import EventStore
    from ledger.store.engine import make_engine
    from projections.coop import member_show
    from projections.view import LedgerView

    with open(admitted_file) as handle:
        admitted = [(m, date.fromisoformat(on)) for m, on in json.load(handle)]
    store = EventStore(make_engine(ledger))
    rng = random.Random(seed)
    samples = []
    for _ in range(queries):
        member, on = rng.choice(admitted)
        as_of = on + timedelta(days=rng.randrange(0, 30 * 365))
        start = time.perf_counter()
        member_show(LedgerView(store), member, as_of)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    store.dispose()
    return {"queries": queries, "query_p50_ms": round(statistics.median(samples), 2),
            "query_p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 2)}


def _audit(ledger: str, workers: int | None) -> dict[str, Any]:
    from ledger.store import EventStore
    from ledger.store.engine import make_engine
    from projections.audit import run_audit

    store = EventStore(make_engine(ledger))
    t0 = time.perf_counter()
    first_seen: dict[str, float] = {}
    last_seen: dict[str, float] = {}
    counts: dict[str, int] = {}

    def progress(stage: str, n: int) -> None:
        now = time.perf_counter()
        first_seen.setdefault(stage, now)
        last_seen[stage] = now
        counts[stage] = counts.get(stage, 0) + n

    report = run_audit(store, on_progress=progress, workers=workers)
    end = time.perf_counter()
    phases: dict[str, float] = {}
    start = t0
    for stage in sorted(first_seen, key=first_seen.__getitem__):
        phases[stage] = round(last_seen[stage] - start, 2)
        start = last_seen[stage]
    phases["after"] = round(end - start, 2)
    store.dispose()
    figures: dict[str, Any] = {"audit_events": report.get("events"), "audit_phases_s": phases,
                               "audit_progress_counts": counts, "audit_discrepancies": len(report["discrepancies"])}
    for key in ("phases", "timings"):
        if key in report:
            figures["audit_report_" + key] = report[key]
    return figures


def _replay(ledger: str, workers: int | None) -> dict[str, Any]:
    from ledger.store import EventStore
    from ledger.store.engine import make_engine
    from projections.replay import Bounds, replay_books

    store = EventStore(make_engine(ledger))
    head = store.head().position
    started = time.perf_counter()
    replayed = replay_books(store, Bounds(head), None, workers)
    seconds = time.perf_counter() - started
    store.dispose()
    return {"replay_s": round(seconds, 2), "replay_per_s": round(head / seconds), "replay_workers": replayed.portions}


def _append(ledger: str, stream_length: int, appends: int, rounds: int) -> dict[str, Any]:
    from benchmarks.store import time_appends
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    store = EventStore(make_engine(ledger))
    plain, by_fact = [], []
    for r in range(rounds):  # (alternating, so that both kinds see the same disk and load)
        series = f"LONG{uuid.uuid4().hex[:8].upper()}{r}"  # a stream of its own, grown to `stream_length` first
        plain.append(time_appends(store, stream_length, appends, series=series))
        # (as commands key them: on the same stream, `appends` events longer)
        by_fact.append(time_appends(store, stream_length, appends, by_fact=True, series=series))
    store.dispose()
    figures: dict[str, Any] = _best(plain, "append")
    figures.update(_best(by_fact, "fact_append"))
    return figures


def _best(rounds: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The highest rate and the least CPU among the rounds (a shared machine's disk and load only ever slow a round;
    the two may come from different rounds), the stream's length when timing began (the same in every round: each
    has a stream of its own), and every round as [per second, CPU ms, stream length]."""
    return {f"{name}_per_s": max(r["append_per_s"] for r in rounds),
            f"{name}_cpu_ms": min(r["append_cpu_ms"] for r in rounds),
            f"{name}_stream_length": rounds[0]["append_stream_length"],
            f"{name}_rounds": [[r["append_per_s"], r["append_cpu_ms"], r["append_stream_length"]] for r in rounds]}


# -- the command ------------------------------------------------------------------
def _skips(_ctx: click.Context, _param: click.Parameter, value: str) -> set[str]:
    chosen = {part.strip() for part in value.split(",") if part.strip()}
    unknown = chosen - set(PARTS)
    if unknown:
        raise click.BadParameter(f"{', '.join(sorted(unknown))}: not a part; the parts are {', '.join(PARTS)}")
    return chosen


@click.command()
@click.option("--events", "n", type=click.IntRange(min=1000), default=1_000_000, show_default=True,
              help="About how many events the federation holds.")
@click.option("--db", "url", default=None, help="A PostgreSQL URL (a schema scale_... is made); default SQLite.")
@click.option("--skip", default="", callback=_skips, help=f"Parts not to run, comma-separated: {', '.join(PARTS)}.")
@click.option("--keep", default=None, help="Keep the ledger: a SQLite file path, or a PostgreSQL schema name.")
@click.option("--ledger", default=None, help="Measure this ledger (a URL) instead of generating one.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Audit and replay processes.")
@click.option("--queries", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--appends", type=click.IntRange(min=10), default=1000, show_default=True)
@click.option("--append-rounds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--stream-length", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", default=11, show_default=True)
@click.option("--child", type=click.Choice(["query", "audit", "replay", "append"]), default=None, hidden=True)
@click.option("--admitted", default=None, hidden=True)
def main(n: int, url: str | None, skip: set[str], keep: str | None, ledger: str | None, workers: int | None,
         queries: int, appends: int, append_rounds: int, stream_length: int, seed: int, child: str | None,
         admitted: str | None) -> None:
    if child is not None:  # one part, in a process of its own
        assert ledger is not None
        if child == "query":
            assert admitted is not None
            figures = _query(ledger, admitted, queries, seed)
        elif child == "audit":
            figures = _audit(ledger, workers)
        elif child == "replay":
            figures = _replay(ledger, workers)
        else:
            figures = _append(ledger, stream_length, appends, append_rounds)
        print(json.dumps(figures))
        return
    folder = tempfile.mkdtemp(prefix="scale-", dir=os.environ.get("TMPDIR"))
    try:
        _measure(n, url, skip, keep, ledger, workers, queries, (appends, append_rounds), stream_length, seed, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measure(n: int, url: str | None, skip: set[str], keep: str | None, ledger: str | None, workers: int | None,
             queries: int, appends: tuple[int, int], stream_length: int, seed: int, folder: str) -> None:
    """`appends`: how many in a round, and how many rounds."""
    from benchmarks.generate import FEDERATION_COOPS, federation

    figures: dict[str, Any] = {"load_before": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count()}
    admitted_file = os.path.join(folder, "admitted.json")
    common = [*(["--workers", str(workers)] if workers else [])]

    @contextmanager
    def the_ledger() -> Iterator[str]:
        if ledger is not None:
            yield ledger
        else:
            with _ledger(url, keep, folder) as made:
                yield made

    with the_ledger() as where:
        from sqlalchemy.engine import make_url

        figures["engine"] = make_url(where).get_backend_name()
        if ledger is None:
            path = os.path.join(folder, "federation.jsonl")
            members: list[tuple[str, date]] = []
            started = time.perf_counter()
            count = 0
            with open(path, "wb") as handle:
                write = handle.write
                for line in federation(n, seed=seed, admitted=members):
                    write(line)
                    write(b"\n")
                    count += 1
            figures.update({"events": count, "coops": min(FEDERATION_COOPS, len(members)), "members": len(members),
                            "file_mb": round(os.path.getsize(path) / 2**20), "generate_s":
                            round(time.perf_counter() - started, 1)})
            with open(admitted_file, "w") as handle:
                json.dump([(m, on.isoformat()) for m, on in members], handle)
            del members
            if "import" not in skip:
                out, used = _child([sys.executable, "-m", "cli.main", "--db", where, "import", path, "--json"])
                summary = json.loads(out)
                assert summary["written"] == count, summary
                figures.update({"import_s": round(used["wall"], 1),
                                "import_us_per_event": round(used["wall"] / count * 1e6, 2),
                                "import_cpu_s": round(used["cpu"], 1),
                                "import_cpu_us_per_event": round(used["cpu"] / count * 1e6, 2),
                                "import_peak_rss_mb": round(used["rss_mb"])})
            os.remove(path)
        elif "query" not in skip:
            _admitted_of(where, admitted_file)
        if "query" not in skip:
            out, used = _child(_me("--child", "query", "--ledger", where, "--admitted", admitted_file,
                                   "--queries", str(queries), "--seed", str(seed)))
            figures.update(json.loads(out))
        if "audit" not in skip:
            out, used = _child(_me("--child", "audit", "--ledger", where, *common))
            audit = json.loads(out)
            figures.update({"audit_s": round(used["wall"], 1), "audit_cpu_s": round(used["cpu"], 1),
                            "audit_peak_rss_mb": round(used["rss_mb"]), **audit})
        if "replay" not in skip:
            out, used = _child(_me("--child", "replay", "--ledger", where, *common))
            figures.update(json.loads(out))
            figures["replay_cpu_s"] = round(used["cpu"], 1)
        if "append" not in skip:
            out, used = _child(_me("--child", "append", "--ledger", where, "--appends", str(appends[0]),
                                   "--append-rounds", str(appends[1]), "--stream-length", str(stream_length)))
            figures.update(json.loads(out))
    figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures))


def _admitted_of(ledger: str, admitted_file: str) -> None:
    """(member, admission date) of every member of a ledger a run kept (what the point queries ask about)."""
    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    store = EventStore(make_engine(ledger))
    members = [(e.payload["member_id"], e.effective_date.isoformat()) for e in store.read(type="MemberAdmitted")]
    store.dispose()
    with open(admitted_file, "w") as handle:
        json.dump(members, handle)


if __name__ == "__main__":
    main()
