"""The log as a page: the events a `mutual log` query chooses (projections/log.py, the same selection), 50 a
page, next and previous by position, filtered by type, stream, member and effective-date range."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from web.deps import STAFF, Viewer, When, parse_date, require, store, when
from web.render import page

router = APIRouter()
PAGE = 50
READER = require(*STAFF)


def _position(name: str, value: str | None) -> int | None:
    if value in (None, ""):
        return None
    assert value is not None
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise HTTPException(400, f"{name}: {value!r} is not a position (a whole number)")
    return int(value)


def _filter_value(name: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    assert value is not None
    if len(value) > 200 or any(ord(ch) < 32 for ch in value):
        raise HTTPException(400, f"{name}: {value!r} is not a {name}")
    return value


@router.get("/log", response_class=HTMLResponse)
def log_page(request: Request, type: str | None = None, stream: str | None = None, member: str | None = None,
             date_from: str | None = None, date_to: str | None = None, after: str | None = None,
             before: str | None = None, viewer: Viewer = Depends(READER), moment: When = Depends(when),
             events_store: Any = Depends(store)) -> HTMLResponse:
    from ledger.events import REGISTRY
    from projections.log import Filters, one_line, summary
    from projections.log import page as log_page_of

    type_ = _filter_value("type", type)
    if type_ is not None and type_ not in REGISTRY:
        raise HTTPException(400, f"type: {type_!r} is not a known event type")
    filters = Filters(stream=_filter_value("stream", stream), type=type_, member=_filter_value("member", member),
                      date_from=parse_date("date_from", date_from), date_to=parse_date("date_to", date_to),
                      as_known_at=moment.as_known_at)
    start, end = _position("after", after), _position("before", before)
    found = log_page_of(events_store, filters, after=start or 0, before=end, size=PAGE)
    rows = [{"position": e.position, "effective_date": e.effective_date.isoformat(), "type": e.type,
             "stream": one_line(e.stream), "summary": summary(e), "actor": one_line(str(e.metadata.get("actor", ""))),
             "hash": e.hash} for e in found.events]
    keep = {k: v for k, v in {"type": type_ or "", "stream": stream or "", "member": member or "",
                              "date_from": date_from or "", "date_to": date_to or "", **moment.query()}.items() if v}
    return page(request, "log/log.html", viewer, moment, rows=rows, found=found, keep=keep,
                types=sorted(REGISTRY))
