"""Arrears month by month on real books, on both engines: the example's ten years at many dates agree with
`member show` to the penny; corrections, recorded time and arrangements go through the store's one way in and
out."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest

from ledger.calendar import add_months
from ledger.commands.audit import reverse_event
from ledger.commands.coop import record
from ledger.errors import NotFound, ValidationFailed
from projections.arrears import coop_arrears, member_arrears_show, months_outstanding
from projections.coop import member_show
from projections.view import LedgerView
from tests.equity_fixtures import ACTOR, ev, received
from tests.integration.test_equity_projections import small_coop

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"
MEMBERS = ("alice", "bob", "carol", "dan")


def test_the_example_books_months_outstanding_agree_with_member_show_at_every_date_asked(backend):
    store = backend.store()
    store.import_lines(EXAMPLE.read_bytes().splitlines(), default_actor="test")
    view = LedgerView(store)
    days = [add_months(date(2015, 2, 1), n) - timedelta(days=d) for n in range(0, 132, 5) for d in (0, 1, 17)]
    checked = in_arrears = 0
    for day in days:
        report = coop_arrears(view, "riverside", day)
        by_member = {r["member"]: r for r in report["members"]}
        for member in MEMBERS:
            try:
                shown = member_show(view, member, day)["arrears"]
            except NotFound:  # not yet admitted on that day
                continue
            assert months_outstanding(view, member, day) == shown
            row = by_member.get(member)
            assert (row["outstanding"] if row else D("0.00")) == shown
            if row:
                assert sum(D(m["outstanding"]) for m in row["months"]) == shown == sum(row["buckets"].values())
                in_arrears += 1
            checked += 1
        assert report["outstanding"] == sum((r["outstanding"] for r in report["members"]), D(0))
    assert checked > 200 and in_arrears > 10  # (the example's bob pays late: the report has something to say)


def _books(store):
    record(store, small_coop() + [
        ev("member-p1", "PaymentDue", date(2012, 1, 1), {"member_id": "p1", "period": "2012-01", "amount": "500"}),
        ev("member-p1", "PaymentDue", date(2012, 2, 1), {"member_id": "p1", "period": "2012-02", "amount": "500"}),
        ev("member-p1", "PaymentDue", date(2012, 3, 1), {"member_id": "p1", "period": "2012-03", "amount": "500"}),
        received("p1", D("500"), date(2012, 1, 3), "BACS-1"),
        received("p1", D("200"), date(2012, 2, 3), "BACS-2"),
    ], actor=ACTOR)


def test_reversing_a_receipt_puts_its_month_back_in_arrears(store):
    _books(store)
    view = LedgerView(store)
    assert [m["period"] for m in member_arrears_show(view, "p1", date(2012, 3, 31))["months"]] == ["2012-02", "2012-03"]
    [first, _] = [e.position for e in store.read(stream="member-p1", type="PaymentReceived")]
    reverse_event(store, first, "the bank returned it", "treasurer")
    shown = member_arrears_show(LedgerView(store), "p1", date(2012, 3, 31))
    assert shown["months_in_arrears"] == "2012-01 (part), 2012-02, 2012-03"
    assert shown["outstanding"] == member_show(LedgerView(store), "p1", date(2012, 3, 31))["arrears"] == D("1300.00")


def test_as_known_at_shows_the_arrears_before_a_late_entered_receipt(store):
    _books(store)
    before = datetime.now(timezone.utc)
    record(store, [received("p1", D("800"), date(2012, 3, 10), "BACS-3")], actor=ACTOR)
    assert member_arrears_show(LedgerView(store), "p1", date(2012, 3, 31))["outstanding"] == D("0.00")
    then = member_arrears_show(LedgerView(store, as_known_at=before), "p1", date(2012, 3, 31))
    assert then["outstanding"] == D("800.00") and then["months_in_arrears"] == "2012-02 (part), 2012-03"


def _arrangement(on: date, start: str, months: int = 3, amount: str = "100") -> dict:
    return ev("member-p1", "ArrangementAgreed", on,
              {"member_id": "p1", "amount": amount, "start_month": start, "months": months})


def test_an_arrangement_goes_through_the_record_path_and_its_checks(store):
    _books(store)
    with pytest.raises(ValidationFailed, match="no arrears"):
        record(store, [_arrangement(date(2012, 1, 20), "2012-02")], actor=ACTOR)
    record(store, [_arrangement(date(2012, 3, 5), "2012-04")], actor=ACTOR)
    with pytest.raises(ValidationFailed, match="still on track"):
        record(store, [_arrangement(date(2012, 3, 6), "2012-05", amount="50")], actor=ACTOR)
    with pytest.raises(ValidationFailed, match="before the month"):
        record(store, [_arrangement(date(2012, 3, 6), "2012-02", amount="50")], actor=ACTOR)
    again = record(store, [_arrangement(date(2012, 3, 5), "2012-04")], actor=ACTOR)
    assert again.written == 0 and again.already_recorded == 1
    [a] = member_arrears_show(LedgerView(store), "p1", date(2012, 3, 31))["arrangements"]
    assert (a["state"], a["start_month"], a["last_month"]) == ("on track", "2012-04", "2012-06")


def test_an_arrangement_back_dated_under_one_agreed_later_is_refused_as_date_order_would(store):
    """Agreed 6 March for April to June, then one dated 5 March for March to May: once both were on track at once
    (in date order the later one is refused as overlapping)."""
    _books(store)
    record(store, [_arrangement(date(2012, 3, 6), "2012-04")], actor=ACTOR)
    head = store.head()
    with pytest.raises(ValidationFailed, match="overlaps the arrangement agreed later, on 2012-03-06"):
        record(store, [_arrangement(date(2012, 3, 5), "2012-03", amount="50")], actor=ACTOR)
    assert store.head() == head
    record(store, [_arrangement(date(2012, 3, 5), "2012-07", amount="50")], actor=ACTOR)  # months apart: fine


def test_the_report_lists_a_broken_arrangement_and_only_those_with_broken(store):
    _books(store)
    record(store, [_arrangement(date(2012, 3, 5), "2012-03", months=2)], actor=ACTOR)
    view = LedgerView(store)
    report = coop_arrears(view, "coop1", date(2012, 5, 1), broken_only=True)
    [row] = report["members"]
    assert row["member"] == "p1" and row["broken"] and row["arrangement"].startswith("broken in 2012-03")
    assert coop_arrears(view, "coop1", date(2012, 4, 30), broken_only=True)["members"] == []


def test_the_report_is_the_same_whatever_order_the_dues_and_receipts_were_entered_in(backend, new_backend):
    lines = EXAMPLE.read_bytes().splitlines()
    flow = [line for line in lines if b'"type":"PaymentDue"' in line or b'"type":"PaymentReceived"' in line]
    setup = [line for line in lines if line not in set(flow)]
    in_order, reversed_ = backend.store(), new_backend(backend.name).store()
    in_order.import_lines(lines, default_actor="test")
    reversed_.import_lines(setup + flow[::-1], default_actor="test")
    for day in (date(2016, 3, 1), date(2019, 11, 30), date(2020, 6, 30), date(2024, 12, 31)):
        assert coop_arrears(LedgerView(in_order), "riverside", day) == coop_arrears(LedgerView(reversed_), "riverside",
                                                                                    day)
