"""Migration 0009_users: the writer role (the web app's) may use the users' tables, the auditor role may not."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text


def test_the_users_tables_exist_beside_the_chain(backend):
    assert {"users", "user_sessions", "login_failures"} <= set(inspect(backend.engine).get_table_names())


def test_the_writer_may_use_the_users_tables_and_the_auditor_may_not(backend):
    if backend.name != "postgresql":
        pytest.skip("SQLite has no roles")
    with backend.engine.connect() as conn:
        def may(role: str, table: str, privilege: str) -> bool:
            return bool(conn.execute(text("SELECT has_table_privilege(:r, :t, :p)"),
                                     {"r": role, "t": table, "p": privilege}).scalar())
        for table in ("users", "user_sessions", "login_failures"):
            assert all(may("mutual_writer", table, p) for p in ("SELECT", "INSERT", "UPDATE", "DELETE"))
            assert not any(may("mutual_auditor", table, p) for p in ("SELECT", "INSERT", "UPDATE", "DELETE"))


def test_a_user_row_that_breaks_the_role_rules_is_refused_by_the_database(backend):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), backend.engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, role, password_hash, created_at, created_by, updated_at, "
                          "updated_by) VALUES ('jo', 'member', 'x', CURRENT_TIMESTAMP, 't', CURRENT_TIMESTAMP, 't')"))
