"""`/users` (admin only): list the users, add one, change a role, disable one. Each write is a command of
`ledger/commands/users.py`, the same as `mutual user ...`, with the admin's user name as the actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ledger.commands.users import add_user, change_role, disable_user, list_users
from ledger.errors import LedgerError
from ledger.users import ROLES
from web.deps import Viewer, require
from web.pages.ops_common import one_line_field
from web.render import page
from web.sessions import csrf_checked

router = APIRouter()
admin = require("admin")


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _listing(request: Request, viewer: Viewer, status: int = 200, error: str = "", **kept: Any) -> Response:
    users = [u.public() for u in list_users(request.app.state.store)]
    return page(request, "users.html", viewer, status_code=status, users=users, roles=ROLES, error=error,
                kept=kept)


def _done(request: Request, viewer: Viewer, work: Callable[[], object], **kept: Any) -> Response:
    try:
        work()
    except LedgerError as exc:  # refused by name; nothing written
        return _listing(request, viewer, 400, str(exc), **kept)
    return RedirectResponse("/users", status_code=303)


@router.get("/users", include_in_schema=False)
def users_page(request: Request, viewer: Viewer = Depends(admin)) -> Response:
    return _listing(request, viewer)


@router.post("/users", include_in_schema=False, dependencies=[Depends(csrf_checked)])
async def add(request: Request, viewer: Viewer = Depends(admin)) -> Response:
    form = await request.form()
    username, role = _text(form, "username") or "", _text(form, "role") or ""
    password = form.get("password")
    member, saver = _text(form, "member"), _text(form, "saver")
    return _done(request, viewer, lambda: add_user(
        request.app.state.store, username, role, password if isinstance(password, str) else "",
        actor=viewer.username, member=member, saver=saver), username=username, role=role, member=member or "",
        saver=saver or "")


@router.post("/users/{username}/role", include_in_schema=False, dependencies=[Depends(csrf_checked)])
async def role(request: Request, username: str, viewer: Viewer = Depends(admin)) -> Response:
    form = await request.form()
    return _done(request, viewer, lambda: change_role(
        request.app.state.store, username, _text(form, "role") or "", actor=viewer.username,
        member=_text(form, "member"), saver=_text(form, "saver")))


@router.post("/users/{username}/disable", include_in_schema=False, dependencies=[Depends(csrf_checked)])
async def disable(request: Request, username: str, viewer: Viewer = Depends(admin)) -> Response:
    form = await request.form()
    given = _text(form, "reason")
    reason = one_line_field("reason", given) if given else ""  # (bytes that were not UTF-8: refused by name)
    return _done(request, viewer, lambda: disable_user(
        request.app.state.store, username, reason, actor=viewer.username))
