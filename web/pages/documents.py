"""Documents to download: a member's statement (HTML or PDF) and a co-op's board pack (PDF or XLSX).

They are the CLI's own documents (`mutual statement`, `mutual report board`), drawn by projections/documents/
from the same books as known at the same time, with a file name that says whose, which period and what kind.
A member downloads only their own statement; the board pack is for staff.
"""

from __future__ import annotations

import re
import threading
from datetime import date

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ledger.calendar import anniversary
from projections.documents.board import board_data, board_html, board_pdf
from projections.documents.board_xlsx import board_xlsx
from projections.documents.statement import (
    StatementBooks,
    statement_chart,
    statement_data,
    statement_html,
    statement_pdf,
)
from web.deps import Viewer, When, own_member, parse_date, store, when
from web.pages.coop import found, member_or_staff, staff_only

router = APIRouter()

# matplotlib draws each chart layout on one figure per process (projections/documents/charts.py): requests run in
# a thread pool, so a document's chart is drawn by one request at a time. (Web pages' charts are drawn by the
# browser: web/static/charts.js.)
CHARTS = threading.Lock()

MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _format(given: str, allowed: tuple[str, ...]) -> str:
    if given not in allowed:
        raise HTTPException(400, f"format: {given!r} is not one of {', '.join(allowed)}")
    return given


LONGEST_YEARS = 50  # a member's whole tenure, and then some


def period(start: str | None, end: str | None, moment: When) -> tuple[date, date]:
    """`from` and `to` from the query string: `to` defaults to the page's `as_of`, `from` to 1 January of its year."""
    last = parse_date("to", end) or moment.as_of
    first = parse_date("from", start) or date(last.year, 1, 1)
    if last < first:
        raise HTTPException(400, f"to: {last.isoformat()} is before from {first.isoformat()}")
    if anniversary(first, LONGEST_YEARS) <= last:  # one request once drew two centuries of a board pack, held 1.4 GB
        raise HTTPException(400, f"from: a document covers at most {LONGEST_YEARS} years "
                                 f"({first.isoformat()} to {last.isoformat()} is longer)")
    return first, last


def download(content: bytes, fmt: str, name: str) -> Response:
    """The document with its file name; a PDF or a spreadsheet is an attachment, a web page opens in the browser."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", name)
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(content, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{safe}.{fmt}"', "X-Content-Type-Options": "nosniff"})


@router.get("/members/{member_id}/statement")
def statement(request: Request, member_id: str, start: str | None = Query(None, alias="from"),
              end: str | None = Query(None, alias="to"), fmt: str = Query("pdf", alias="format"),
              viewer: Viewer = Depends(member_or_staff), moment: When = Depends(when)) -> Response:
    """The member's statement for the period, as `mutual statement MEMBER --from --to --format` writes it."""
    own_member(viewer, member_id)
    fmt = _format(fmt, ("pdf", "html"))
    first, last = period(start, end, moment)
    books = StatementBooks.open(store(request), moment.as_known_at, shared=True)
    data = found(statement_data, books, member_id, first, last)
    with CHARTS:  # only the drawing waits for the lock; the PDF is rendered beside other requests
        chart = statement_chart(data)
    content = statement_pdf(data, chart) if fmt == "pdf" else statement_html(data, chart=chart).encode()
    return download(content, fmt, f"statement-{member_id}-{first.isoformat()}-{last.isoformat()}")


@router.get("/coops/{coop_id}/board-pack")
def board_pack(request: Request, coop_id: str, start: str | None = Query(None, alias="from"),
               end: str | None = Query(None, alias="to"), fmt: str = Query("pdf", alias="format"),
               viewer: Viewer = Depends(staff_only), moment: When = Depends(when)) -> Response:
    """The co-op's board pack for the period (PDF, XLSX, or HTML to read in the browser), as `mutual report board
    --coop COOP --from --to --format` writes it."""
    fmt = _format(fmt, ("pdf", "xlsx", "html"))
    first, last = period(start, end, moment)
    books = StatementBooks.open(store(request), moment.as_known_at, shared=True)
    data = found(board_data, books, coop_id, first, last)
    if fmt == "xlsx":
        content = board_xlsx(data)
    else:
        with CHARTS:
            content = board_pdf(data) if fmt == "pdf" else board_html(data).encode()
    return download(content, fmt, f"board-pack-{coop_id}-{first.isoformat()}-{last.isoformat()}")
