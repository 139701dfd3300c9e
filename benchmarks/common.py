"""Helpers shared by the benchmarks: fresh databases and a timer."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import text

from ledger.store import EventStore, migrate
from ledger.store.engine import make_engine


@contextmanager
def fresh_store(url: str | None):
    """A migrated, empty ledger: a temporary SQLite file, or a new schema in the given PostgreSQL."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "bench.db")
            engine = make_engine(f"sqlite:///{path}")
            migrate.upgrade(engine)
            yield EventStore(engine), path
            engine.dispose()
        return
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{sep}options=-csearch_path%3D{schema}")
    try:
        migrate.upgrade(engine)
        yield EventStore(engine), schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def timed():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start
