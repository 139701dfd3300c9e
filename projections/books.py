"""The totals an auditor checks, on any EventSource: per co-op debt, reserve, members and units; per fund
savings, points and loans. The live read side and the audit replay both compute them here, so their
figures can be compared line by line (projections/audit.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from ledger.errors import NotFound
from ledger.source import EventSource


def societies(view: EventSource) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"clt": [], "coop": [], "fund": []}
    for event in view.of_type("SocietyRegistered"):
        found[event.payload["kind"]].append(event.payload["society_id"])
    for event in view.of_type("FundPolicySet"):  # a fund's books may begin with its policy
        found["fund"].append(event.payload["fund_id"])
    return {kind: sorted(set(ids)) for kind, ids in found.items()}


def books(view: EventSource, as_of: date, *, coops: Optional[Iterable[str]] = None,
          funds: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """The totals an auditor checks: per co-op debt, reserve, members, units; per fund savings, points, loans.

    `coops` and `funds` restrict the books to those societies (a replay worker's portion); None means all.
    """
    from projections.coop import coop_show, dwelling_show
    from projections.fund import FundIndex, fund, holder

    named = societies(view)
    wanted_coops = named["coop"] if coops is None else sorted(set(coops) & set(named["coop"]))
    wanted_funds = named["fund"] if funds is None else sorted(set(funds) & set(named["fund"]))
    coops_books: dict[str, Any] = {}
    for coop in wanted_coops:
        try:
            shown = coop_show(view, coop, as_of)
        except NotFound:
            continue  # registered after as_of
        units = {"clt": Decimal(0), "member": Decimal(0), "financed": Decimal(0), "total": Decimal(0)}
        for dwelling in shown.get("dwellings", []):
            try:
                held = dwelling_show(view, dwelling, as_of)["units"]
            except NotFound:
                continue
            for holder_name in units:
                units[holder_name] += Decimal(held[holder_name])
        coops_books[coop] = {"debt": shown["debt"], "reserve": shown["reserve"], "members": shown["member_count"],
                             "units": {k: str(v) for k, v in units.items()}}
    funds_books: dict[str, Any] = {}
    if not wanted_funds:
        return {"coops": coops_books, "funds": funds_books}
    reader = view
    index = FundIndex(reader)
    for fund_id in wanted_funds:
        try:
            shown = fund(reader, fund_id, as_of)
        except NotFound:
            continue
        holders = sorted({index.accounts[a]["holder_id"] for a in index.fund_accounts(fund_id)})
        points = Decimal(0)
        for holder_id in holders:
            try:
                points += holder(reader, holder_id, as_of).points  # the shown figure, as `savings show` prints it
            except NotFound:
                continue
        funds_books[fund_id] = {key: shown[key] for key in ("savings", "share_capital", "fees", "loans_outstanding",
                                                        "expenses", "liquidity", "locked_after_savings")}
        funds_books[fund_id]["points"] = str(points)
        funds_books[fund_id]["loans_active"] = shown["loans_active"]
    return {"coops": coops_books, "funds": funds_books}
