"""What goes out, timed: the trial balance of a secondary co-op's books (issue 13's speed targets).

    python -m benchmarks.outputs --events 1000000 [--db URL]

Generates the books of benchmarks/queries.py (up to 100 co-ops and 2,000 members, thirty years of monthly dues
and receipts, yearly debt-share postings, indexation and reserve transfers), imports them, then times the trial
balance of every society on the last day, as `mutual accounts trial-balance --json` computes it, from a fresh
connection. Prints one JSON object. "statements" is left for the member statements' figure (not timed here).
"""

from __future__ import annotations

import gc
from datetime import timedelta

import click
import orjson

from benchmarks.common import fresh_store, timed
from benchmarks.queries import START, YEARS, generate
from ledger.store import EventStore
from ledger.store.engine import make_engine


@click.command()
@click.option("--events", default=1_000_000, show_default=True, help="About how many events to generate.")
@click.option("--db", default=None, help="A PostgreSQL URL (a schema is created and dropped); default: a temporary "
                                         "SQLite file.")
@click.option("--seed", default=11, show_default=True)
def main(events: int, db: str | None, seed: int) -> None:
    from projections.accounts import Period, chain_head, trial_balance, whole_log

    lines, admitted = generate(events, seed)
    with fresh_store(db) as (store, _):
        with timed() as imported:
            result = store.import_lines(lines, default_actor="bench")
        del lines
        gc.collect()
        if store.engine.dialect.name == "sqlite":  # as a fresh `mutual` process would: a new connection
            url = store.engine.url.render_as_string(hide_password=False)
            store.engine.dispose()
            store = EventStore(make_engine(url))
        end = START + timedelta(days=(YEARS + 2) * 365)
        with timed() as tb:
            head = chain_head(store, None)
            data = trial_balance(whole_log(store, None, head), Period(None, end), None, head, None)
        report = {
            "engine": "sqlite" if db is None or db.startswith("sqlite") else "postgresql",
            "events": result.written,
            "members": len(admitted),
            "import_s": round(imported["seconds"], 2),
            "trial_balance_s": round(tb["seconds"], 2),
            "trial_balance_accounts": len(data["accounts"]),
            "trial_balance_balanced": data["balanced"],
            "statements": None,
        }
        if store.engine.dialect.name == "sqlite":
            store.engine.dispose()
    click.echo(orjson.dumps(report, option=orjson.OPT_SORT_KEYS).decode())


if __name__ == "__main__":
    main()
