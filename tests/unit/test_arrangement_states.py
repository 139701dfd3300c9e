"""Repayment arrangements: on track, completed, broken, ended early -- worked out on read from the member's stream,
never recorded -- and the arrangements a check refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from ledger.coop.arrears import BROKEN, COMPLETED, ENDED_EARLY, ON_TRACK, arrangement_refusals, member_arrears
from tests.unit.test_arrears_fold import Book


def in_arrears() -> Book:
    """Dues of £500 on the 1st of each month of 2025; January and February not paid: £1,000 in arrears on 28 Feb,
    when £100 a month for 3 months from March is agreed."""
    book = Book()
    for month in range(1, 13):
        book.due(f"2025-{month:02d}", "500.00")
    book.add(date(2025, 2, 28), "ArrangementAgreed", {"member_id": "m1", "amount": "100.00", "start_month": "2025-03",
                                                      "months": 3, "reason": "hardship"})
    return book


def state(book: Book, on: date):
    [found] = member_arrears("m1", book.events, on).arrangements
    return found


def test_an_arrangement_is_on_track_until_a_months_deadline_passes():
    book = in_arrears().paid(date(2025, 3, 5), "600.00")
    s = state(book, date(2025, 3, 31))
    assert (s.state, s.months_kept, s.month) == (ON_TRACK, 0, "2025-03")
    assert (s.required, s.paid) == (D("600.00"), D("600.00"))


def test_each_month_paid_with_its_instalment_keeps_the_arrangement_and_it_completes():
    book = in_arrears()
    for month in (3, 4, 5, 6):
        book.paid(date(2025, month, 5), "600.00" if month < 6 else "500.00")
    assert (state(book, date(2025, 6, 1)).state, state(book, date(2025, 6, 1)).months_kept) == (ON_TRACK, 2)
    assert state(book, date(2025, 6, 30)).state == ON_TRACK  # the last month's deadline is not over yet
    done = state(book, date(2025, 7, 1))
    assert (done.state, done.months_kept, done.since) == (COMPLETED, 3, date(2025, 7, 1))
    assert member_arrears("m1", book.events, date(2025, 6, 30)).outstanding == D("700.00")


def test_a_missed_instalment_made_up_in_the_month_after_keeps_the_arrangement():
    book = in_arrears().paid(date(2025, 3, 5), "500.00").paid(date(2025, 4, 5), "700.00")
    s = state(book, date(2025, 5, 1))
    assert (s.state, s.months_kept, s.month) == (ON_TRACK, 1, "2025-04")


def test_an_arrangement_is_broken_the_day_after_a_months_deadline_is_missed():
    book = in_arrears().paid(date(2025, 3, 5), "500.00").paid(date(2025, 4, 5), "550.00")
    assert state(book, date(2025, 4, 30)).state == ON_TRACK
    s = state(book, date(2025, 5, 1))
    assert (s.state, s.month, s.since, s.months_kept) == (BROKEN, "2025-03", date(2025, 5, 1), 0)
    assert (s.required, s.paid) == (D("1100.00"), D("1050.00"))
    assert member_arrears("m1", book.events, date(2025, 5, 1)).broken


def test_paying_only_the_normal_payment_breaks_the_arrangement_at_the_first_deadline():
    """The month after's own payment does not make up the month before's instalment."""
    book = in_arrears()
    for month in (3, 4, 5, 6, 7):
        book.paid(date(2025, month, 5), "500.00")
    s = state(book, date(2025, 5, 1))
    assert (s.state, s.month) == (BROKEN, "2025-03")


def test_clearing_the_arrears_before_the_last_month_ends_the_arrangement_early():
    book = in_arrears().paid(date(2025, 3, 5), "600.00").paid(date(2025, 3, 20), "900.00")
    s = state(book, date(2025, 6, 30))
    assert (s.state, s.since) == (ENDED_EARLY, date(2025, 3, 20))


def test_clearing_the_arrears_in_the_last_month_completes_it():
    book = in_arrears().paid(date(2025, 3, 5), "600.00").paid(date(2025, 4, 5), "600.00").paid(date(2025, 5, 5),
                                                                                               "1300.00")
    s = state(book, date(2025, 5, 6))
    assert (s.state, s.since) == (COMPLETED, date(2025, 5, 5))


def test_an_arrangement_is_refused_without_arrears_before_its_month_or_over_one_on_track():
    book = Book().due("2025-01", "500.00").paid(date(2025, 1, 2), "500.00")
    [problem] = arrangement_refusals("m1", book.events, date(2025, 1, 20), "2025-02", 3)
    assert problem.field == "payload.member_id" and "no arrears" in problem.reason
    book = in_arrears()
    errors = arrangement_refusals("m1", book.events, date(2025, 3, 10), "2025-02", 2)
    assert [e.field for e in errors] == ["payload.start_month", "payload.start_month"]
    assert "before the month" in errors[0].reason and "still on track" in errors[1].reason
    assert arrangement_refusals("m1", book.events, date(2025, 3, 10), "2025-06", 2) == []  # after the first one


def test_a_new_arrangement_may_replace_a_broken_one_and_is_the_one_the_report_follows():
    book = in_arrears().paid(date(2025, 3, 5), "500.00")
    assert arrangement_refusals("m1", book.events, date(2025, 5, 2), "2025-05", 6) == []
    book.add(date(2025, 5, 2), "ArrangementAgreed", {"member_id": "m1", "amount": "50.00", "start_month": "2025-05",
                                                     "months": 6})
    found = member_arrears("m1", book.events, date(2025, 5, 2))
    assert [s.state for s in found.arrangements] == [BROKEN, ON_TRACK] and not found.broken
