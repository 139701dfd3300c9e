"""Engines for the two supported databases, set up the way the store needs them.

SQLite: WAL journal, synchronous=FULL (a committed event survives a power
cut), a busy timeout, and transactions we begin ourselves so that a writer
takes the write lock first (BEGIN IMMEDIATE) and reads its head under it.
PostgreSQL: psycopg 3, session time zone UTC.
"""

from __future__ import annotations

import os
import weakref
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError

DEFAULT_URL = "sqlite:///mutual-ledger.db"
WRITE = "ledger_write"


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("MUTUAL_DATABASE_URL") or DEFAULT_URL


def normalise_url(url: str) -> str:
    """Let users write postgresql:// and still get psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, *, lock_timeout_s: float = 10.0) -> Engine:
    url = normalise_url(database_url(url))
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(url, lock_timeout_s)
    elif backend == "postgresql":
        engine = _postgres_engine(url, lock_timeout_s)
    else:
        raise ValueError(f"--db: unsupported database {backend!r}; use sqlite:/// or postgresql://")
    _SOURCES[engine] = url
    return engine


_SOURCES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def source_url(engine: Engine) -> str:
    """The URL an engine was made from, options included: what another process opens the same ledger with."""
    return _SOURCES.get(engine) or engine.url.render_as_string(hide_password=False)


def _sqlite_engine(url: str, lock_timeout_s: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": lock_timeout_s})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # pragma: no cover - exercised by every test
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE)
        # Straight to the driver: through exec_driver_sql the BEGIN cost about 30 µs of SQLAlchemy's statement
        # machinery, a tenth of a single append's CPU (docs/store.md). A refusal still surfaces as SQLAlchemy's.
        try:
            connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "BEGIN IMMEDIATE" if write else "BEGIN")
        except connection.dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance("BEGIN", (), exc, connection.dialect.loaded_dbapi.Error) from exc

    return engine


def _postgres_engine(url: str, lock_timeout_s: float) -> Engine:
    """libpq `options` in the URL (e.g. -csearch_path=books) are kept beside ours."""
    timeout_ms = int(lock_timeout_s * 1000)
    parsed = make_url(url)
    extra = parsed.query.get("options", "")
    parsed = parsed.difference_update_query(["options"])
    options = f"-c timezone=UTC -c lock_timeout={timeout_ms} {extra}".strip()
    return create_engine(parsed, connect_args={"options": options}, pool_pre_ping=True)
