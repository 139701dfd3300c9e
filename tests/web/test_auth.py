"""Logging in and out through the real form: passwords, the throttle, the login form's token, where each role
lands, and the admin's users page."""

from __future__ import annotations

import pytest

from ledger.store.users import UserTable
from tests.web.authkit import PASSWORD, log_in, make_user
from tests.web.conftest import csrf, login
from web.sessions import COOKIE


def test_a_user_with_the_right_password_gets_a_session_and_the_co_ops(examples, app, client):
    make_user(examples, "jo", "clerk")
    answer = log_in(client, "jo")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "/coops/riverside" in home.text and "jo" in home.text


def test_a_wrong_password_is_refused_and_opens_no_session(examples, app, client):
    make_user(examples, "jo", "clerk")
    answer = log_in(client, "jo", "not the password at all")
    assert answer.status_code == 401 and "wrong" in answer.text
    assert COOKIE not in client.cookies
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_an_unknown_user_is_refused_with_the_same_words_as_a_wrong_password(examples, app, client):
    answer = log_in(client, "nobody", PASSWORD)
    assert answer.status_code == 401 and "The user name or the password is wrong" in answer.text


def test_a_member_lands_on_their_own_page_and_an_admin_on_the_users(examples, app, client):
    make_user(examples, "alice", "member", member="alice")
    make_user(examples, "root", "admin")
    log_in(client, "alice")
    assert client.get("/", follow_redirects=False).headers["location"] == "/members/alice"
    client.cookies.clear()
    log_in(client, "root")
    assert client.get("/", follow_redirects=False).headers["location"] == "/users"


def test_five_failures_for_a_name_throttle_it_even_with_the_right_password(examples, app, client):
    make_user(examples, "jo", "clerk")
    for _ in range(5):
        assert log_in(client, "jo", "wrong password here").status_code == 401
    throttled = log_in(client, "jo")
    assert throttled.status_code == 429 and "Too many failed logins for this user name" in throttled.text
    assert int(throttled.headers["retry-after"]) > 0
    assert COOKIE not in client.cookies


def test_the_throttle_lifts_after_fifteen_minutes_and_a_success_clears_the_names_failures(examples, app, client):
    from datetime import timedelta

    make_user(examples, "jo", "clerk")
    for _ in range(5):
        log_in(client, "jo", "wrong password here")
    sessions = app.state.sessions
    later = sessions.clock() + timedelta(minutes=16)
    sessions.clock = lambda: later
    assert log_in(client, "jo").status_code == 303
    assert UserTable(examples.engine).failures_since(later - timedelta(minutes=15), name_hash="x", client="y") == (0, 0)


def test_one_address_guessing_many_names_is_throttled(examples, app, client):
    for n in range(5):
        log_in(client, f"guess{n}", "wrong password here")
    throttled = log_in(client, "someone")
    assert throttled.status_code == 429 and "from this address" in throttled.text


def test_the_throttle_keeps_no_name_as_typed(examples, app, client):
    log_in(client, "my secret password typed in the name box", "x" * 12)
    with examples.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT name_hash FROM login_failures")).all()
    assert len(rows) == 1 and "secret" not in rows[0][0]


def test_a_login_without_the_forms_token_is_refused_and_opens_no_session(examples, app, client):
    make_user(examples, "jo", "clerk")
    client.get("/login")
    answer = client.post("/login", data={"username": "jo", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403 and "csrf" in answer.text
    assert COOKIE not in client.cookies


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", "javascript:alert(1)",
                                    "/members/alice\nSet-Cookie: x=1"])
def test_a_login_never_sends_the_browser_off_the_site(examples, app, client, target):
    make_user(examples, "jo", "clerk")
    assert log_in(client, "jo", next_=target).headers["location"] == "/"


def test_a_login_goes_back_to_the_page_that_asked_for_it(examples, app, client):
    make_user(examples, "jo", "clerk")
    asked = client.get("/coops/riverside", follow_redirects=False)
    if asked.status_code == 303:  # the co-op pages may not be merged yet; the redirect is the login's
        assert asked.headers["location"] == "/login?next=/coops/riverside"
    assert log_in(client, "jo", next_="/coops/riverside").headers["location"] == "/coops/riverside"


def test_a_disabled_user_cannot_log_in(examples, app, client):
    from ledger.commands.users import disable_user

    make_user(examples, "jo", "clerk")
    disable_user(examples.store(), "jo", "left", actor="root")
    assert log_in(client, "jo").status_code == 401


