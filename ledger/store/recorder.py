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

import functools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from ledger.canonical import GENESIS_HASH
from ledger.errors import FieldError, StoreUnavailable, ValidationFailed
from ledger.store.engine import WRITE
from ledger.store.keys import LEGACY_KEY_PREFIX
from ledger.store.records import FOLDED_FIELDS, Head, StoredEvent

if TYPE_CHECKING:
    from ledger.store.postgres import PostgresRecorder
    from ledger.store.sqlite import SQLiteRecorder

__all__ = ["CHUNK", "COLUMNS", "CORRECTIONS", "FOLD_COLUMNS", "LEGACY_KEYS", "SELECT_COLUMNS", "PostgresRecorder",
           "Recorder", "Row", "SQLiteRecorder", "recorder_for"]

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


LEGACY_KEYS = f"substr(idempotency_key, 1, {len(LEGACY_KEY_PREFIX)}) = '{LEGACY_KEY_PREFIX}'"
"""The events recorded under a legacy `content:` key. Word for word the predicate of the partial index
ix_events_legacy_keys (migration 0014_legacy_keys_index), so an append under a derived key looks for its fact among
the legacy events of its stream in that index (empty in a ledger begun since), not among all the stream's events."""


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
    keeps_writer = False  # whether a thread's appends run on a connection it keeps (`appending`)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held = threading.local()  # per thread: the write transaction `holding_lock` keeps open, if any
        self._kept = threading.local()  # per thread: the DB-API connection its appends run on, if `keeps_writer`
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error  # the base of the driver's errors

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
        with _store_errors(), self.engine.connect().execution_options(**{WRITE: True}) as conn, \
                (self.bulk_settings(conn) if bulk else nullcontext()), conn.begin():
            self._lock(self.driver(conn))
            yield conn

    @contextmanager
    def appending(self, bulk: bool = False) -> Iterator[Any]:
        """The DB-API connection an append is written on, in a write transaction holding the writers' lock; commits
        on success, rolls back on error. The appends' own queries go to the driver (`fetch`, `insert`), never
        through SQLAlchemy.

        Inside `holding_lock`, the held transaction. Otherwise, where the engine keeps a writer (SQLite), this
        thread's own connection, kept between appends, with its transaction begun and committed by the driver:
        taking a connection from SQLAlchemy's pool, beginning and committing through it and giving it back cost
        about 70 µs of Python an append, a third of a single append's CPU (docs/store.md, "Appends"). The kept
        connection takes no place in the pool; a forked process makes its own (a connection is never used across a
        fork); one that fails is closed and forgotten, so it is never used broken. An import (`bulk`), an append
        inside this thread's own append, and PostgreSQL (whose pool checks a server connection is alive before
        lending it) go through `writing`."""
        held = getattr(self._held, "conn", None)
        driver = None if held is not None or bulk or not self.keeps_writer else self._kept_driver()
        if driver is None:
            with self.writing(bulk) as conn:
                yield self.driver(conn)
            return
        try:
            self._run(driver, "BEGIN IMMEDIATE")
            yield driver
            self._run(driver, "COMMIT")
        except BaseException as exc:
            self._roll_back(driver, broken=isinstance(exc, (DBAPIError, self._driver_error)))
            if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
                raise _unavailable(exc) from None
            raise

    def _kept_driver(self) -> Any:
        """This thread's kept connection, made if it has none or has lost it (None: it is in a transaction
        already)."""
        kept: Any = getattr(self._kept, "driver", None)
        if kept is not None and self._kept.pid != os.getpid():
            _INHERITED.append(kept)  # (the parent's, after a fork: never used, never closed here)
            kept = None
        if kept is not None:
            try:
                return None if kept.in_transaction else kept
            except self._driver_error:  # (closed under us: a new one)
                pass
        with _store_errors():
            pooled = self.engine.raw_connection()  # (set up by the engine's connect event, as pooled ones are)
        pooled.detach()
        kept = self._kept.driver = pooled.dbapi_connection
        self._kept.pid = os.getpid()
        return kept

    def _roll_back(self, driver: Any, broken: bool) -> None:
        """End a failed append's transaction; a connection the database failed on is closed and forgotten."""
        try:
            if driver.in_transaction:
                driver.execute("ROLLBACK")
        except Exception:
            broken = True
        if broken:
            self._kept.driver = None
            with suppress(Exception):  # (closing what failed: nothing more to tell)
                driver.close()

    def release(self) -> None:
        """Close this thread's kept connection, if it has one (its next append makes another)."""
        kept = getattr(self._kept, "driver", None)
        self._kept.driver = None
        if kept is not None and self._kept.pid == os.getpid():
            kept.close()
        elif kept is not None:
            _INHERITED.append(kept)

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

    def _lock(self, driver: Any) -> None:
        """Take the writers' lock inside a write transaction begun on this DB-API connection (SQLite: BEGIN
        IMMEDIATE took it already)."""

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

    def last_rows(self, driver: Any) -> list[Row]:
        """The log's last two rows, newest first, as the driver gives them: what a writer checks the head's seal
        against before it appends."""
        return self.fetch(driver, f"SELECT {SELECT_COLUMNS} FROM events ORDER BY position DESC LIMIT 2")

    def head_of(self, row: Row) -> Head:
        return Head(row[0], row[11], self._recorded(row[6]))

    def stream_versions(self, driver: Any, streams: Sequence[str]) -> dict[str, int]:
        """Each stream's last version (streams with no events are left out): one index seek per stream, so an
        append to a long stream costs what one to a short one does (a GROUP BY over `stream IN (...)` reads every
        index entry of the stream: 150 µs against 13 µs for a 781-event stream on SQLite)."""
        if not streams:
            return {}
        if len(streams) == 1:  # (a single append's one stream: no list parameter to build and unpack)
            rows = self.fetch(driver, _ONE_VERSION_QUERY.format(self.mark), (streams[0],))
            return {streams[0]: rows[0][0]} if rows and rows[0][0] is not None else {}
        rows = self.fetch(driver, self.versions_query, (self.text_list(list(streams)),))
        return {stream: version for stream, version in rows if version is not None}

    def rows_by_key(self, driver: Any, keys: Sequence[str]) -> dict[str, Row]:
        out: dict[str, Row] = {}
        for start in range(0, len(keys), CHUNK):
            chunk = tuple(keys[start:start + CHUNK])
            rows = self.fetch(driver, _by_key_query(self.mark, len(chunk)), chunk)
            out.update({row[9]: row for row in rows})
        return out

    def fetch(self, driver: Any, query: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one small query, through the DB-API connection's own cursor, in its transaction.

        What a single append asks (the head's two rows, the keys, the streams' versions) costs the database a few
        microseconds an index seek; through SQLAlchemy's result machinery each query cost about 60 µs more, most of
        a single append's CPU. Driver errors are raised as SQLAlchemy's, as `exec_driver_sql` raises them."""
        try:
            rows: list[Row] = driver.execute(query, params).fetchall()  # (both drivers' rows are plain tuples)
            return rows
        except self._driver_error as exc:
            raise self._as_sqlalchemy(exc, query, params) from exc

    def _run(self, driver: Any, statement: str) -> None:
        """Run one statement that returns nothing (BEGIN, COMMIT) on the DB-API connection."""
        try:
            driver.execute(statement)
        except self._driver_error as exc:
            raise self._as_sqlalchemy(exc, statement, ()) from exc

    def _as_sqlalchemy(self, exc: Exception, statement: str, params: Any) -> Exception:
        """A driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...), so that a statement
        sent to the driver fails as one sent through SQLAlchemy would."""
        return DBAPIError.instance(statement, params, exc, self._driver_error)

    def insert(self, driver: Any, rows: list[Row]) -> None:
        """Insert sealed rows: one row with `execute` (a single append), more with one `executemany`."""
        statement = self.insert_statement
        try:
            if len(rows) == 1:  # (a single append: no iterator over one row)
                driver.execute(statement, rows[0])
            else:
                driver.cursor().executemany(statement, rows)
        except self._driver_error as exc:
            raise self._as_sqlalchemy(exc, statement, None) from exc

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
    def driver(conn: Connection) -> Any:
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
            params.append(self.text_list(sorted(included)))
        excluded = filters.get("exclude_streams")
        if excluded:
            clauses.append(self.exclude_clause)
            params.append(self.text_list(sorted(excluded)))
        return " AND ".join(clauses), params

    # -- engine differences -------------------------------------------------
    mark = "?"
    exclude_clause = ""  # "stream is not one of the streams in one list parameter"
    include_clause = ""  # "stream is one of the streams in one list parameter"
    versions_query = ""  # each stream of one list parameter, and its last version (NULL: none)

    @property
    def insert_statement(self) -> str:
        """The INSERT of one row, in this driver's parameter marks."""
        return _insert_statement(self.mark)

    def text_list(self, texts: list[str]) -> Any:
        """A list of texts (streams, keys) as one query parameter (any number of them)."""
        raise NotImplementedError

    def param(self, value: Any) -> Any:
        return value

    def recorded_param(self, recorded: datetime) -> Any:
        """A recorded time as this engine stores it."""
        raise NotImplementedError

    def recorded_param_of(self, recorded: datetime, text: str) -> Any:
        """A recorded time as this engine stores it, given its canonical text too (what a writer seals)."""
        return self.recorded_param(recorded)

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


