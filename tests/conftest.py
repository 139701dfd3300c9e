"""Backends for the suite: every store and projection test runs on SQLite, and on
PostgreSQL too when MUTUAL_TEST_POSTGRES_URL is set (each test in a schema of its own)."""

from __future__ import annotations

import gc
import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from ledger.store import EventStore
from ledger.store import migrate
from ledger.store.engine import make_engine

PG_URL = os.environ.get("MUTUAL_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_ran_on_postgres = 0


def pytest_configure(config):
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but MUTUAL_TEST_POSTGRES_URL is not set: the PostgreSQL half would be skipped")


def pytest_runtest_logreport(report):
    global _ran_on_postgres
    if report.when == "call" and report.passed and "postgresql" in report.nodeid:
        _ran_on_postgres += 1


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"PostgreSQL tests passed: {_ran_on_postgres}")


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and PG_URL and _ran_on_postgres == 0 and exitstatus == 0 and session.testscollected:
        session.exitstatus = 1


def pg_schema_url(schema: str) -> str:
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


class Backend:
    """A fresh, migrated database of one kind: its URL and an engine on it."""

    def __init__(self, name: str, url: str, cleanup=None) -> None:
        self.name, self.url, self._cleanup = name, url, cleanup
        self.engine = make_engine(url)

    def store(self, **kwargs) -> EventStore:
        return EventStore(self.engine, **kwargs)

    def close(self) -> None:
        self.engine.dispose()
        if self._cleanup:
            self._cleanup()


def _new_backend(name: str, tmp_path, migrated: bool = True) -> Backend:
    if name == "sqlite":
        backend = Backend(name, f"sqlite:///{tmp_path / ('ledger-' + uuid.uuid4().hex[:8] + '.db')}")
    else:
        schema = "t_" + uuid.uuid4().hex[:12]
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()

        backend = Backend(name, pg_schema_url(schema), drop)
    if migrated:
        migrate.upgrade(backend.engine)
    return backend


@pytest.fixture(scope="module", autouse=True)
def _connections_let_go():
    """After each module, the cyclic collector frees the engines its tests left behind (an app's, a command's), so
    their pooled PostgreSQL connections close: a long run otherwise holds them until a full collection, which a
    large heap makes rare, and the server's connection limit is reached."""
    yield
    gc.collect()


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    b = _new_backend(request.param, tmp_path)
    yield b
    b.close()


@pytest.fixture(params=BACKENDS)
def empty_backend(request, tmp_path):
    b = _new_backend(request.param, tmp_path, migrated=False)
    yield b
    b.close()


@contextmanager
def fresh_backend(name: str, tmp_path):
    """A throwaway database for one hypothesis example, closed when the example ends."""
    b = _new_backend(name, tmp_path)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def new_backend(request, tmp_path):
    """A factory for more databases of the same kind as `backend` (for export/import tests)."""
    made = []

    def make(name: str) -> Backend:
        b = _new_backend(name, tmp_path)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


@pytest.fixture
def store(backend) -> EventStore:
    return backend.store()
