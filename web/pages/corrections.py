"""Corrections and period closes as pages: the reversals and prior-period adjustments in the books, a form to
propose a correction (`mutual correct`), the closed periods of each society (`mutual period list`) and a form to
close one (`mutual period close`, treasurer only). Writes go through `web.writes.perform`, which may make them
four-eyes proposals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse

from web.deps import WRITERS, Viewer, When, books, require, store, when
from web.pages.ops_common import argument, cli_json, one_line_field, optional_field, status_of
from web.render import page
from web.sessions import csrf_checked

router = APIRouter()
READERS = ("clerk", "treasurer", "auditor")
CLOSERS = ("treasurer",)
CLOSER = require(*CLOSERS)
READER = require(*READERS)
WRITER = require(*WRITERS)


def _corrections_page(request: Request, viewer: Viewer, moment: When, status: int = 200,
                      **context: Any) -> HTMLResponse:
    from projections.log import corrections

    rows = corrections(request.app.state.store, moment.as_known_at)
    return page(request, "corrections/corrections.html", viewer, moment, status_code=status, rows=rows,
                may_write=viewer.role in WRITERS, form=context.pop("form", {}), **context)


@router.get("/corrections", response_class=HTMLResponse)
def corrections_page(request: Request, viewer: Viewer = Depends(READER),
                     moment: When = Depends(when)) -> HTMLResponse:
    return _corrections_page(request, viewer, moment)


def _position(value: str) -> str:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise HTTPException(400, f"position: {value!r} is not a position in the log (a whole number from 1)")
    return value


@router.post("/corrections", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def correct(request: Request, position: str = Form(""), reason: str = Form(""), replacement_type: str = Form(""),
            replacement_payload: str = Form(""), on: str = Form(""), prior_period: str = Form(""),
            viewer: Viewer = Depends(WRITER), moment: When = Depends(when)) -> HTMLResponse:
    """Reverse the event at a position (optionally replacing it): a new event; nothing is edited."""
    from web.writes import perform

    argv = ["correct", _position(position), "--reason", one_line_field("reason", reason)]
    for option, field, value in (("--replacement-type", "replacement_type", replacement_type),
                                 ("--replacement-payload", "replacement_payload", replacement_payload),
                                 ("--on", "on", on)):
        given = optional_field(field, value)
        argv += [option, given] if given else []
    if prior_period:
        argv += ["--prior-period"]
    outcome = perform(request, viewer, argv)
    form = {} if outcome.ok else {"position": position, "reason": reason, "replacement_type": replacement_type,
                                  "replacement_payload": replacement_payload, "on": on}
    return _corrections_page(request, viewer, moment, status_of(outcome), outcome=outcome, form=form)


def _societies(source: Any) -> list[str]:
    """Every society a period can be closed for: co-ops and CLTs registered, and funds with a policy."""
    found = {e.payload.get("society_id") for e in source.of_type("SocietyRegistered")}
    found |= {e.payload.get("fund_id") for e in source.of_type("FundPolicySet")}
    return sorted(s for s in found if s)


def _periods_page(request: Request, viewer: Viewer, moment: When, source: Any, status: int = 200,
                  **context: Any) -> HTMLResponse:
    known = moment.query().get("as_known_at")
    closed = {s: cli_json(request, ["period", "list", s, *(["--as-known-at", known] if known else [])])
              for s in _societies(source)}
    return page(request, "corrections/periods.html", viewer, moment, status_code=status, closed=closed,
                may_close=viewer.role in CLOSERS, form=context.pop("form", {}), **context)


@router.get("/periods", response_class=HTMLResponse)
def periods_page(request: Request, viewer: Viewer = Depends(READER), moment: When = Depends(when),
                 source: Any = Depends(books)) -> HTMLResponse:
    return _periods_page(request, viewer, moment, source)


@router.post("/periods", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def close_period(request: Request, society: str = Form(""), start: str = Form(""), end: str = Form(""),
                 viewer: Viewer = Depends(CLOSER), moment: When = Depends(when),
                 events: Any = Depends(store)) -> HTMLResponse:
    """Close a society's period: later events dated inside it need a prior-period adjustment."""
    from ledger.source import StoreSource
    from web.writes import perform

    outcome = perform(request, viewer, ["period", "close", argument("society", society),
                                        "--start", optional_field("start", start) or "",
                                        "--end", optional_field("end", end) or ""])
    form = {} if outcome.ok else {"society": society, "start": start, "end": end}
    return _periods_page(request, viewer, moment, StoreSource(events), status_of(outcome), outcome=outcome,
                         form=form)
