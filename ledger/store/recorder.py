"""Recorders: the only code that speaks SQL to the events table. This module holds what both engines share.

One recorder per engine (ledger/store/sqlite.py, ledger/store/postgres.py); both honour the same contract
(tests/integration run the same tests against each). Writers are serialised so that positions
are gap-free and equal commit order: SQLite by BEGIN IMMEDIATE, PostgreSQL
by locking the ledger's one `writer_lock` row (`SELECT … FOR UPDATE`, held
to commit) before the head is read. A row lock needs UPDATE on the table,
which only the writer role has: the read-only auditor cannot take it (it
could take an advisory lock, which needs no privilege, and so stop every
write), and ledgers in two schemas of one database each have their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from ledger.canonical import GENESIS_HASH
from ledger.errors import FieldError, StoreUnavailable, ValidationFailed
from ledger.store.engine import WRITE
from ledger.store.records import FOLDED_FIELDS, Head, StoredEvent

if TYPE_CHECKING:
    from ledger.store.postgres import PostgresRecorder
    from ledger.store.sqlite import SQLiteRecorder

__all__ = ["CHUNK", "COLUMNS", "CORRECTIONS", "FOLD_COLUMNS", "SELECT_COLUMNS", "PostgresRecorder", "Recorder", "Row",
           "SQLiteRecorder", "recorder_for"]

COLUMNS: tuple[str, ...] = StoredEvent._fields  # the events table's columns, in the order rows are read and written
SELECT_COLUMNS = ", ".join(COLUMNS)
FOLD_COLUMNS = ", ".join(FOLDED_FIELDS)  # what the folds of the books read (records.FoldedEvent)
CHUNK = 500
Row = tuple[Any, ...]  # a raw driver row

CORRECTIONS = """(type = 'EventReversed' OR metadata LIKE '%"adjustment":"prior-period"%')"""
"""The corrections: every reversal, and every event recorded as a prior-period adjustment (its canonical metadata
text holds `"adjustment":"prior-period"`; a reader checks the parsed metadata too). Word for word the predicate of
the partial index ix_events_corrections (migration 0013_corrections_index), so the corrections of a log of any
length are read from that index, not by reading the log."""


class DriverCursor(Protocol):
    """The part of a DB-API cursor `select` uses (sqlite3's, or psycopg's named one)."""

    def execute(self, query: str, params: Sequence[Any], /) -> object: ...
    def fetchmany(self, size: int, /) -> list[Any]: ...
    def close(self) -> None: ...


class Recorder:
    """What both engines share: transactions, the writers' lock, the queries, the insert. A subclass per engine
    (SQLiteRecorder, PostgresRecorder) says how it marks parameters, stores dates and times, and reads in batches."""

    dialect = ""
    read_errors: tuple[type[Exception], ...] = ()  # errors of a raw driver cursor that mean the store is unavailable

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
    def writing(self, bulk: bool = False) -> Iterator[Connection]:
        """A write transaction holding the writers' lock; commits on success, rolls back on error. `bulk`: an
        import's one long transaction, on a connection set up for it (`bulk_settings`) until it has committed."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held  # inside holding_lock: its transaction, committed when it ends
            return
        try:
            with self.engine.connect().execution_options(**{WRITE: True}) as conn, \
                    (self.bulk_settings(conn) if bulk else nullcontext()), conn.begin():
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
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except (OperationalError, ProgrammingError) as exc:
            raise StoreUnavailable(_describe(exc)) from None
        except self.read_errors as exc:  # raised by a raw driver cursor (the SQLite read path)
            raise StoreUnavailable(_explain(str(exc))) from None

    def _lock(self, conn: Connection) -> None:
        pass

    @contextmanager
    def bulk_settings(self, conn: Connection) -> Iterator[None]:
        """The connection set up for one long write (an import) before its transaction begins, and put back as it
        was after it ends (the connection goes back to the pool). Nothing to set by default."""
        yield

    def settle(self) -> None:
        """After a bulk write (an import), leave the database as readers read it fastest. Best effort: the write
        is already committed, so a failure here changes nothing but speed."""

    # -- queries ------------------------------------------------------------
    def head(self, conn: Connection, as_known_at: datetime | None = None) -> Head:
        """The log's last event, or the last recorded by `as_known_at` (recorded times never run backwards)."""
        if as_known_at is None:
            row = conn.exec_driver_sql(
                "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
            ).first()
        else:
            row = conn.exec_driver_sql(
                f"SELECT position, hash, recorded_at FROM events WHERE recorded_at <= {self.mark} "
                "ORDER BY position DESC LIMIT 1", (self.recorded_param(as_known_at),)).first()
        if row is None:
            return Head(0, GENESIS_HASH, None)
        return Head(row[0], row[1], self._recorded(row[2]))

    def last_rows(self, conn: Connection) -> list[Row]:
        """The log's last two rows, newest first, as the driver gives them: what a writer checks the head's seal
        against before it appends."""
        return self.fetch(conn, f"SELECT {SELECT_COLUMNS} FROM events ORDER BY position DESC LIMIT 2")

    def head_of(self, row: Row) -> Head:
        return Head(row[0], row[11], self._recorded(row[6]))

    def stream_versions(self, conn: Connection, streams: Sequence[str]) -> dict[str, int]:
        """Each stream's last version (streams with no events are left out): one index seek per stream, so an
        append to a long stream costs what one to a short one does (a GROUP BY over `stream IN (...)` reads every
        index entry of the stream: 150 µs against 13 µs for a 781-event stream on SQLite)."""
        if not streams:
            return {}
        rows = self.fetch(conn, self.versions_query, (self.stream_list(list(streams)),))
        return {stream: version for stream, version in rows if version is not None}

    def rows_by_key(self, conn: Connection, keys: Sequence[str]) -> dict[str, Row]:
        out: dict[str, Row] = {}
        for chunk in _chunks(keys):
            marks = ", ".join([self.mark] * len(chunk))
            rows = self.fetch(conn, f"SELECT {SELECT_COLUMNS} FROM events WHERE idempotency_key IN ({marks})",
                              tuple(chunk))
            out.update({row[9]: row for row in rows})
        return out

    def fetch(self, conn: Connection, query: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one small query, through the driver's own cursor, in the connection's transaction.

        What a single append asks (the head's two rows, the keys, the streams' versions) costs the database a few
        microseconds an index seek; through SQLAlchemy's result machinery each query cost about 60 µs more, most of
        a single append's CPU. Driver errors are raised as SQLAlchemy's, as `exec_driver_sql` raises them."""
        cursor = self._driver(conn).cursor()
        try:
            cursor.execute(query, params)
            return [tuple(row) for row in cursor.fetchall()]
        except Exception as exc:
            dbapi = self.engine.dialect.loaded_dbapi
            if isinstance(exc, dbapi.Error):
                raise DBAPIError.instance(query, params, exc, dbapi.Error) from exc
            raise
        finally:
            cursor.close()

    def insert(self, conn: Connection, rows: list[Row]) -> None:
        marks = ", ".join([self.mark] * len(COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO events ({SELECT_COLUMNS}) VALUES ({marks})", rows)

    def select(self, conn: Connection, *, after: int = 0, filters: dict[str, Any] | None = None,
               batch: int = 5000, columns: str = SELECT_COLUMNS, by_stream: bool = False) -> Iterator[Row]:
        """Raw driver rows (plain tuples) in position order, fetched in batches: no per-row wrapping.

        `by_stream`: stream by stream instead (each in version order, which is its position order), straight
        from the (stream, version) index: the cheapest way to read a chosen set of streams.
        """
        where, params = self._where(after, filters or {})
        order = "stream, version" if by_stream else "position"
        cursor = self._cursor(conn, batch)
        try:
            cursor.execute(f"SELECT {columns} FROM events WHERE {where} ORDER BY {order}", tuple(params))
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()

    def _cursor(self, conn: Connection, batch: int) -> DriverCursor:
        """A driver cursor that fetches `batch` rows at a time."""
        raise NotImplementedError

    @staticmethod
    def _driver(conn: Connection) -> Any:
        """The DB-API connection under a SQLAlchemy one (the fast paths use its cursors directly)."""
        driver = conn.connection.driver_connection
        if driver is None:  # (only a connection already closed or invalidated has none)
            raise StoreUnavailable("the database connection was lost; nothing was written")
        return driver

    def stream_lengths(self, conn: Connection) -> dict[str, int]:
        """How many events each stream holds (one pass over the (stream, version) index)."""
        return dict(conn.exec_driver_sql("SELECT stream, COUNT(*) FROM events GROUP BY stream").all())

    def last_effective_date(self, conn: Connection, filters: dict[str, Any] | None = None) -> date | None:
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
        if filters.get("corrections"):  # (psycopg reads % as a parameter's mark: a literal one is written %%)
            clauses.append(CORRECTIONS if self.mark == "?" else CORRECTIONS.replace("%", "%%"))
        included = filters.get("streams")
        if included is not None:
            clauses.append(self.include_clause)
            params.append(self.stream_list(sorted(included)))
        excluded = filters.get("exclude_streams")
        if excluded:
            clauses.append(self.exclude_clause)
            params.append(self.stream_list(sorted(excluded)))
        return " AND ".join(clauses), params

    # -- engine differences -------------------------------------------------
    mark = "?"
    exclude_clause = ""  # "stream is not one of the streams in one list parameter"
    include_clause = ""  # "stream is one of the streams in one list parameter"
    versions_query = ""  # each stream of one list parameter, and its last version (NULL: none)

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


def recorder_for(engine: Engine) -> Recorder:
    """The recorder for the engine's database."""
    name = engine.dialect.name
    if name == "sqlite":
        from ledger.store.sqlite import SQLiteRecorder

        return SQLiteRecorder(engine)
    if name == "postgresql":
        from ledger.store.postgres import PostgresRecorder

        return PostgresRecorder(engine)
    raise ValueError(f"unsupported database {name!r}")


def __getattr__(name: str) -> Any:
    """SQLiteRecorder and PostgresRecorder, from the modules that hold them (the names this module used to hold)."""
    if name == "SQLiteRecorder":
        from ledger.store.sqlite import SQLiteRecorder

        return SQLiteRecorder
    if name == "PostgresRecorder":
        from ledger.store.postgres import PostgresRecorder

        return PostgresRecorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
