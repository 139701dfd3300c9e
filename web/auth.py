"""Logging in and out: GET/POST /login, POST /logout, and the login throttle (docs/web.md).

Throttle (the rule: ledger/users/rules.py `throttled`): 5 failed logins in 15 minutes for one user name, or from
one client address, and further attempts get 429 until the oldest of them is 15 minutes old, even with the right
password. Failures are kept in the database (`login_failures`), so every server process and a restart see them;
the name is kept only as a hash (people type passwords into the name box). A successful login clears its name's
failures. The client address is the socket's peer, or the X-Forwarded-For that uvicorn trusts from a local proxy.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.commands.users import log_in, login_throttled
from web.deps import Viewer
from web.render import page
from web.sessions import LOGIN_COOKIE, Sessions, csrf_checked

router = APIRouter()

NEXT = re.compile(r"/(?!/)[A-Za-z0-9/_.~-]{0,200}")


def _sessions(request: Request) -> Sessions:
    return request.app.state.sessions  # type: ignore[no-any-return]


def _safe_next(value: object) -> str:
    """Only a path of this site: never `//evil.example` or `https://...` (an open redirect)."""
    return value if isinstance(value, str) and NEXT.fullmatch(value) else "/"


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
def login_form(request: Request, next: str = "/") -> Response:
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
    store, now, client = request.app.state.store, sessions.clock(), _client(request)
    refused = await run_in_threadpool(login_throttled, store, username, client, now)
    if refused is not None:
        return _form(request, 429, str(refused), shown, fields["next"],
                     headers={"Retry-After": str(int(refused.wait.total_seconds()))})
    # argon2 and the database off the event loop: on it, every login would stall every other request
    user = await run_in_threadpool(log_in, store, username, password, client, now)
    if user is None:
        return _form(request, 401, "The user name or the password is wrong (or the user is disabled).", shown,
                     fields["next"])
    await run_in_threadpool(sessions.end, request)  # the session this browser held before, if any, ends here
    value = await run_in_threadpool(sessions.issue, Viewer(user.username, user.role, user.member, saver=user.saver))
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
