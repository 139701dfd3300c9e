"""The SQLite recorder: dates as ISO text, recorded times as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); reads through a
raw sqlite3 cursor, inserts with executemany, and settles the write-ahead log after an import."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from ledger.clock import UTC
from ledger.errors import StoreUnavailable
from ledger.store.recorder import DriverCursor, Recorder

SETTLE_WAIT_MS = 1000  # how long an import's closing checkpoint waits for readers still reading
BULK_CACHE_KIB = 256 * 1024  # an import's page cache (the default is 2 MiB)


class SQLiteRecorder(Recorder):
    """SQLite keeps dates as ISO text and recorded times as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)."""

    dialect = "sqlite"
    keeps_writer = True  # (a file handle, nothing to go stale: PostgreSQL's pool checks a server connection first)
    read_errors = (sqlite3.Error,)  # raised by the raw cursor of the read path
    mark = "?"
    exclude_clause = "stream NOT IN (SELECT value FROM json_each(?))"
    include_clause = "stream IN (SELECT value FROM json_each(?))"
    versions_query = "SELECT value, (SELECT MAX(version) FROM events WHERE stream = value) FROM json_each(?)"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        # An in-memory database is its one connection (SQLAlchemy lends each thread the same one): a connection
        # kept apart from the pool would be a database of its own, which no reader sees. Such a ledger's appends
        # go through the pool, as every append did before.
        database = engine.url.database or ""
        if isinstance(engine.pool, (SingletonThreadPool, StaticPool)) or database in ("", ":memory:") \
                or "mode=memory" in database:
            self.keeps_writer = False

    def text_list(self, texts: list[str]) -> Any:
        return orjson.dumps(texts).decode()  # (what json_each reads)

    def param(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def recorded_param(self, recorded: datetime) -> Any:
        return recorded.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def recorded_param_of(self, recorded: datetime, text: str) -> Any:
        return f"{text[:10]} {text[11:-1]}"  # (2026-11-22T14:59:46.123456Z: the same time, as recorded_param writes it)

    def date_param(self, effective: str) -> Any:
        return effective

    def _recorded(self, value: Any) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def _cursor(self, conn: Connection, batch: int) -> DriverCursor:
        cursor: sqlite3.Cursor = self.driver(conn).cursor()
        cursor.arraysize = batch
        return cursor

    def settle(self) -> None:
        """Copy the write-ahead log into the database file and empty it. Until then every reader looks each page up
        in the log first: a million-event import left a 440 MB log that slowed a full replay by a third."""
        try:
            with self.engine.connect() as conn:  # no BEGIN: a checkpoint runs outside any transaction
                driver = self.driver(conn)
                (waits,) = driver.execute("PRAGMA busy_timeout").fetchone()
                driver.execute(f"PRAGMA busy_timeout = {SETTLE_WAIT_MS}")  # a reader mid-read: wait briefly
                try:
                    # First without blocking anyone: writers may append while the log is copied (after a big
                    # import, most of the time it takes); then only what they added is left to copy and truncate.
                    driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    driver.execute(f"PRAGMA busy_timeout = {int(waits)}")  # the pooled connection's lock timeout
        except (sqlite3.Error, SQLAlchemyError, StoreUnavailable):
            pass  # (busy readers, no connection to be had: the log is checkpointed later, as SQLite does by itself)

    @contextmanager
    def bulk_settings(self, conn: Connection) -> Iterator[None]:
        """A 256 MiB page cache for the import, and no automatic checkpoint at its commit; both put back after.

        With the default 2 MiB cache the indexes' pages were spilled to the write-ahead log and read back again and
        again (a raw insert: 15 µs a row, 10 µs with this cache). The automatic checkpoint would copy the whole log
        into the database inside the import's COMMIT; the import's `settle` does it just after, under a short
        busy wait, so that readers are not held up by the committing writer."""
        driver = self.driver(conn)
        (cache,) = driver.execute("PRAGMA cache_size").fetchone()
        (autocheckpoint,) = driver.execute("PRAGMA wal_autocheckpoint").fetchone()
        driver.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        driver.execute("PRAGMA wal_autocheckpoint = 0")
        try:
            yield
        finally:
            try:
                driver.execute(f"PRAGMA cache_size = {int(cache)}")  # (shrinking it lets the cache's pages go)
                driver.execute(f"PRAGMA wal_autocheckpoint = {int(autocheckpoint)}")
            except sqlite3.Error:
                conn.invalidate()  # (a connection that cannot be put back is not pooled with an import's settings)
