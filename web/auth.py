"""Logging in and out: GET/POST /login, POST /logout, and the login throttle (docs/web.md).

Throttle: 5 failed logins in 15 minutes for one user name, or from one client address, and further attempts get
429 until the oldest of them is 15 minutes old, even with the right password. Failures are kept in the database
(`login_failures`), so every server process and a restart see them; the name is kept only as a hash (people type
passwords into the name box). A successful login clears its name's failures.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ledger.commands.users import authenticate
from ledger.store.users import UserTable
from web.deps import Viewer
from web.render import page
from web.sessions import LOGIN_COOKIE, Sessions, csrf_checked

router = APIRouter()

WINDOW = timedelta(minutes=15)
LIMIT = 5
NEXT = re.compile(r"/(?!/)[A-Za-z0-9/_.~-]{0,200}")


def _sessions(request: Request) -> Sessions:
    return request.app.state.sessions  # type: ignore[no-any-return]


def _safe_next(value: object) -> str:
    """Only a path of this site: never `//evil.example` or `https://...` (an open redirect)."""
    return value if isinstance(value, str) and NEXT.fullmatch(value) else "/"


def _name_hash(username: str) -> str:
    return hashlib.sha256(b"login-name:" + username.strip().lower()[:200].encode("utf-8", "replace")).hexdigest()


def _client(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def _form(request: Request, status: int = 200, error: str = "", username: str = "", next_: str = "/",
          headers: dict[str, str] | None = None) -> Response:
    sessions = _sessions(request)
    nonce = sessions.login_nonce(request)
    response = page(request, "login.html", None, status_code=status, error=error, username=username,
                    next=_safe_next(next_), login_csrf=sessions.login_csrf(nonce))
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path="/login", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002 - the query parameter's name
    return _form(request, next_=next)


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    form = await request.form()
    fields: dict[str, Any] = {k: form.get(k) for k in ("username", "password", "csrf", "next")}
    username = fields["username"] if isinstance(fields["username"], str) else ""
    password = fields["password"] if isinstance(fields["password"], str) else ""
    shown = username if len(username) <= 64 and username.isprintable() else ""
    sessions = _sessions(request)
    if not sessions.login_csrf_ok(request, fields["csrf"]):
        return _form(request, 403, "csrf: the login form's token is missing or stale; reload the page and try again",
                     shown, fields["next"])
    if not username or not password:
        missing = "username" if not username else "password"
        return _form(request, 400, f"{missing}: required", shown, fields["next"])
    table, now = UserTable(request.app.state.store.engine), sessions.clock()
    name_hash, client = _name_hash(username), _client(request)
    by_name, by_client = table.failures_since(now - WINDOW, name_hash=name_hash, client=client)
    if by_name >= LIMIT or by_client >= LIMIT:
        oldest = table.oldest_failure_since(now - WINDOW, name_hash=name_hash, client=client) or now
        wait = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
        which = "for this user name" if by_name >= LIMIT else "from this address"
        return _form(request, 429, f"Too many failed logins {which}: {LIMIT} in {WINDOW.seconds // 60} minutes. "
                                   f"Try again in {math.ceil(wait / 60)} minute(s), or ask an admin.",
                     shown, fields["next"], headers={"Retry-After": str(wait)})
    user = authenticate(request.app.state.store, username, password)
    if user is None:
        table.record_failure(now, name_hash=name_hash, client=client, prune_before=now - WINDOW)
        return _form(request, 401, "The user name or the password is wrong (or the user is disabled).", shown,
                     fields["next"])
    table.forget_failures(name_hash=name_hash)
    value = sessions.issue(Viewer(user.username, user.role, user.member, saver=user.saver))
    target = _safe_next(fields["next"])
    if target == "/login":
        target = "/"
    response = RedirectResponse(target, status_code=303)
    sessions.set_cookie(request, response, value)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False, dependencies=[Depends(csrf_checked)])
def logout(request: Request) -> Response:
    sessions = _sessions(request)
    sessions.end(request)
    response = RedirectResponse("/login", status_code=303)
    sessions.clear_cookie(request, response)
    return response
