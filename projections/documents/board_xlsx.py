"""The board pack as a workbook (xlsxwriter): one sheet per section, the same data as the PDF (board.py).

Amounts are written as numbers in a £ format, so a board member can add them up; the workbook's creation date is
the chain head's recorded time, so the same pack drawn again is the same file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import xlsxwriter

Column = tuple[str, str, Callable[[dict[str, Any]], Any]]  # (heading, kind: text|money|units|date|int, value)


def _get(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(key)


class _Book:
    def __init__(self, out: io.BytesIO, created: Any) -> None:
        self.book = xlsxwriter.Workbook(out, {"in_memory": True})
        if created is not None:
            self.book.set_properties({"created": created.replace(tzinfo=None), "title": "Board pack"})
        self.formats = {
            "money": self.book.add_format({"num_format": "£#,##0.00;-£#,##0.00"}),
            "units": self.book.add_format({"num_format": "#,##0.00"}),
            "date": self.book.add_format({"num_format": "d mmmm yyyy"}),
            "int": self.book.add_format({"num_format": "0"}),
            "text": None,
            "head": self.book.add_format({"bold": True, "bg_color": "#EEF3F7", "bottom": 1}),
            "title": self.book.add_format({"bold": True, "font_size": 14}),
        }

    def sheet(self, name: str, title: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]],
              note: str | None = None) -> None:
        ws = self.book.add_worksheet(name)
        ws.write(0, 0, title, self.formats["title"])
        first = 2
        if note:
            ws.write(1, 0, note)
            first = 3
        for c, (heading, _, _) in enumerate(columns):
            ws.write(first, c, heading, self.formats["head"])
            ws.set_column(c, c, max(12, len(heading) + 2))
        for r, row in enumerate(rows, start=first + 1):
            for c, (_, kind, value) in enumerate(columns):
                self._cell(ws, r, c, value(row), kind)
        ws.freeze_panes(first + 1, 0)

    def _cell(self, ws: Any, r: int, c: int, value: Any, kind: str) -> None:
        if value is None:
            ws.write_blank(r, c, None)
        elif isinstance(value, Decimal):
            ws.write_number(r, c, float(value), self.formats[kind])  # a spreadsheet cell is a double: shown to 2 places
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value)
        elif isinstance(value, int):
            ws.write_number(r, c, value, self.formats["int"])
        elif isinstance(value, date):
            ws.write_datetime(r, c, value, self.formats["date"])
        else:
            ws.write_string(r, c, str(value))

    def close(self) -> None:
        self.book.close()


def board_xlsx(data: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    head = data["head"]
    book = _Book(out, head.recorded_at)
    coop, period = data["coop"], data["period"]
    summary = [
        {"figure": "Co-op", "value": f"{coop['name']} ({coop['coop']})"},
        {"figure": "Period from", "value": period["from"]}, {"figure": "Period to", "value": period["to"]},
        {"figure": "Members", "value": coop["member_count"]}, {"figure": "Dwellings", "value": len(coop["dwellings"])},
        {"figure": "Debt", "value": coop["debt"]}, {"figure": "Reserve", "value": coop["reserve"]},
        {"figure": "Arrears", "value": coop["arrears"]},
        {"figure": "As known at", "value": data["as_known_at"]},
        {"figure": "Chain head position", "value": head.position}, {"figure": "Chain head hash", "value": head.hash},
        {"figure": "Prove with", "value": head.prove},
    ]
    book.sheet("Summary", "Board pack", [("Figure", "text", _get("figure")), ("Value", "money", _get("value"))],
               summary)
    book.sheet("Debt and reserve", "Debt and reserve over the period",
               [("Date", "date", _get("on")), ("Debt", "money", _get("debt")),
                ("Members' debt shares", "money", _get("members_debt_shares")),
                ("Top-up loans", "money", _get("top_up_loans")), ("Reserve", "money", _get("reserve")),
                ("Arrears", "money", _get("arrears")), ("Members", "int", _get("member_count"))], data["trend"])
    arrears = data["arrears"]
    buckets = [(f"{k} days", "money", (lambda key: lambda r: r["buckets"][key])(k))
               for k in ("0-30", "31-60", "61-90", "90+")]
    book.sheet("Arrears", f"Arrears on {period['to'].isoformat()}, aged",
               [("Member", "text", _get("member")), ("Months in arrears", "text", _get("months_in_arrears")),
                ("Outstanding", "money", _get("outstanding")), *buckets,
                ("Arrangement", "text", _get("arrangement"))],
               [*arrears["members"], {"member": "All members", "months_in_arrears": "", "outstanding":
                                      arrears["outstanding"], "buckets": arrears["buckets"], "arrangement": None}])
    members = data["members"]
    book.sheet("Members", "Members joined and left in the period",
               [("Member", "text", _get("member")), ("Name", "text", _get("name")),
                ("Dwelling", "text", _get("dwelling")), ("Admitted", "date", _get("admitted_on")),
                ("Left", "date", _get("left_on")), ("Joined or left", "text", _get("what"))],
               [{**r, "what": "joined"} for r in members["joined"]] + [{**r, "what": "left"} for r in members["left"]])
    book.sheet("Payouts", "Payouts to members who left in the period",
               [("Member", "text", _get("member")), ("Left", "date", _get("left_on")),
                ("Deposit", "money", _get("deposit")), ("Principal repaid", "money", _get("principal_repaid")),
                ("Growth", "money", _get("growth")), ("Deduction", "money", _get("deduction")),
                ("Arrears deducted", "money", _get("arrears_deducted")), ("Paid out", "money", _get("paid")),
                ("Still owed", "money", _get("still_owed"))],
               data["payouts"], None if data["payouts"] else "Nobody left in the period: no payouts.")
    units = data["units"]
    book.sheet("Units", f"Units held by each party on {period['to'].isoformat()}",
               [("Dwelling", "text", _get("dwelling")), ("Occupant", "text", _get("occupant")),
                ("Value", "money", _get("value")), ("Unit value", "money", _get("unit_value")),
                ("CLT", "units", _get("clt")), ("Member", "units", _get("member")),
                ("Financed (co-op)", "units", _get("financed")), ("All units", "units", _get("total"))],
               [*units["dwellings"], {"dwelling": "All dwellings", **units["totals"]}])
    rows: list[dict[str, Any]] = []
    for f in data["funds"]:
        rows += [{"fund": f["fund_id"], **y} for y in f["forecast"]["years"]]
    book.sheet("Fund forecast", "The fund's liquidity forecast",
               [("Fund", "text", _get("fund")), ("From", "date", _get("from")), ("To", "date", _get("to")),
                ("Opening", "money", _get("opening_balance")), ("Inflows", "money", _get("total_inflows")),
                ("Outflows", "money", _get("total_outflows")), ("Closing balance", "money", _get("fund_balance")),
                ("Lowest in year", "money", _get("lowest_balance")), ("Projected", "text", _get("projected"))],
               rows, None if data["funds"] else "No fund is linked to this co-op: it holds no savings account in a "
                                                "fund, so there is no liquidity forecast.")
    book.close()
    return out.getvalue()
