"""What a route depends on: who is asking (`Viewer`, from the session), what they may do (`require`), the store,
and the books at the page's `as_of` / `as_known_at`.

Every route names its roles through `require(...)` (FastAPI dependency injection, as FastAPI's own docs do it), so
the authorisation matrix test reads one table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fastapi import Depends, HTTPException, Request

from ledger.calendar import given_date
from ledger.clock import parse_recorded_at

if TYPE_CHECKING:
    from ledger.source import StoreSource
    from ledger.store import EventStore

ROLES = ("clerk", "treasurer", "auditor", "board", "member", "admin")
STAFF = ("clerk", "treasurer", "auditor", "board")  # who read co-op figures
WRITERS = ("clerk", "treasurer")  # who record


@dataclass(frozen=True)
class Viewer:
    """The logged-in user: their user name (the events' actor), role, and for a member, the member id they are."""

    username: str
    role: str
    member: str | None = None
    session: str = ""  # the server-side session's id (web/sessions.py); CSRF tokens are bound to it
    saver: str | None = None  # a member user's saver id in the fund, when they save (docs/web.md)


class NotLoggedIn(Exception):
    """No valid session: pages redirect to /login, the API answers 401."""


def current_viewer(request: Request) -> Viewer:
    viewer = request.app.state.sessions.viewer(request)
    if viewer is None:
        raise NotLoggedIn()
    return viewer


def require(*roles: str) -> Callable[..., Viewer]:
    """A dependency admitting only these roles: anyone else gets 403 (a member, 404: see `own_member`)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def check(viewer: Viewer = Depends(current_viewer)) -> Viewer:
        if viewer.role not in roles:
            if viewer.role == "member":
                raise HTTPException(404, "not found")  # a member learns nothing of what exists
            raise HTTPException(403, f"a {viewer.role} may not do this")
        return viewer

    check.roles = roles  # type: ignore[attr-defined]  # read by the authorisation matrix test
    return check


def own_member(viewer: Viewer, member_id: str) -> None:
    """A member sees only their own pages: another member's is 'not found', never their figures. (Their savings
    account, when they have one, is theirs too: `own_saver`.)"""
    if viewer.role == "member" and viewer.member != member_id:
        raise HTTPException(404, "not found")


def own_saver(viewer: Viewer, holder: str) -> None:
    """A member sees only the savings they hold: under their member id (as their statement reads them) or under
    the saver id their user is linked to (docs/web.md). Anyone else's is 'not found', never their figures."""
    if viewer.role == "member" and holder not in {viewer.member, viewer.saver} - {None}:
        raise HTTPException(404, "not found")


def store(request: Request) -> EventStore:
    return request.app.state.store  # type: ignore[no-any-return]


MAX_TEXT = 10_000
"""The longest value of one web field, form or API, in characters (a command line's argument holds no more)."""


def text_problem(name: str, value: str) -> str | None:
    """What is wrong with a text value from the web, naming its field (None: nothing): too long, a NUL, or bytes
    that were not UTF-8 (the parsers turn them into U+FFFD or lone surrogates, which nobody types)."""
    if len(value) > MAX_TEXT:
        return f"{name}: {len(value)} characters is too long (at most {MAX_TEXT})"
    if "\x00" in value:
        return f"{name}: holds a NUL character"
    if any("\ud800" <= ch <= "\udfff" for ch in value) or "\ufffd" in value:
        return f"{name}: is not valid UTF-8 text"
    return None


_NOT_FOUND = re.compile(r".*(no such |is not in the register|no savings account, loan or points gift).*", re.S)


def refusal_status(error: str) -> int:
    """A command's refusal as an HTTP status, alike for the API and the pages: 404 when what was asked for is not
    in the books (no such loan, no savings account of that holder), else 400."""
    return 404 if _NOT_FOUND.fullmatch(error) else 400


def parse_date(name: str, value: str | None) -> date | None:
    """An ISO date from a query string or form field, or None when blank; anything else is a 400 naming `name`."""
    if value in (None, ""):
        return None
    assert value is not None
    try:
        return given_date(value)  # the command line's own rule: ISO, real, 1900 to 2199
    except ValueError as exc:
        raise HTTPException(400, f"{name}: {exc}") from None


def _timestamp(name: str, value: str | None) -> datetime | None:
    if value in (None, ""):
        return None
    assert value is not None
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            value = value + "T23:59:59.999999Z"
        return parse_recorded_at(value)
    except (ValueError, TypeError) as exc:
        raise HTTPException(400, f"as_known_at: {value!r} is not an ISO-8601 UTC timestamp ({exc})") from None


@dataclass(frozen=True)
class When:
    """A page's dates: the effective date of its figures and the recorded time the books are read as known at."""

    as_of: date
    as_known_at: datetime | None

    def query(self) -> dict[str, str]:
        """The query string that keeps these dates on a link."""
        out = {"as_of": self.as_of.isoformat()}
        if self.as_known_at is not None:
            from ledger.clock import format_recorded_at

            out["as_known_at"] = format_recorded_at(self.as_known_at)
        return out


def when(as_of: str | None = None, as_known_at: str | None = None) -> When:
    """`as_of` (default today) and `as_known_at` (default now), as every page and API query takes them."""
    return When(parse_date("as_of", as_of) or date.today(), _timestamp("as_known_at", as_known_at))


def books(request: Request, moment: When = Depends(when)) -> StoreSource:
    """The books as known at the page's `as_known_at`, read once per request (cached per query)."""
    from ledger.source import StoreSource

    return StoreSource(request.app.state.store, as_known_at=moment.as_known_at)


Dependency = Callable[..., Any]

