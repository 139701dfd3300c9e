"""`/`: where each role starts. Staff see the co-ops and the fund and the pages they may open; a member is sent to
their own member page; an admin to the users."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ledger.source import StoreSource
from projections.books import societies
from web.deps import Viewer, When, books, current_viewer, when
from web.render import page

router = APIRouter()

LINKS = {  # the pages each staff role works in, beside the co-ops and the fund
    "clerk": (("/bank", "Bank statements"), ("/log", "Event log"), ("/corrections", "Corrections"),
              ("/approvals", "Proposals")),
    "treasurer": (("/bank", "Bank statements"), ("/log", "Event log"), ("/audit", "Audit"),
                  ("/corrections", "Corrections"), ("/approvals", "Approvals")),
    "auditor": (("/log", "Event log"), ("/audit", "Audit"), ("/approvals", "Approvals (history)")),
    "board": (),
}


@router.get("/", include_in_schema=False)
def home(request: Request, viewer: Viewer = Depends(current_viewer), moment: When = Depends(when),
         source: StoreSource = Depends(books)) -> Response:
    if viewer.role == "member":
        return RedirectResponse(f"/members/{viewer.member}", status_code=303)
    if viewer.role == "admin":
        return RedirectResponse("/users", status_code=303)
    named = societies(source)
    return page(request, "home.html", viewer, moment, coops=named["coop"], clts=named["clt"], funds=named["fund"],
                links=LINKS.get(viewer.role, ()))
