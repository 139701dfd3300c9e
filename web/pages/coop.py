"""The co-op's pages: a co-op's dashboard, a member's page (with the equity chart), a dwelling, the register.

Every figure is a projection's own, the one the CLI prints: `coop show`, `member show`, `dwelling show`,
`register`, `arrears --coop`, `arrangement show` (projections/coop.py, projections/arrears.py), and for a member's
year and chart the statement's figures (projections/documents/statement.py `payments_and_savings`, and
`chart_data` as `statement_panels`, drawn by the browser). Nothing is computed here; docs/web-pages.md says where
each figure comes from.

A member reads only their own page (`own_member`: another member's is "not found"); staff read every page; an
admin reads none of the books.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from ledger.errors import NotFound
from projections.arrears import coop_arrears, member_arrears_show
from projections.coop import coop_show, dwelling_show, member_show, register_show, remembered
from projections.documents.charts import chart_spec
from projections.documents.statement import (
    StatementBooks,
    chart_data,
    payments_and_savings,
    person_shown,
    statement_panels,
)
from web.deps import STAFF, Viewer, When, own_member, require, store, when
from web.render import page

router = APIRouter()

READERS = (*STAFF, "member")  # who may open a member's page (a member only their own)
staff_only = require(*STAFF)  # co-op pages: a member gets 404, an admin 403
member_or_staff = require(*READERS)  # a member's page and statement: a member only their own (`own_member`)


T = TypeVar("T")


def found(question: Callable[..., T], *args: Any) -> T:
    """A projection's answer; a member, dwelling or society the books do not hold (on that date) is a 404 naming it."""
    try:
        return question(*args)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


def keep(moment: When) -> str:
    """The query string that keeps a page's dates on a link."""
    return urlencode(moment.query())


def statement_link(member_id: str, start: date, moment: When, fmt: str = "pdf") -> str:
    """The statement from `start` to the page's date, as known at the page's time."""
    query = {"from": start.isoformat(), "to": moment.as_of.isoformat(), "format": fmt}
    if moment.as_known_at is not None:
        query["as_known_at"] = moment.query()["as_known_at"]
    return f"/members/{member_id}/statement?{urlencode(query)}"


@router.get("/coops/{coop_id}", response_class=HTMLResponse)
def dashboard(request: Request, coop_id: str, viewer: Viewer = Depends(staff_only),
              moment: When = Depends(when)) -> HTMLResponse:
    """Debt, reserve, members and arrears at the top; then the members, the dwellings and the units by party."""
    books = StatementBooks.open(store(request), moment.as_known_at, shared=True)
    arrears, coop, members, dwellings = remembered(books.source, ("dashboard", coop_id, moment.as_of),
                                                   lambda: _dashboard(books, coop_id, moment.as_of))
    return page(request, "coop/dashboard.html", viewer, moment, coop=coop, members=members, dwellings=dwellings,
                arrears=arrears, head=books.head, q=keep(moment),
                names={m["member"]: _name(books, m["member"]) for m in members},
                pack_from=date(moment.as_of.year, 1, 1))


def _dashboard(books: StatementBooks, coop_id: str, as_of: date) -> tuple[Any, ...]:
    """The dashboard's figures: `arrears --coop`, `coop show`, and `member show` and `dwelling show` of each. The
    arrears first: they read each member's whole stream (the co-op's streams in one query), which the folds below
    then reuse (one read of each stream a page, not one up to the date and another whole)."""
    arrears = found(coop_arrears, books.source, coop_id, as_of)
    coop = found(coop_show, books.source, coop_id, as_of)
    members = [found(member_show, books.source, m, as_of) for m in coop["members"]]
    dwellings = [found(dwelling_show, books.source, d, as_of) for d in coop["dwellings"]]
    return arrears, coop, members, dwellings


def _name(books: StatementBooks, member_id: str) -> str:
    """The member's name from the register of people (by id when the register has none or it was erased)."""
    person = books.person(member_id)
    return person.display_name if person is not None and not person.erased else member_id


@router.get("/members/{member_id}", response_class=HTMLResponse)
def member_page(request: Request, member_id: str, viewer: Viewer = Depends(member_or_staff),
                moment: When = Depends(when)) -> HTMLResponse:
    """A member's units, value, debt share, equity, payout if leaving, arrears by month, this year's payments and
    the equity chart since admission: `member show`, `arrangement show` and the statement's own figures."""
    own_member(viewer, member_id)
    books = StatementBooks.open(store(request), moment.as_known_at, shared=True)
    arrears, shown, year_start, year = remembered(books.source, ("member", member_id, moment.as_of),
                                                  lambda: _member_figures(books, member_id, moment.as_of))
    chart = remembered(books.source, ("member chart", member_id, moment.as_of), lambda: chart_spec(statement_panels(
        found(chart_data, books, member_id, shown["admitted_on"], moment.as_of))))  # the chart's figures alone
    return page(request, "coop/member.html", viewer, moment, m=shown, person=person_shown(books, member_id),
                arrears=arrears, year=year,
                year_start=year_start, saver=year["saver"], chart=chart, head=books.head, q=keep(moment),
                staff=viewer.role in STAFF, statement_pdf=statement_link(member_id, year_start, moment),
                statement_html=statement_link(member_id, year_start, moment, "html"))


def _member_figures(books: StatementBooks, member_id: str, as_of: date) -> tuple[Any, ...]:
    """The member page's figures: `arrangement show`, `member show`, and the statement's payments for the year to
    date and savings (`payments_and_savings`). The arrears first: they read the member's whole stream, which every
    fold below then reuses. (Personal data is read for each page, never kept with the figures: person_shown.)"""
    arrears = found(member_arrears_show, books.source, member_id, as_of)
    shown = found(member_show, books.source, member_id, as_of)
    year_start = max(date(as_of.year, 1, 1), shown["admitted_on"])
    year = found(payments_and_savings, books, member_id, year_start, as_of)
    return arrears, shown, year_start, year


@router.get("/dwellings/{dwelling_id}", response_class=HTMLResponse)
def dwelling_page(request: Request, dwelling_id: str, viewer: Viewer = Depends(staff_only),
                  moment: When = Depends(when)) -> HTMLResponse:
    """A dwelling's value, unit value, units by holder, occupant, charges and leases: `dwelling show`."""
    books = StatementBooks.open(store(request), moment.as_known_at, shared=True)
    shown = found(dwelling_show, books.source, dwelling_id, moment.as_of)
    return page(request, "coop/dwelling.html", viewer, moment, d=shown, head=books.head, q=keep(moment))


@router.get("/societies/{society_id}/register", response_class=HTMLResponse)
def register_page(request: Request, society_id: str, viewer: Viewer = Depends(staff_only),
                  moment: When = Depends(when)) -> HTMLResponse:
    """The register of members and shares on the date, and who may vote: `register`."""
    books = StatementBooks.open(store(request), moment.as_known_at, shared=True)
    shown = found(register_show, books.source, society_id, moment.as_of)
    return page(request, "coop/register.html", viewer, moment, r=shown, head=books.head, q=keep(moment))
