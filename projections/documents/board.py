"""The board pack of a co-op for a period: debt and reserve month by month with a chart, arrears aged, members
joined and left, units held by each party, payouts, and the liquidity forecast of the fund the co-op saves in.

Every figure is a query's own: `coop show` (projections/coop.py `coop_show`) at the period's start, each month's
end and its last day; `arrears --coop` (projections/arrears.py `coop_arrears`); `register`
(`register_show`) for who joined and left; `dwelling show` (`dwelling_show`) for the units; `member show` for
what a leaver was paid; `fund show` and `fund forecast` (projections/fund.py) for the fund. Nothing is computed
again here but totals of the rows shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledger.money import ZERO
from projections.arrears import coop_arrears
from projections.coop import coop_show, dwelling_show, member_show, register_show
from projections.documents.charts import Line, Panel, chart_svg
from projections.documents.render import render_html, render_pdf
from projections.documents.statement import StatementBooks, check_period, month_ends
from projections.fund import forecast, fund

TEMPLATE = "board.html"
FORECAST_YEARS = 5
HOLDERS = ("clt", "member", "financed", "total")


def _trend(books: StatementBooks, coop_id: str, start: date, end: date) -> list[dict[str, Any]]:
    rows = []
    for day in month_ends(start, end):
        shown = coop_show(books.source, coop_id, day)
        rows.append({"on": day, **{k: shown[k] for k in ("debt", "members_debt_shares", "top_up_loans", "reserve",
                                                          "arrears", "member_count", "payments_received")}})
    return rows


def _members(books: StatementBooks, coop_id: str, start: date, end: date) -> dict[str, Any]:
    register = register_show(books.source, coop_id, end)
    rows = register["members"]
    joined = [r for r in rows if r["admitted_on"] is not None and start <= r["admitted_on"] <= end]
    left = [r for r in rows if r["left_on"] is not None and start <= r["left_on"] <= end]
    for r in [*joined, *left]:
        r["name"] = _name(books, r["member"])
    return {"joined": joined, "left": left, "member_count": register["member_count"],
            "voting_members": len(register["voting_members"]), "share_capital": register["share_capital"]}


def _name(books: StatementBooks, member_id: str) -> str:
    person = books.person(member_id)
    return person.display_name if person is not None else member_id


def _payouts(books: StatementBooks, left: list[dict[str, Any]], end: date) -> list[dict[str, Any]]:
    out = []
    for r in left:
        shown = member_show(books.source, r["member"], end)
        detail = shown["payout_detail"]
        out.append({"member": r["member"], "name": r["name"], "left_on": r["left_on"],
                    "paid": shown["equity_paid_out"], "arrears_deducted": detail.get("arrears_deducted"),
                    "deposit": detail.get("deposit"), "principal_repaid": detail.get("principal_repaid"),
                    "growth": detail.get("growth"), "deduction": detail.get("deduction"),
                    # what facts recorded since the payout changed (a payment dated before leaving): still owed
                    "still_owed": detail.get("payout") if r["left_on"] and detail.get("payout") else None})
    return out


def _units(books: StatementBooks, dwellings: list[str], end: date) -> dict[str, Any]:
    rows = []
    totals = {"clt": ZERO, "member": ZERO, "financed": ZERO, "total": ZERO, "value": ZERO}
    for dwelling_id in dwellings:
        shown = dwelling_show(books.source, dwelling_id, end)
        units = shown["units"]
        rows.append({"dwelling": dwelling_id, "occupant": shown["occupant"], "value": shown["value"],
                     "unit_value": shown["unit_value"], **{k: units[k] for k in HOLDERS}})
        for k in HOLDERS:
            totals[k] += units[k]
        totals["value"] += shown["value"]
    return {"dwellings": rows, "totals": totals}


def _funds(books: StatementBooks, coop_id: str, end: date) -> list[dict[str, Any]]:
    """The funds the co-op saves in (it holds an account there), each with its position and forecast."""
    index = books.index()
    found = sorted({index.opened[a].fund_id for a in index.holder_accounts(coop_id)})
    out = []
    for fund_id in found:
        out.append({"fund_id": fund_id, "position": fund(books.source, fund_id, end),
                    "forecast": forecast(books.source, fund_id, FORECAST_YEARS, end + timedelta(days=1), end)})
    return out


def board_data(books: StatementBooks, coop_id: str, start: date, end: date) -> dict[str, Any]:
    check_period(start, end)
    closing = coop_show(books.source, coop_id, end)
    members = _members(books, coop_id, start, end)
    return {
        "coop": closing,
        "period": {"from": start, "to": end},
        "head": books.head,
        "as_known_at": books.head.known_at,
        "trend": _trend(books, coop_id, start, end),
        "arrears": coop_arrears(books.source, coop_id, end),
        "members": members,
        "payouts": _payouts(books, members["left"], end),
        "units": _units(books, closing["dwellings"], end),
        "funds": _funds(books, coop_id, end),
    }


def board_charts(data: dict[str, Any]) -> dict[str, str]:
    trend = data["trend"]
    days = [r["on"] for r in trend]

    def series(key: str) -> list[Decimal]:
        return [r[key] for r in trend]

    charts = {"trend": chart_svg([
        Panel("Debt", "pounds", [Line("co-op debt", days, series("debt")),
                                 Line("members' debt shares", days, series("members_debt_shares"))]),
        Panel("Reserve and arrears", "pounds", [Line("reserve", days, series("reserve")),
                                                Line("arrears", days, series("arrears"))])], width=7.4, height=2.8)}
    for f in data["funds"]:
        years = f["forecast"]["years"]
        charts[f["fund_id"]] = chart_svg([Panel(f"Fund {f['fund_id']}: liquidity forecast", "pounds", [
            Line("fund balance at year end", [y["to"] for y in years], [y["fund_balance"] for y in years]),
            Line("lowest balance in the year", [y["to"] for y in years], [y["lowest_balance"] for y in years])])],
            width=7.4, height=2.6)
    return charts


def board_html(data: dict[str, Any], *, for_pdf: bool = False) -> str:
    return render_html(TEMPLATE, {**data, "charts": board_charts(data)}, for_pdf=for_pdf)


def board_pdf(data: dict[str, Any]) -> bytes:
    return render_pdf(TEMPLATE, {**data, "charts": board_charts(data)}, data["head"].recorded_at)
