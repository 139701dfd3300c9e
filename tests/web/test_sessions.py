"""Sessions cannot be forged, tampered with, replayed after logout, or kept past their idle and absolute expiry;
a disabled user's sessions end; the database holds only a hash of each token; a restart keeps them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from ledger.commands.users import change_role, disable_user, set_password
from tests.web.authkit import log_in, make_user
from tests.web.conftest import csrf
from web.sessions import COOKIE


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(COOKIE)
    assert value
    return value


def _refused(client: TestClient, cookie: str) -> bool:
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie)
    answer = client.get("/", follow_redirects=False)
    return answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_logging_out_ends_the_session_and_its_old_cookie_is_refused(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    old = _cookie(client)
    out = client.post("/logout", data={"csrf": csrf(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert _refused(client, old)
    assert app.state.sessions.viewer_of_cookie(old) is None


def test_a_forged_or_tampered_cookie_is_refused(examples, app, client):
    from itsdangerous import URLSafeTimedSerializer

    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    good = _cookie(client)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    forged = URLSafeTimedSerializer(b"not the server's secret at all", salt="session").dumps("made-up-token")
    for cookie in (tampered, forged, "x", "", "a" * 5000, good + "."):
        assert _refused(client, cookie), cookie
    assert not _refused(client, good)


def test_a_token_signed_with_the_right_secret_but_never_issued_is_refused(examples, app, client):
    from itsdangerous import URLSafeTimedSerializer

    signed = URLSafeTimedSerializer(b"test-secret-not-for-production-use-0000", salt="session").dumps("guessed")
    assert _refused(client, signed)


def test_a_session_past_its_absolute_expiry_is_refused(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    sessions, cookie = app.state.sessions, _cookie(client)
    start = sessions.clock()
    for minutes in range(20, 8 * 60, 20):  # busy all day: never idle, yet ended at eight hours
        sessions.clock = lambda m=minutes: start + timedelta(minutes=m)
        assert sessions.viewer_of_cookie(cookie) is not None
    sessions.clock = lambda: start + timedelta(hours=8, seconds=1)
    assert sessions.viewer_of_cookie(cookie) is None
    sessions.clock = lambda: start + timedelta(minutes=1)  # and it stays ended
    assert sessions.viewer_of_cookie(cookie) is None


def test_a_session_idle_for_thirty_minutes_is_refused(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    sessions, cookie = app.state.sessions, _cookie(client)
    start = sessions.clock()
    sessions.clock = lambda: start + timedelta(minutes=31)
    assert _refused(client, cookie)


def test_disabling_a_user_ends_their_live_sessions_at_once(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    cookie = _cookie(client)
    _, ended = disable_user(examples.store(), "jo", "left the office", actor="root")
    assert ended == 1 and _refused(client, cookie)


def test_a_new_password_ends_the_users_sessions(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    cookie = _cookie(client)
    set_password(examples.store(), "jo", "another long password", actor="root")
    assert _refused(client, cookie)


def test_a_change_of_role_takes_effect_on_the_next_request(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    assert client.get("/users").status_code == 403
    change_role(examples.store(), "jo", "admin", actor="root")
    assert client.get("/users").status_code == 200


def test_the_database_holds_only_a_hash_of_the_token(examples, app, client):
    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    token = app.state.sessions._serializer.loads(_cookie(client))
    with examples.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM user_sessions"))]
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_a_session_survives_a_restart_of_the_server_with_the_same_secret(examples, app, client):
    from web.app import create_app

    make_user(examples, "jo", "clerk")
    log_in(client, "jo")
    cookie = _cookie(client)
    restarted = create_app(examples.url, secret=b"test-secret-not-for-production-use-0000")
    assert restarted.state.sessions.viewer_of_cookie(cookie).username == "jo"
    other_secret = create_app(examples.url, secret=b"another-secret-after-a-key-rotation-00")
    assert other_secret.state.sessions.viewer_of_cookie(cookie) is None


def test_the_cookie_is_http_only_same_site_lax_and_secure_over_https(examples, app):
    make_user(examples, "jo", "clerk")
    with TestClient(app, base_url="http://testserver") as plain:
        header = log_in(plain, "jo").headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header and "secure" not in header.split("mutual_login")[0]
    with TestClient(app, base_url="https://testserver") as tls:
        header = log_in(tls, "jo").headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=lax" in header and "; secure" in header


def test_a_csrf_token_belongs_to_one_session(examples, app, client):
    make_user(examples, "jo", "clerk")
    make_user(examples, "kim", "clerk")
    log_in(client, "jo")
    jos = csrf(client)
    client.cookies.clear()
    log_in(client, "kim")
    assert client.post("/logout", data={"csrf": jos}, follow_redirects=False).status_code == 403
    assert client.post("/logout", headers={"X-CSRF-Token": csrf(client)}, follow_redirects=False).status_code == 303
