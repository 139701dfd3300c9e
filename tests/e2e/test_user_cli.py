"""`mutual user` keeps the users (hostile input refused by name, nothing written), and `mutual serve --demo`
prepares a ledger a newcomer can log in to as each role."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"
SECRET = "a long enough secret\n"


def run(backend, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input)


def ok(backend, *args: str, input: str | None = None):
    result = run(backend, *args, input=input)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def users(backend) -> list[dict]:
    return json.loads(ok(backend, "user", "list", "--json").output)


@pytest.fixture
def books(backend):
    ok(backend, "import", str(EXAMPLE))
    return backend


def test_a_user_is_added_given_a_role_and_disabled_with_the_actor_named(books):
    added = ok(books, "user", "add", "jo", "--role", "clerk", "--password-stdin", "--actor", "root", input=SECRET)
    assert added.output.strip() == "added jo: clerk" and "secret" not in added.output
    ok(books, "user", "add", "alice", "--role", "member", "--member", "alice", "--password-stdin", input=SECRET)
    changed = json.loads(ok(books, "user", "role", "jo", "treasurer", "--actor", "root", "--json").output)
    assert changed["role"] == "treasurer" and changed["updated_by"] == "root" and "password_hash" not in changed
    disabled = json.loads(ok(books, "user", "disable", "jo", "--reason", "left", "--actor", "root", "--json").output)
    assert disabled["disabled_reason"] == "left" and disabled["sessions_ended"] == 0
    listed = {u["username"]: u for u in users(books)}
    assert listed["jo"]["disabled_by"] == "root" and listed["alice"]["member"] == "alice"
    assert "argon2" not in ok(books, "user", "list").output + json.dumps(listed)


def test_the_password_is_asked_twice_without_echo(books):
    typed = ok(books, "user", "add", "jo", "--role", "clerk", input="a long enough secret\na long enough secret\n")
    assert "a long enough secret" not in typed.output
    from ledger.commands.users import authenticate

    assert authenticate(books.store(), "jo", "a long enough secret") is not None


@pytest.mark.parametrize("args, named", [
    (("add", "Jo", "--role", "clerk"), "username"),
    (("add", "jo\nroot", "--role", "clerk"), "username"),
    (("add", "jo root", "--role", "clerk"), "username"),
    (("add", "j", "--role", "clerk"), "username"),
    (("add", "j" * 33, "--role", "clerk"), "username"),
    (("add", "-jo", "--role", "clerk"), None),  # an option click does not know: exit 2
    (("add", "jo", "--role", "root"), "role"),
    (("add", "jo", "--role", "clerk\n"), "role"),
    (("add", "jo", "--role", "member"), "member"),
    (("add", "jo", "--role", "member", "--member", "nobody"), "member"),
    (("add", "jo", "--role", "member", "--member", "alice\n"), "member"),
    (("add", "jo", "--role", "member", "--member", "alice", "--saver", "nobody"), "saver"),
    (("add", "jo", "--role", "clerk", "--member", "alice"), "member"),
    (("role", "nobody", "clerk"), "username"),
    (("role", "bob", "root"), "role"),
    (("disable", "nobody", "--reason", "x"), "username"),
    (("disable", "bob", "--reason", "two\nlines"), "reason"),
    (("disable", "bob", "--reason", " "), "reason"),
])
def test_hostile_input_is_refused_by_name_and_writes_nothing(books, args, named):
    ok(books, "user", "add", "bob", "--role", "clerk", "--password-stdin", input=SECRET)
    before = users(books)
    result = run(books, "user", *args, "--password-stdin" if args[0] == "add" else "--json", input=SECRET)
    assert result.exit_code in (1, 2)
    if named:
        assert result.exit_code == 1 and result.stderr.startswith(f"error: {named}:"), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert users(books) == before


@pytest.mark.parametrize("password, reason", [("short\n", "at least 12"), ("bobbobbob\n", "at least 12"),
                                              ("x" * 12 + "\n", "one character repeated"),
                                              ("with a tab\there\n", "control characters"),
                                              ("y" * 300 + "\n", "at most 256")])
def test_a_weak_password_is_refused_without_showing_it(books, password, reason):
    result = run(books, "user", "add", "bob", "--role", "clerk", "--password-stdin", input=password)
    assert result.exit_code == 1 and result.stderr.startswith("error: password:") and reason in result.stderr
    assert password.strip() not in result.stderr
    assert users(books) == []


def test_a_user_name_is_never_taken_twice(books):
    ok(books, "user", "add", "bob", "--role", "clerk", "--password-stdin", input=SECRET)
    again = run(books, "user", "add", "bob", "--role", "admin", "--password-stdin", input=SECRET)
    assert again.exit_code == 1 and again.stderr.startswith("error: username:")
    assert [u["role"] for u in users(books)] == ["clerk"]


def test_the_domain_and_the_web_name_the_same_roles():
    from ledger.users import ROLES
    from web.deps import ROLES as WEB_ROLES

    assert ROLES == WEB_ROLES


# -- mutual serve ----------------------------------------------------------------------------------------------

def test_the_demo_holds_the_examples_and_a_user_per_role_who_can_log_in(tmp_path):
    from cli.serve_commands import prepare_demo
    from ledger.commands.users import authenticate
    from ledger.store import EventStore

    demo = prepare_demo(tmp_path / "demo")
    text = demo.describe("http://127.0.0.1:8000")
    assert {u.role for u in demo.users} == {"clerk", "treasurer", "auditor", "board", "member", "admin"}
    store = EventStore(demo.url)
    try:
        for user in demo.users:
            assert f"user {user.username}" in text and user.password in text
            assert authenticate(store, user.username, user.password) is not None
        member = next(u for u in demo.users if u.role == "member")
        assert member.username == "alice" and member.member == "alice"
        shown = run(type("B", (), {"url": demo.url}), "member", "show", "alice", "--as-of", "2025-03-31", "--json")
        assert shown.exit_code == 0 and json.loads(shown.output)
    finally:
        store.dispose()


def test_serve_refuses_a_short_secret_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("MUTUAL_SECRET_KEY", "short")
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "serve"])
    assert result.exit_code == 2 and "MUTUAL_SECRET_KEY" in result.output + result.stderr


def test_the_server_answers_the_login_page_under_uvicorn(tmp_path):
    from cli.serve_commands import prepare_demo, server
    from web.app import create_app

    demo = prepare_demo(tmp_path / "demo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running = server(create_app(demo.url), "127.0.0.1", port)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if running.started:
                break
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as answer:
            body = answer.read().decode()
        assert answer.status == 200 and 'name="password"' in body
        assert "httponly" in answer.headers["set-cookie"].lower()
    finally:
        running.should_exit = True
        thread.join(timeout=10)