def test_logout_without_the_token_is_refused_and_the_session_lives(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    assert client.post("/logout", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.get("/").status_code == 200


# -- the admin's users page ------------------------------------------------------------------------------------

def test_an_admin_adds_a_user_on_the_page_and_the_new_user_logs_in(examples, app, client):
    login(client, "admin", username="root")
    added = client.post("/users", data={"csrf": csrf(client), "username": "sam", "role": "member",
                                        "member": "bob", "password": "a long enough secret"}, follow_redirects=False)
    assert added.status_code == 303
    listing = client.get("/users")
    assert "sam" in listing.text and "bob" in listing.text and "argon2" not in listing.text
    user = UserTable(examples.engine).get("sam")
    assert user is not None and user.created_by == "root" and user.password_hash.startswith("$argon2")
    client.cookies.clear()
    log_in(client, "sam", "a long enough secret")
    assert client.get("/", follow_redirects=False).headers["location"] == "/members/bob"


@pytest.mark.parametrize("fields, named", [
    ({"username": "Sam", "role": "clerk"}, "username"),
    ({"username": "sam\nroot", "role": "clerk"}, "username"),
    ({"username": "sam", "role": "superuser"}, "role"),
    ({"username": "sam", "role": "member"}, "member"),
    ({"username": "sam", "role": "member", "member": "nobody"}, "member"),
    ({"username": "sam", "role": "clerk", "password": "short"}, "password"),
])
def test_the_users_page_refuses_bad_input_by_name_and_writes_nothing(examples, app, client, fields, named):
    login(client, "admin", username="root")
    data = {"csrf": csrf(client), "password": "a long enough secret", **fields}
    answer = client.post("/users", data=data)
    assert answer.status_code == 400 and f"{named}:" in answer.text
    assert UserTable(examples.engine).all() == []


def test_adding_a_user_without_the_csrf_token_is_refused_and_writes_nothing(examples, app, client):
    login(client, "admin", username="root")
    for token in (None, "0" * 64):
        data = {"username": "sam", "role": "clerk", "password": "a long enough secret"}
        if token:
            data["csrf"] = token
        assert client.post("/users", data=data).status_code == 403
    assert UserTable(examples.engine).all() == []


def test_an_admin_changes_a_role_and_disables_a_user_on_the_page(examples, app, client):
    make_user(examples, "jo", "clerk")
    login(client, "admin", username="root")
    assert client.post("/users/jo/role", data={"csrf": csrf(client), "role": "treasurer"},
                       follow_redirects=False).status_code == 303
    assert UserTable(examples.engine).get("jo").role == "treasurer"
    assert client.post("/users/jo/disable", data={"csrf": csrf(client), "reason": "left the office"},
                       follow_redirects=False).status_code == 303
    jo = UserTable(examples.engine).get("jo")
    assert jo.disabled_at is not None and jo.disabled_by == "root" and "left the office" in client.get("/users").text


@pytest.mark.parametrize("role, status", [("clerk", 403), ("treasurer", 403), ("auditor", 403), ("board", 403),
                                          ("member", 404)])
def test_only_an_admin_sees_the_users(examples, app, client, role, status):
    login(client, role, member="alice" if role == "member" else None)
    assert client.get("/users").status_code == status
    assert client.post("/users", data={"csrf": csrf(client), "username": "sam", "role": "admin",
                                       "password": "a long enough secret"}).status_code == status
    assert UserTable(examples.engine).all() == []


def test_the_logged_in_users_name_is_the_actor_on_what_they_record(examples, app, client):
    from types import SimpleNamespace

    from web.writes import perform

    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    viewer = app.state.sessions.viewer_of_cookie(client.cookies.get(COOKIE))
    done = perform(SimpleNamespace(app=app), viewer, ["payment", "receive", "alice", "--amount", "660.00",
                                                      "--period", "2025-05", "--bank-reference", "SO-JO-TEST",
                                                      "--on", "2025-05-03"])
    assert done.ok, done.error
    last = list(examples.store().read(stream="member-alice"))[-1]
    assert last.type == "PaymentReceived" and last.metadata["actor"] == "jo"


def test_an_admin_cannot_disable_themselves(examples, app, client):
    make_user(examples, "root", "admin")
    log_in(client, "root")
    answer = client.post("/users/root/disable", data={"csrf": csrf(client), "reason": "oops"})
    assert answer.status_code == 400 and "username: you cannot disable yourself" in answer.text
    assert UserTable(examples.engine).get("root").active
