"""The bank queue as pages: the accounts, the unmatched lines, reconciliation, and the clerk's writes (import a
statement, match a line to a member, ignore a line, run the rules again), each the CLI's own `mutual bank ...`
through `web.writes.perform` (docs/bank.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse

from web.deps import WRITERS, Viewer, When, books, require, when
from web.pages.ops_common import (
    argument,
    cli_json,
    one_line_field,
    optional_field,
    saved,
    status_of,
    upload_bytes,
)
from web.render import page
from web.sessions import csrf_checked

router = APIRouter()
READERS = ("clerk", "treasurer", "auditor")  # the board reads the fund, the log and the audit, not the queue
READER = require(*READERS)
WRITER = require(*WRITERS)


def _bank_page(request: Request, viewer: Viewer, moment: When, source: Any, account: str | None = None,
               status: int = 200, **context: Any) -> HTMLResponse:
    from projections.bank import accounts

    known = accounts(source)
    argv = ["bank", "unmatched", "--as-of", moment.as_of.isoformat()]
    queue = cli_json(request, [*argv, "--account", account] if account else argv)
    reconciled = cli_json(request, ["bank", "reconcile", "--account", account, "--as-of", moment.as_of.isoformat()]) \
        if account else None
    return page(request, "bank/bank.html", viewer, moment, status_code=status, accounts=known, account=account,
                queue=queue, reconciled=reconciled, may_write=viewer.role in WRITERS, **context)


@router.get("/bank", response_class=HTMLResponse)
def bank_page(request: Request, account: str | None = None, viewer: Viewer = Depends(READER),
              moment: When = Depends(when), source: Any = Depends(books)) -> HTMLResponse:
    """The accounts, the queue (of one account, or all) and, for one account, its reconciliation."""
    return _bank_page(request, viewer, moment, source, account or None)


def _done(request: Request, viewer: Viewer, moment: When, source: Any, account: str | None,
          argv: list[str]) -> HTMLResponse:
    from ledger.source import StoreSource
    from web.writes import perform

    outcome = perform(request, viewer, argv)
    fresh = StoreSource(source.store, as_known_at=None)  # the queue after the write
    try:
        return _bank_page(request, viewer, moment, fresh, account or None, status_of(outcome), outcome=outcome)
    except HTTPException:  # an account the books do not know: the write's own answer, over the whole queue
        return _bank_page(request, viewer, moment, fresh, None, status_of(outcome), outcome=outcome)


@router.post("/bank/import", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
async def import_statement(request: Request, account: str = Form(""), format: str = Form("auto"),
                           profile: str = Form(""), no_match: str = Form(""),
                           statement: UploadFile | None = File(None), viewer: Viewer = Depends(WRITER),
                           moment: When = Depends(when), source: Any = Depends(books)) -> HTMLResponse:
    """Record a statement's lines once each: a second upload of the same file writes nothing."""
    chosen, profile_ = optional_field("format", format) or "auto", optional_field("profile", profile)
    data = await upload_bytes(statement, "statement")
    assert statement is not None
    with saved(data, statement.filename) as path:
        argv = ["bank", "import", path, "--account", account, "--format", chosen]
        argv += ["--profile", profile_] if profile_ else []
        argv += ["--no-match"] if no_match else []
        return _done(request, viewer, moment, source, account, argv)


@router.post("/bank/match", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def match(request: Request, line: str = Form(""), member: str = Form(""), period: str = Form(""),
          account: str = Form(""), viewer: Viewer = Depends(WRITER), moment: When = Depends(when),
          source: Any = Depends(books)) -> HTMLResponse:
    """Match a credit line to a member: their payment, checked as `mutual record` checks it."""
    argv = ["bank", "match", argument("line", line), argument("member", member)]
    month = optional_field("period", period)
    argv += ["--period", month] if month else []
    return _done(request, viewer, moment, source, account, argv)


@router.post("/bank/ignore", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def ignore(request: Request, line: str = Form(""), reason: str = Form(""), account: str = Form(""),
           viewer: Viewer = Depends(WRITER), moment: When = Depends(when),
           source: Any = Depends(books)) -> HTMLResponse:
    """Take a line off the queue: not a member's payment (the reason is kept with it)."""
    argv = ["bank", "ignore", argument("line", line), "--reason", one_line_field("reason", reason)]
    return _done(request, viewer, moment, source, account, argv)


@router.post("/bank/auto", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def auto(request: Request, account: str = Form(""), viewer: Viewer = Depends(WRITER),
         moment: When = Depends(when), source: Any = Depends(books)) -> HTMLResponse:
    """Run the account's rules and learned payer names over its queue again."""
    return _done(request, viewer, moment, source, account, ["bank", "auto", "--account", account])
