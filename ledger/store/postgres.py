"""The PostgreSQL recorder: writers serialised by the ledger's `writer_lock` row; big batches inserted with COPY;
the log read through a named (server-side) psycopg cursor, so it streams in batches and is never all in memory."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ledger.clock import UTC
from ledger.errors import StoreUnavailable
from ledger.store.recorder import SELECT_COLUMNS, DriverCursor, Recorder, Row

_cursor_names = itertools.count(1)  # server-side cursors need names unique per connection


class PostgresRecorder(Recorder):
    """PostgreSQL keeps dates as dates and recorded times as timestamptz."""

    dialect = "postgresql"
    mark = "%s"
    exclude_clause = "NOT (stream = ANY(%s))"
    include_clause = "stream = ANY(%s)"
    versions_query = "SELECT s, (SELECT MAX(version) FROM events WHERE stream = s) FROM unnest(%s::text[]) AS s"

    def text_list(self, texts: list[str]) -> Any:
        return texts

    def _lock(self, driver: Any) -> None:
        """Lock this ledger's writer_lock row (migration 0005_writer_lock) until commit or rollback."""
        if not self.fetch(driver, "SELECT lock_id FROM writer_lock FOR UPDATE"):
            raise StoreUnavailable("the writers' lock row (table writer_lock) is missing: run `mutual init` as the "
                                   "database owner; nothing was written")

    def settle(self) -> None:
        """Bring the planner's statistics up to date after an import. COPY leaves them as they were (autovacuum
        catches up later): after a ten-million-event import PostgreSQL guessed that `position > 0` kept 7% of the log
        and read a co-op's streams by ANDing a bitmap of the whole primary key with the streams' (530 ms a query
        instead of 5 ms), so the audit's live phase ran for over twenty minutes. `ANALYZE` samples the table (0.35 s
        at ten million). Best effort: the import is committed; a role that does not own the table is skipped with
        the server's warning, and autovacuum analyses it in time."""
        try:
            with self.engine.connect() as conn:
                driver = self.driver(conn)
                driver.execute("ANALYZE events")
                driver.commit()  # (statistics are transactional: the pool's reset would roll them back)
        except (psycopg.Error, DBAPIError, StoreUnavailable):
            pass

    def _cursor(self, conn: Connection, batch: int) -> DriverCursor:
        """A server-side cursor: the log streams in batches, never all in memory."""
        cursor: psycopg.ServerCursor[Any] = self.driver(conn).cursor(name=f"ledger_read_{next(_cursor_names)}")
        cursor.itersize = batch
        return cursor

    def recorded_param(self, recorded: datetime) -> Any:
        return recorded

    def date_param(self, effective: str) -> Any:
        return date.fromisoformat(effective)

    def _recorded(self, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def insert(self, driver: Any, rows: list[Row]) -> None:
        """An append's few rows as `Recorder.insert` writes them (one INSERT); a big batch with COPY."""
        if len(rows) < 50:
            super().insert(driver, rows)
            return
        statement = f"COPY events ({SELECT_COLUMNS}) FROM STDIN"
        cursor = driver.cursor()
        try:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:  # (as SQLAlchemy raises it: IntegrityError, OperationalError, ...)
            raise self._as_sqlalchemy(exc, statement, None) from exc
        finally:
            cursor.close()


