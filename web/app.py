"""`create_app(url)`: the web back office over one ledger. `mutual serve` runs it under uvicorn.

Each module in ROUTE_MODULES exposes a FastAPI `router`; a module not built yet is skipped. Errors: a ledger error
is a 400 naming the field and the reason (nothing written); no traceback ever reaches a browser.
"""

from __future__ import annotations

import gc
import importlib
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ledger.errors import LedgerError
from web.deps import NotLoggedIn

ROUTE_MODULES = ("web.auth", "web.pages.home", "web.pages.coop", "web.pages.fund", "web.pages.bank",
                 "web.pages.log", "web.pages.audit", "web.pages.documents", "web.pages.corrections",
                 "web.pages.approvals", "web.pages.users", "web.api")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


SERVING_GC_THRESHOLDS = (50_000, 50, 100)


def for_serving() -> None:
    """Set a server process up for its pages: what it has imported is frozen out of the cyclic collector's way, and
    the collector runs less often. A server keeps the streams it has read (SharedBooks: up to a few hundred thousand
    events); at the default thresholds each full collection walks them all every few thousand allocations, and a
    page that reads a co-op's streams allocates a hundred thousand objects (a third of a cold dashboard's time)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)


def create_app(url: str, *, secret: bytes | None = None) -> FastAPI:
    from ledger.store import EventStore
    from web.sessions import Sessions

    app = FastAPI(title="mutual-ledger", version="1", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None)
    app.state.url = url
    app.state.store = EventStore(url)
    app.state.sessions = Sessions(secret or secrets.token_bytes(32), app.state.store.engine)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": "not logged in"}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(LedgerError)
    async def ledger_error(request: Request, exc: LedgerError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
                            for e in exc.errors())
        return _error(request, 400, reasons)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            return _error(request, 400, f"the database refused: {message}")
        return _error(request, 500, "something went wrong on the server; nothing was written")

    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # not built yet
        app.include_router(module.router)
    return app


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    from web.render import page

    viewer = request.app.state.sessions.viewer(request)
    return page(request, "error.html", viewer, status_code=status, message=message, status=status)
