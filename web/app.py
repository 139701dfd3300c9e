"""`create_app(url)`: the web back office over one ledger. `mutual serve` runs it under uvicorn.

Each module in ROUTE_MODULES exposes a FastAPI `router`; a module not built yet is skipped. Errors: a ledger error
is a 400 naming the field and the reason (nothing written); no traceback ever reaches a browser.
"""

from __future__ import annotations

import gc
import importlib
import logging
import secrets
from pathlib import Path
from typing import Any

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


def for_serving(app: FastAPI) -> None:
    """Set a server process up for its pages: what it has imported is frozen out of the cyclic collector's way, the
    collector runs less often, and the books are read ahead into memory in a thread of their own
    (projections/warm.py). A server keeps the streams it has read (SharedBooks: up to a sixteenth of the machine's
    memory); at the default thresholds each full collection walks them all every few thousand allocations, and a
    page that reads a co-op's streams allocates a hundred thousand objects (a third of a cold dashboard's time)."""
    import threading

    from projections.warm import warm_books

    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
    threading.Thread(target=_warm, args=(warm_books, app), name="warm-books", daemon=True).start()


def _warm(warm_books: Any, app: FastAPI) -> None:
    app.state.read_ahead = "reading"
    try:
        warm_books(app.state.store)
    except Exception:  # reading ahead is only for speed: a page reads what it needs itself
        logging.getLogger("mutual.warm").warning("reading the books ahead failed", exc_info=True)
        app.state.read_ahead = "failed"
    else:
        # What was read ahead stays for the process's life: out of the cyclic collector's way too, or each full
        # collection would walk a million events' objects (a second's pause for the pages running then).
        gc.freeze()
        app.state.read_ahead = "done"


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

    app.state.read_ahead = "not started"  # then "reading", "done" or "failed" (for_serving)

    @app.get("/health", include_in_schema=False)
    def health() -> JSONResponse:
        """For a load balancer or a benchmark: the process answers, and whether the books it reads ahead at start
        (for_serving) are in memory yet. No figure, no name: anyone may ask."""
        state = app.state.read_ahead
        return JSONResponse({"status": "ok", "books_read_ahead": state == "done", "read_ahead": state})

    return app


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    from web.render import page

    viewer = request.app.state.sessions.viewer(request)
    return page(request, "error.html", viewer, status_code=status, message=message, status=status)
