"""The users' rules are pure (ledger/users): user names, roles, member links, the password policy, the throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.users import ROLES, link_errors, password_errors, role_error, throttled, username_error
from tests.unit.test_layers import _files, _offenders

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_users_rules_touch_no_database_and_no_interface():
    assert _offenders(_files("ledger/users"), ("sqlalchemy", "psycopg", "sqlite3", "ledger.store", "ledger.source",
                                               "ledger.commands", "projections", "cli", "web", "pwdlib")) == []


@pytest.mark.parametrize("name", ["jo", "alice", "jo.smith", "j_s-2", "a" * 32])
def test_a_user_name_of_the_safe_shape_is_accepted(name):
    assert username_error(name) is None


@pytest.mark.parametrize("name", ["", "j", "Jo", "1jo", "-jo", "jo smith", "jo\n", "jo\nroot", "a" * 33, "jö",
                                  "jo@x", None, 7])
def test_any_other_user_name_is_refused_by_name(name):
    error = username_error(name)
    assert error is not None and error.field == "username"


def test_only_the_six_roles_exist():
    assert ROLES == ("clerk", "treasurer", "auditor", "board", "member", "admin")
    assert role_error("root").field == "role" and role_error("clerk") is None


def test_a_member_user_is_linked_to_a_member_and_no_one_else_is():
    assert [e.field for e in link_errors("member", None, None)] == ["member"]
    assert link_errors("member", "alice", "r01") == []
    assert [e.field for e in link_errors("clerk", "alice", "r01")] == ["member", "saver"]
    assert [e.field for e in link_errors("member", "al ice", None)] == ["member"]


@pytest.mark.parametrize("password, reason", [
    ("eleven char", "at least 12"), ("x" * 257, "at most 256"), ("twelve chars\n", "control"),
    ("aaaaaaaaaaaaaaa", "repeated"), ("jo.smith.long", "user name"),
])
def test_a_weak_password_is_refused_and_never_shown(password, reason):
    errors = password_errors(password, "jo.smith.long")
    assert errors and all(e.field == "password" for e in errors) and any(reason in e.reason for e in errors)
    assert not any(password in e.reason for e in errors)


def test_a_long_passphrase_is_enough():
    assert password_errors("correct horse battery", "jo") == []


def test_five_failures_throttle_until_the_oldest_is_fifteen_minutes_old():
    assert throttled(4, 4, None, NOW) is None
    by_name = throttled(5, 0, NOW - timedelta(minutes=10), NOW)
    assert by_name is not None and by_name.wait == timedelta(minutes=5) and "for this user name" in str(by_name)
    by_client = throttled(0, 5, NOW - timedelta(minutes=14, seconds=30), NOW)
    assert by_client is not None and "from this address" in str(by_client) and "1 minute" in str(by_client)
