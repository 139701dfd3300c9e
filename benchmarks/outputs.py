"""What goes out, timed: the trial balance of a secondary co-op's books (issue 13's speed targets).

    python -m benchmarks.outputs --events 1000000 [--db URL] [--keep FILE]

Generates the books of benchmarks/queries.py (up to 100 co-ops and 2,000 members, thirty years of monthly dues
and receipts, yearly debt-share postings, indexation and reserve transfers), imports them, then times the trial
balance of every society on the last day, as `mutual accounts trial-balance --json` computes it, from a fresh
connection: from a balance checkpoint on that day (docs/accounts.md; taken first, and timed, when there is none).
`--full` also times the fold of the whole log and says whether the two agree. Prints one JSON object.
"statements" is left for the member statements' figure (benchmarks/statements.py).

`--keep FILE` keeps the generated SQLite ledger in FILE and, when FILE already holds one, reuses it instead of
generating and importing again (`import_s` is then null): generate the million events once, time them often.
"""

from __future__ import annotations

import gc
import itertools
import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click
import orjson

from benchmarks.common import fresh_store, timed
from benchmarks.queries import START, YEARS, generate
from ledger.store import EventStore, migrate
from ledger.store.engine import make_engine


@click.command()
@click.option("--events", default=1_000_000, show_default=True, help="About how many events to generate.")
@click.option("--db", default=None, help="A PostgreSQL URL (a schema is created and dropped); default: a temporary "
                                         "SQLite file.")
@click.option("--seed", default=11, show_default=True)
@click.option("--keep", default=None, type=click.Path(dir_okay=False),
              help="A SQLite file to keep the generated ledger in; reused when it already holds one.")
@click.option("--full", is_flag=True, help="Also time the trial balance folded from the whole log, and compare.")
@click.option("--after", default=0, show_default=True,
              help="Receipts to append after the checkpoint (to members' streams) before timing: the checkpoint is "
                   "carried forward over them. They stay in a --keep file: give it a copy.")
def main(events: int, db: str | None, seed: int, keep: str | None, full: bool, after: int) -> None:
    with _ledger(events, db, seed, keep) as (store, written, members, import_s):
        report = _measure(store, written, members, import_s, full, after)
    click.echo(orjson.dumps(report, option=orjson.OPT_SORT_KEYS).decode())


Ledger = tuple[EventStore, int, int, "float | None"]


def _import(store: EventStore, events: int, seed: int) -> tuple[int, int, float]:
    lines, admitted = generate(events, seed)
    with timed() as imported:
        result = store.import_lines(lines, default_actor="bench")
    del lines
    gc.collect()
    return result.written, len(admitted), imported["seconds"]


@contextmanager
def _ledger(events: int, db: str | None, seed: int, keep: str | None) -> Iterator[Ledger]:
    """The generated books, on a fresh connection (as a new `mutual` process would read them)."""
    if keep is not None:
        url = f"sqlite:///{os.path.abspath(keep)}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        store = EventStore(engine)
        import_s: float | None = None
        if store.head().position == 0:
            _, _, import_s = _import(store, events, seed)
        engine.dispose()
        store = EventStore(make_engine(url))
        with store.engine.connect() as conn:
            members = conn.exec_driver_sql("SELECT count(*) FROM events WHERE type = 'MemberAdmitted'").scalar_one()
        try:
            yield store, store.head().position, members, import_s
        finally:
            store.engine.dispose()
        return
    with fresh_store(db) as (store, _):
        written, members, seconds = _import(store, events, seed)
        if store.engine.dialect.name == "sqlite":
            url = store.engine.url.render_as_string(hide_password=False)
            store.engine.dispose()
            store = EventStore(make_engine(url))
        try:
            yield store, written, members, seconds
        finally:
            if store.engine.dialect.name == "sqlite":
                store.engine.dispose()


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _receipts(store: EventStore, count: int) -> None:
    """`count` receipts on members' streams, dated within the books, appended at the head."""
    with store.engine.connect() as conn:
        members = [r[0] for r in conn.exec_driver_sql("SELECT stream FROM events WHERE type = 'MemberAdmitted'")]
    tag = store.head().position
    lines = [orjson.dumps({"stream": stream, "type": "PaymentReceived", "effective_date": "2020-06-15",
                           "payload": {"member_id": stream[len("member-"):], "amount": "10.00", "period": "2020-06",
                                       "bank_reference": f"AFTER-{tag}-{n}"}})
             for n, stream in zip(range(count), itertools.cycle(members), strict=False)]
    store.import_lines(lines, default_actor="bench")


def _measure(store: EventStore, written: int, members: int, import_s: float | None, full: bool,
             after: int) -> dict[str, Any]:
    """The trial balance on the last day, as `mutual accounts trial-balance --json` draws it: from a balance
    checkpoint on that day (taken first when there is none, and timed), then, with --full, from the whole log."""
    from ledger.store.balances import latest_balances
    from projections.accounts import Books, Period, chain_head, take_balance_checkpoint, trial_balance, whole_log

    end = START + timedelta(days=(YEARS + 2) * 365)
    report: dict[str, Any] = {"engine": store.engine.dialect.name, "events": written, "members": members,
                              "import_s": round(import_s, 2) if import_s is not None else None, "checkpoint_s": None}
    if latest_balances(store, end, store.head().position) is None:
        with timed() as taken:
            take_balance_checkpoint(store, end, "bench")
        report["checkpoint_s"] = round(taken["seconds"], 2)
    if after:
        _receipts(store, after)
        report["appended_after_checkpoint"] = after
    store = EventStore(make_engine(store.engine.url.render_as_string(hide_password=False)))  # a fresh connection
    cpu = _cpu()
    with timed() as tb:
        head = chain_head(store, None)
        books = Books(store, None, head)
        data = trial_balance(books, Period(None, end), None, head, None)
    report.update({"trial_balance_s": round(tb["seconds"], 3), "trial_balance_cpu_s": round(_cpu() - cpu, 3),
                   "trial_balance_from_checkpoint": books.checkpoint_used,
                   "trial_balance_accounts": len(data["accounts"]), "trial_balance_balanced": data["balanced"]})
    if full:
        cpu = _cpu()
        with timed() as whole:
            folded = trial_balance(whole_log(store, None, head), Period(None, end), None, head, None)
        report.update({"trial_balance_full_fold_s": round(whole["seconds"], 2),
                       "trial_balance_full_fold_cpu_s": round(_cpu() - cpu, 2),
                       "trial_balance_same_as_full_fold": folded == data})
    store.engine.dispose()
    report.update({"load_average_1m": round(os.getloadavg()[0], 2), "statements": None})
    return report


if __name__ == "__main__":
    main()