_INHERITED: list[Any] = []
"""Kept connections a forked process inherited from its parent: held, so that the child never closes them (closing
one runs SQLite's close on the parent's open database: SQLite says a connection must not cross a fork at all)."""


@functools.lru_cache(maxsize=4)
def _insert_statement(mark: str) -> str:
    return f"INSERT INTO events ({SELECT_COLUMNS}) VALUES ({', '.join([mark] * len(COLUMNS))})"


@functools.lru_cache(maxsize=64)
def _by_key_query(mark: str, keys: int) -> str:
    """The rows of `keys` keys (the statement made once for each count: a single append asks for one key)."""
    return f"SELECT {SELECT_COLUMNS} FROM events WHERE idempotency_key IN ({', '.join([mark] * keys)})"


_ONE_VERSION_QUERY = "SELECT MAX(version) FROM events WHERE stream = {}"  # (the end of the (stream, version) index)


@contextmanager
def _store_errors() -> Iterator[None]:
    """A database that cannot take the write (locked, full, gone, no tables) raised as StoreUnavailable, which
    names the reason and says nothing was written. An IntegrityError (a write around the lock) is the caller's."""
    try:
        yield
    except DBAPIError as exc:
        raise _unavailable(exc) from None


def _unavailable(exc: DBAPIError) -> Exception:
    """`_store_errors`' answer for one error: StoreUnavailable, or the error itself if it is not about the store."""
    if isinstance(exc, IntegrityError):
        return exc
    if isinstance(exc, (OperationalError, ProgrammingError)) or getattr(exc, "connection_invalidated", False) \
            or _is_resource_error(exc):
        return StoreUnavailable(_describe(exc))
    return exc


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
