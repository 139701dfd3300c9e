"""The pieces a statement is made of: its dates, its formats, its chart, and the payments' allocation, which must be
the arrears fold's own."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from ledger.coop.arrears import MemberBook
from ledger.store import StoredEvent
from projections.documents.charts import Line, Panel, chart_svg
from projections.documents.render import amount, long_date, money, month_name
from projections.documents.statement import _receipts, month_ends


def test_the_charts_dates_are_the_start_each_months_end_and_the_last_day():
    assert list(month_ends(date(2020, 1, 15), date(2020, 3, 10))) == [
        date(2020, 1, 15), date(2020, 1, 31), date(2020, 2, 29), date(2020, 3, 10)]
    assert list(month_ends(date(2020, 1, 1), date(2020, 1, 31))) == [date(2020, 1, 1), date(2020, 1, 31)]
    assert list(month_ends(date(2020, 5, 5), date(2020, 5, 5))) == [date(2020, 5, 5)]


def test_amounts_dates_and_months_are_written_for_people_in_en_gb():
    assert money(D("1828.74")) == "£1,828.74" and money("-596.36") == "-£596.36" and money(None) == "-"
    assert money(D("0.005")) == "£0.01"  # half up, as round_money
    assert amount(D("137.722422")) == "137.72" and amount(D("176000"), 0) == "176,000"
    assert long_date(date(2020, 12, 31)) == "31 December 2020" and month_name("2020-04") == "April 2020"


def test_a_chart_is_an_svg_titled_with_its_unit_with_dates_and_pounds_on_its_axes_drawn_the_same_every_time():
    panels = [Panel("Equity", "pounds", [Line("gross equity", [date(2020, 1, 1), date(2020, 6, 30)],
                                             [D("100"), D("250.50")])])]
    first = chart_svg(panels)
    texts = re.findall(r"<text[^>]*>([^<]*)<", first)
    assert first.startswith("<svg") and "gross equity" in texts and "Equity (pounds)" in texts
    assert "2020" in texts and "£100" in texts
    assert chart_svg(panels) == first
    points = [Panel("Savings points", "points", [Line("points", [date(2020, 1, 1)], [D("5")])], pounds=False)]
    assert "Savings points" in re.findall(r"<text[^>]*>([^<]*)<", chart_svg(points))  # the unit not said twice


def _event(position: int, type_: str, on: date, payload: dict) -> StoredEvent:
    return StoredEvent(position, "member-m", position, type_, 1, on, None, payload, {}, f"k{position}", "", "")


@given(st.lists(st.integers(1, 900), min_size=1, max_size=14), st.lists(st.integers(1, 1200), max_size=14),
       st.integers(0, 13))
def test_each_payments_allocation_adds_up_to_what_the_arrears_fold_says_each_month_was_paid(dues, paid, split):
    """Over a period, the months each payment paid add up to the fold's `paid` for every due, and each payment's
    parts and credit add up to the payment."""
    events = [_event(i + 1, "PaymentDue", date(2020, 1 + i % 12, 1) if i < 12 else date(2021, i - 11, 1),
                     {"member_id": "m", "period": f"p{i:02d}", "amount": f"{a}.00"}) for i, a in enumerate(dues)]
    events += [_event(100 + i, "PaymentReceived", date(2020, 1 + i % 12, 3) if i < 12 else date(2021, i - 11, 3),
                      {"member_id": "m", "period": "x", "amount": f"{a}.00", "bank_reference": f"r{i}"})
               for i, a in enumerate(paid)]
    book = MemberBook(events)
    end = date(2021, 12, 31)
    start = date(2020, 1, 1) if split == 0 else date(2020, 1 + min(split, 11), 2)
    receipts = _receipts(book, start, end)
    for r in receipts:
        assert sum((p["amount"] for p in r["paid"]), D(0)) + r["credit"] == r["amount"] and r["credit"] >= 0
    if start == date(2020, 1, 1):  # every payment is in the period: together they paid what the fold says
        by_month: dict[str, D] = {}
        for r in receipts:
            for p in r["paid"]:
                by_month[p["period"]] = by_month.get(p["period"], D(0)) + p["amount"]
        assert {m.period: m.paid for m in book.owed(end) if m.paid} == by_month
