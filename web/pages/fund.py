"""The savings-and-loans fund as pages: liquidity and the forecast, savers and loans, a saver's and a loan's page,
and a loan quote with its points curve. Every figure is `mutual fund|savings|loan ... --json`, read in-process."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from projections.documents.charts import Line, Panel, chart_spec
from web.deps import STAFF, Viewer, When, books, own_saver, require, when
from web.pages.ops_common import argument, cli_json, dates
from web.render import page

router = APIRouter()
READERS = STAFF  # clerk, treasurer, auditor, board
READER = require(*READERS)
READER_OR_SAVER = require(*READERS, "member")


def _funds(source: Any) -> list[str]:
    return sorted({e.payload["fund_id"] for e in source.of_type("FundPolicySet")})


def _forecast_chart(forecast: dict[str, Any]) -> list[dict[str, Any]]:
    """The forecast's chart, for the browser to draw (web/templates/_chart.html)."""
    years = forecast["years"]
    days = [date.fromisoformat(y["to"]) for y in years]
    return chart_spec([Panel(f"Fund {forecast['fund_id']}: liquidity forecast", "pounds", [
        Line("fund balance at year end", days, [Decimal(y["fund_balance"]) for y in years]),
        Line("lowest balance in the year", days, [Decimal(y["lowest_balance"]) for y in years])])])


def _points_chart(quote: dict[str, Any], payout: date) -> list[dict[str, Any]]:
    """The quote's points curve, for the browser to draw."""
    curve = quote["points_curve"]
    days = [payout + timedelta(days=round(30.4375 * m["month"])) for m in curve]
    return chart_spec([Panel("Savings points over the loan", "points", [
        Line("points at month end", days, [Decimal(m["closing"]) for m in curve]),
        Line("points consumed in the month", days, [Decimal(m["consumed"]) for m in curve])], pounds=False)])


@router.get("/fund", response_class=HTMLResponse)
def fund_page(request: Request, fund: str | None = None, years: int = 10,
              viewer: Viewer = Depends(READER), moment: When = Depends(when),
              source: Any = Depends(books)) -> HTMLResponse:
    """The fund's liquidity, its forecast (a chart and the table), its savers' accounts and its loans."""
    from projections.fund import FundIndex

    funds = _funds(source)
    if not funds:
        return page(request, "fund/fund.html", viewer, moment, funds=[], fund=None)
    chosen = fund or funds[0]
    if chosen not in funds:
        raise HTTPException(404, f"fund: {chosen!r} is not a fund in the books")
    if not 1 <= years <= 100:
        raise HTTPException(400, "years: must be from 1 to 100")
    report = cli_json(request, ["fund", "show", chosen, *dates(moment)])
    forecast = cli_json(request, ["fund", "forecast", chosen, "--years", str(years), *dates(moment)])
    index = FundIndex(source)
    accounts = sorted((o for o in index.opened.values() if o.fund_id == chosen), key=lambda o: o.account_id)
    loans = sorted((g for g in index.granted.values() if g.fund_id == chosen), key=lambda g: g.loan_id)
    return page(request, "fund/fund.html", viewer, moment, funds=funds, fund=chosen, report=report,
                forecast=forecast, chart=_forecast_chart(forecast), accounts=accounts, loans=loans, years=years)


@router.get("/fund/savers/{holder}", response_class=HTMLResponse)
def saver_page(request: Request, holder: str, viewer: Viewer = Depends(READER_OR_SAVER),
               moment: When = Depends(when)) -> HTMLResponse:
    """A saver's balances, points and loans; a member sees only their own."""
    own_saver(viewer, holder)
    data = cli_json(request, ["savings", "show", argument("holder", holder), *dates(moment)])
    return page(request, "fund/saver.html", viewer, moment, saver=data)


@router.get("/fund/loans/{loan}", response_class=HTMLResponse)
def loan_page(request: Request, loan: str, viewer: Viewer = Depends(READER),
              moment: When = Depends(when)) -> HTMLResponse:
    data = cli_json(request, ["loan", "show", argument("loan", loan), *dates(moment)])
    return page(request, "fund/loan.html", viewer, moment, loan=data)


@router.get("/fund/quote", response_class=HTMLResponse)
def quote_page(request: Request, amount: str | None = None, months: str | None = None, points: str | None = None,
               holder: str | None = None, fund: str | None = None, on: str | None = None,
               viewer: Viewer = Depends(READER), moment: When = Depends(when)) -> HTMLResponse:
    """`mutual loan quote` as a form: the whole contract and its points curve (writes nothing)."""
    form = {"amount": amount or "", "months": months or "", "points": points or "", "holder": holder or "",
            "fund": fund or "", "on": on or ""}
    if not amount and not months:
        return page(request, "fund/quote.html", viewer, moment, form=form, quote=None)
    argv = ["loan", "quote", "--amount", amount or "", "--months", months or ""]
    for option, value in (("--points", points), ("--holder", holder), ("--fund", fund), ("--on", on)):
        if value:
            argv += [option, value]
    argv += dates(moment, as_of=False)
    quote = cli_json(request, argv)
    try:
        payout = date.fromisoformat(on) if on else moment.as_of  # (the CLI has accepted `on` as a date by now)
    except ValueError:
        raise HTTPException(400, f"on: {on!r} is not an ISO date (YYYY-MM-DD)") from None
    return page(request, "fund/quote.html", viewer, moment, form=form, quote=quote,
                chart=_points_chart(quote, payout))
