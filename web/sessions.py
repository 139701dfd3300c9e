"""Sessions: a signed cookie naming a server-side session, so logging out ends it for good (docs/web.md).

The cookie (`mutual_session`: HttpOnly, SameSite=Lax, Secure when the request came over https) holds a random
token signed with the app's secret (itsdangerous). The database (`user_sessions`, migration 0009_users) holds only
the token's SHA-256, who it is for, and its times; a session is refused when its row is missing or ended (logout,
the user disabled, a new password), idle for longer than `idle`, or older than `absolute`, and when its user is
disabled. The user's role and member link are read from the users table on every request, so a change of role
takes effect at once. Sessions survive a restart of the server when its secret does (`mutual serve` reads it from
$MUTUAL_SECRET_KEY).

CSRF: every POST carries a token that is an HMAC of the session's id under the secret (form field `csrf` or header
X-CSRF-Token; `csrf_checked`). The login form, before any session, carries one bound to a nonce cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ledger.clock import utc_now
from ledger.errors import LedgerError
from web.deps import Viewer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

COOKIE = "mutual_session"
LOGIN_COOKIE = "mutual_login"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most once a minute, not on every request


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, secret: bytes, engine: Engine, *, idle: timedelta = IDLE, absolute: timedelta = ABSOLUTE,
                 clock: Callable[[], datetime] = utc_now) -> None:
        from itsdangerous import BadSignature, URLSafeTimedSerializer

        from ledger.store.users import UserTable

        if len(secret) < 16:
            raise ValueError("the session secret must be at least 16 bytes")
        self._serializer = URLSafeTimedSerializer(secret, salt="session")
        self._bad = BadSignature
        self._secret = secret
        self.table = UserTable(engine)
        self.idle, self.absolute, self.clock = idle, absolute, clock

    # -- the session -----------------------------------------------------------------------------
    def issue(self, viewer: Viewer) -> str:
        """Open a session for `viewer` (after its password was checked) and return the cookie's value."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.table.open_session(token_hash(token), viewer.username, viewer.role, viewer.member, viewer.saver,
                                at=now, expires_at=now + self.absolute)
        return self._serializer.dumps(token)

    def viewer(self, request: Request) -> Viewer | None:
        return self.viewer_of_cookie(request.cookies.get(COOKIE))

    def viewer_of_cookie(self, value: str | None) -> Viewer | None:
        """The live session a cookie's value names (None when forged, tampered with, expired, ended, or its user
        disabled)."""
        if not value or len(value) > 512:
            return None
        try:
            token = self._serializer.loads(value, max_age=int(self.absolute.total_seconds()) + 60)
        except self._bad:
            return None
        if not isinstance(token, str):
            return None
        hashed = token_hash(token)
        try:
            row = self.table.session(hashed)
            if row is None or row.ended_at is not None:
                return None
            now = self.clock()
            ended = ("expired" if now >= row.expires_at else "idle" if now - row.last_seen_at >= self.idle
                     else "user disabled" if row.user is not None and not row.user.active else None)
            if ended:
                self.table.end_session(hashed, now, ended)
                return None
            if now - row.last_seen_at >= TOUCH_EVERY:
                self.table.touch(hashed, now)
        except LedgerError:  # the database refused (not migrated, gone): nobody is logged in
            return None
        user = row.user
        if user is None:  # issued by code for a name not in the users table (the test harness): as issued
            return Viewer(row.username, row.role, row.member, session=hashed, saver=row.saver)
        return Viewer(user.username, user.role, user.member, session=hashed, saver=user.saver)

    def end(self, request: Request) -> None:
        viewer = self.viewer(request)
        if viewer is not None:
            self.table.end_session(viewer.session, self.clock(), "logout")

    # -- the cookie ------------------------------------------------------------------------------
    def set_cookie(self, request: Request, response: Response, value: str) -> None:
        response.set_cookie(COOKIE, value, max_age=int(self.absolute.total_seconds()), path="/", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")

    @staticmethod
    def clear_cookie(request: Request, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=request.url.scheme == "https")

    # -- CSRF ------------------------------------------------------------------------------------
    def csrf_token(self, viewer: Viewer) -> str:
        return hmac.new(self._secret, b"csrf:" + viewer.session.encode(), hashlib.sha256).hexdigest()

    def login_nonce(self, request: Request) -> str:
        """The login form's nonce: the one its cookie already holds, or a new one."""
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        return nonce if 20 <= len(nonce) <= 64 and nonce.isascii() else secrets.token_urlsafe(24)

    def login_csrf(self, nonce: str) -> str:
        return hmac.new(self._secret, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()

    def login_csrf_ok(self, request: Request, given: object) -> bool:
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        return bool(nonce) and isinstance(given, str) and hmac.compare_digest(given, self.login_csrf(nonce))


async def csrf_checked(request: Request) -> None:
    """Every form post and API write carries the session's CSRF token (form field `csrf` or header X-CSRF-Token)."""
    sessions: Sessions = request.app.state.sessions
    viewer = await run_in_threadpool(sessions.viewer, request)  # a database read: off the event loop
    if viewer is None:
        raise HTTPException(401, "not logged in")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf")  # type: ignore[assignment]
    if not isinstance(given, str) or not hmac.compare_digest(given, sessions.csrf_token(viewer)):
        raise HTTPException(403, "csrf: the form's token is missing or not this session's; reload the page")
