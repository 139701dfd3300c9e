"""Recorders: the only code that speaks SQL to the events table.

One recorder per engine; both honour the same contract (tests/integration
run the same tests against each). Writers are serialised so that positions
are gap-free and equal commit order: SQLite by BEGIN IMMEDIATE, PostgreSQL
by locking the ledger's one `writer_lock` row (`SELECT … FOR UPDATE`, held
to commit) before the head is read. A row lock needs UPDATE on the table,
which only the writer role has: the read-only auditor cannot take it (it
could take an advisory lock, which needs no privilege, and so stop every
write), and ledgers in two schemas of one database each have their own.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Iterable, Iterator, Optional, Sequence

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from ledger.clock import UTC
from ledger.errors import FieldError, StoreUnavailable, ValidationFailed
from ledger.store.engine import WRITE
from ledger.store.records import Head

COLUMNS = ("position", "stream", "version", "type", "schema_version", "effective_date", "recorded_at",
           "payload", "metadata", "idempotency_key", "prev_hash", "hash")
SELECT_COLUMNS = ", ".join(COLUMNS)
# What the folds of the books read (ledger/store/records.py FoldedEvent).
FOLD_COLUMNS = "position, stream, type, schema_version, effective_date, payload"
CHUNK = 500
SETTLE_WAIT_MS = 1000  # how long an import's closing checkpoint waits for readers still reading (SQLite)
_cursor_names = itertools.count(1)  # server-side cursors need names unique per connection


class Recorder:
    dialect = ""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held = threading.local()  # per thread: the write transaction `holding_lock` keeps open, if any

    # -- transactions -------------------------------------------------------
    @contextmanager
    def holding_lock(self) -> Iterator[None]:
        """Hold the writers' lock until the block ends: one write transaction that this thread's reads and writes
        through this recorder all join, so that nothing another writer does can come between what a command
        read and what it appends. Commits at the end of the block, rolls everything back on an error."""
        if getattr(self._held, "conn", None) is not None:
            yield  # (already held: the outer block commits)
            return
        with self.writing() as conn:
            self._held.conn = conn
            try:
                yield
            finally:
                self._held.conn = None

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction holding the writers' lock; commits on success, rolls back on error."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held  # inside holding_lock: its transaction, committed when it ends
            return
        try:
            with self.engine.connect().execution_options(**{WRITE: True}) as conn:
                with conn.begin():
                    self._lock(conn)
                    yield conn
        except IntegrityError:
            raise
        except (OperationalError, ProgrammingError) as exc:
            raise StoreUnavailable(_describe(exc)) from None
        except DBAPIError as exc:
            if getattr(exc, "connection_invalidated", False) or _is_resource_error(exc):
                raise StoreUnavailable(_describe(exc)) from None
            raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held  # inside holding_lock: read under the lock, in the transaction that will append
            return
        try:
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn
        except (OperationalError, ProgrammingError) as exc:
            raise StoreUnavailable(_describe(exc)) from None
        except sqlite3.Error as exc:  # raised by the raw cursor of the SQLite read path
            raise StoreUnavailable(_explain(str(exc))) from None

    def _lock(self, conn: Connection) -> None:
        pass

    def settle(self) -> None:
        """After a bulk write (an import), leave the database as readers read it fastest. Best effort: the write
        is already committed, so a failure here changes nothing but speed."""

    # -- queries ------------------------------------------------------------
    def head(self, conn: Connection) -> Head:
        row = conn.exec_driver_sql(
            "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
        ).first()
        if row is None:
            return Head(0, "0" * 64, None)
        return Head(row[0], row[1], self._recorded(row[2]))

    def last_rows(self, conn: Connection) -> list[tuple]:
        """The log's last two rows, newest first, as the driver gives them: what a writer checks the head's seal
        against before it appends."""
        return [tuple(row) for row in conn.exec_driver_sql(
            f"SELECT {SELECT_COLUMNS} FROM events ORDER BY position DESC LIMIT 2")]

    def head_of(self, row: tuple) -> Head:
        return Head(row[0], row[11], self._recorded(row[6]))

    def stream_versions(self, conn: Connection, streams: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(streams):
            marks = ", ".join([self.mark] * len(chunk))
            rows = conn.exec_driver_sql(
                f"SELECT stream, MAX(version) FROM events WHERE stream IN ({marks}) GROUP BY stream",
                tuple(chunk),
            )
            out.update({stream: version for stream, version in rows})
        return out

    def rows_by_key(self, conn: Connection, keys: Sequence[str]) -> dict[str, tuple]:
        out: dict[str, tuple] = {}
        for chunk in _chunks(keys):
            marks = ", ".join([self.mark] * len(chunk))
            rows = conn.exec_driver_sql(
                f"SELECT {SELECT_COLUMNS} FROM events WHERE idempotency_key IN ({marks})", tuple(chunk)
            )
            out.update({row[9]: tuple(row) for row in rows})
        return out

    def insert(self, conn: Connection, rows: list[tuple]) -> None:
        marks = ", ".join([self.mark] * len(COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO events ({SELECT_COLUMNS}) VALUES ({marks})", rows)

    def select(self, conn: Connection, *, after: int = 0, filters: Optional[dict[str, Any]] = None,
               batch: int = 5000, columns: str = SELECT_COLUMNS) -> Iterator[tuple]:
        """Raw driver rows (plain tuples) in position order, fetched in batches: no per-row wrapping."""
        where, params = self._where(after, filters or {})
        cursor = self._cursor(conn, batch)
        try:
            cursor.execute(f"SELECT {columns} FROM events WHERE {where} ORDER BY position", tuple(params))
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def _cursor(self, conn: Connection, batch: int):
        """A driver cursor that fetches `batch` rows at a time."""
        raise NotImplementedError

    def stream_lengths(self, conn: Connection) -> dict[str, int]:
        """How many events each stream holds (one pass over the (stream, version) index)."""
        return dict(conn.exec_driver_sql("SELECT stream, COUNT(*) FROM events GROUP BY stream").all())

    def last_effective_date(self, conn: Connection, filters: Optional[dict[str, Any]] = None) -> Optional[date]:
        """The latest effective date among the events the filters select (None: there are none)."""
        where, params = self._where(0, filters or {})
        found = conn.exec_driver_sql(f"SELECT MAX(effective_date) FROM events WHERE {where}", tuple(params)).scalar()
        return date.fromisoformat(found) if isinstance(found, str) else found

    def _where(self, after: int, filters: dict[str, Any]) -> tuple[str, list[Any]]:
        clauses, params = [f"position > {self.mark}"], [after]
        mapping = {
            "stream": "stream = {}", "type": "type = {}", "date_from": "effective_date >= {}",
            "date_to": "effective_date <= {}", "to_position": "position <= {}",
            "recorded_to": "recorded_at <= {}",
        }
        for name, clause in mapping.items():
            value = filters.get(name)
            if value is None:
                continue
            if isinstance(value, str) and "\x00" in value:
                raise ValidationFailed([FieldError(name, "contains a NUL character, which no stream or type has")])
            clauses.append(clause.format(self.mark))
            params.append(self.param(value))
        excluded = filters.get("exclude_streams")
        if excluded:
            clauses.append(self.exclude_clause)
            params.append(self.stream_list(sorted(excluded)))
        return " AND ".join(clauses), params

    # -- engine differences -------------------------------------------------
    mark = "?"
    exclude_clause = ""  # "stream is not one of the streams in one list parameter"

    def stream_list(self, streams: list[str]) -> Any:
        """A list of streams as one query parameter (any number of them)."""
        raise NotImplementedError

    def param(self, value: Any) -> Any:
        return value

    def recorded_param(self, recorded: datetime) -> Any:
        """A recorded time as this engine stores it."""
        raise NotImplementedError

    def date_param(self, effective: str) -> Any:
        """An effective date (ISO text) as this engine stores it."""
        raise NotImplementedError

    def _recorded(self, value: Any) -> datetime:
        raise NotImplementedError


class SQLiteRecorder(Recorder):
    """SQLite keeps dates as ISO text and recorded times as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)."""

    dialect = "sqlite"
    mark = "?"
    exclude_clause = "stream NOT IN (SELECT value FROM json_each(?))"

    def stream_list(self, streams: list[str]) -> Any:
        return json.dumps(streams)

    def param(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        if isinstance(value, date):
            return value.isoformat()
        return value

    def recorded_param(self, recorded: datetime) -> Any:
        return recorded.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def date_param(self, effective: str) -> Any:
        return effective

    def _recorded(self, value: Any) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def _cursor(self, conn: Connection, batch: int):
        cursor = conn.connection.driver_connection.cursor()
        cursor.arraysize = batch
        return cursor

    def settle(self) -> None:
        """Copy the write-ahead log into the database file and empty it. Until then every reader looks each page up
        in the log first: a million-event import left a 440 MB log that slowed a full replay by a third."""
        try:
            with self.engine.connect() as conn:  # no BEGIN: a checkpoint runs outside any transaction
                driver = conn.connection.driver_connection
                (waits,) = driver.execute("PRAGMA busy_timeout").fetchone()
                driver.execute(f"PRAGMA busy_timeout = {SETTLE_WAIT_MS}")  # a reader mid-read: wait briefly
                try:
                    driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    driver.execute(f"PRAGMA busy_timeout = {int(waits)}")  # the pooled connection's lock timeout
        except (sqlite3.Error, SQLAlchemyError):
            pass  # (busy readers, no connection to be had: the log is checkpointed later, as SQLite does by itself)

    def insert(self, conn: Connection, rows: list[tuple]) -> None:
        marks = ", ".join(["?"] * len(COLUMNS))
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(f"INSERT INTO events ({SELECT_COLUMNS}) VALUES ({marks})", rows)
        except Exception as exc:
            import sqlite3

            if isinstance(exc, sqlite3.IntegrityError):
                raise IntegrityError("INSERT INTO events", None, exc) from exc
            if isinstance(exc, sqlite3.OperationalError):
                raise OperationalError("INSERT INTO events", None, exc) from exc
            raise
        finally:
            cursor.close()


class PostgresRecorder(Recorder):
    dialect = "postgresql"
    mark = "%s"
    exclude_clause = "NOT (stream = ANY(%s))"

    def stream_list(self, streams: list[str]) -> Any:
        return streams

    def _lock(self, conn: Connection) -> None:
        """Lock this ledger's writer_lock row (migration 0005_writer_lock) until commit or rollback."""
        if conn.exec_driver_sql("SELECT lock_id FROM writer_lock FOR UPDATE").first() is None:
            raise StoreUnavailable("the writers' lock row (table writer_lock) is missing: run `mutual init` as the "
                                   "database owner; nothing was written")

    def _cursor(self, conn: Connection, batch: int):
        """A server-side cursor: the log streams in batches, never all in memory."""
        cursor = conn.connection.driver_connection.cursor(name=f"ledger_read_{next(_cursor_names)}")
        cursor.itersize = batch
        return cursor

    def recorded_param(self, recorded: datetime) -> Any:
        return recorded

    def date_param(self, effective: str) -> Any:
        return date.fromisoformat(effective)

    def _recorded(self, value: Any) -> datetime:
        return value.astimezone(UTC)

    def insert(self, conn: Connection, rows: list[tuple]) -> None:
        if len(rows) < 50:
            return super().insert(conn, rows)
        cursor = conn.connection.driver_connection.cursor()
        try:
            with cursor.copy(f"COPY events ({SELECT_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except Exception as exc:
            import psycopg

            if isinstance(exc, psycopg.errors.IntegrityError):
                raise IntegrityError("COPY events", None, exc) from exc
            if isinstance(exc, psycopg.OperationalError):
                raise OperationalError("COPY events", None, exc) from exc
            raise
        finally:
            cursor.close()


def recorder_for(engine: Engine) -> Recorder:
    name = engine.dialect.name
    if name == "sqlite":
        return SQLiteRecorder(engine)
    if name == "postgresql":
        return PostgresRecorder(engine)
    raise ValueError(f"unsupported database {name!r}")


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _is_resource_error(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return any(word in message for word in ("disk", "full", "locked", "timeout", "space", "i/o"))


def _describe(exc: DBAPIError) -> str:
    text_ = str(getattr(exc, "orig", exc)).strip()
    return _explain(text_.splitlines()[0] if text_ else str(exc))


def _explain(message: str) -> str:
    lowered = message.lower()
    if "locked" in lowered or "lock timeout" in lowered or "canceling statement due to lock" in lowered:
        return f"the ledger is busy (another writer holds the lock): {message}; nothing was written, try again"
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return "the ledger's tables are missing: run `mutual init` on this database first"
    if "full" in lowered or "space" in lowered:
        return f"the database has no space left: {message}; nothing was written"
    return f"the database could not complete the request: {message}; nothing was written"
