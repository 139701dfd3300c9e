"""The month-by-month arrears fold (ledger/coop/arrears.py): which months a member's payments have paid, aged, and
the one allocation rule it shares with `member show` (ledger/rules/payments.py)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings, strategies as st

from ledger.calendar import add_months
from ledger.coop.arrears import MemberBook, bucket_of, member_arrears
from ledger.coop.fold import Fact
from ledger.coop.member import member_ledger
from ledger.rules.payments import paid_oldest_first, unpaid

ADMITTED = date(2025, 1, 1)


class Book:
    """A member's stream built fact by fact, as the folds read it."""

    def __init__(self) -> None:
        self.events: list[Fact] = []
        self.add(ADMITTED, "MemberAdmitted", {"member_id": "m1", "coop_id": "c1", "dwelling_id": "d1",
                                               "net_salary": "20000", "payment_rate": "0.30", "deposit": "5000",
                                               "debt_share": "60000"})

    def add(self, on: date, type_: str, payload: dict) -> Book:
        n = len(self.events) + 1
        self.events.append(Fact(n, "member-m1", n, type_, 1, on, payload, f"k{n}"))
        return self

    def due(self, period: str, amount: str, on: date | None = None) -> Book:
        on = on or date(int(period[:4]), int(period[5:]), 1)
        return self.add(on, "PaymentDue", {"member_id": "m1", "period": period, "amount": amount})

    def paid(self, on: date, amount: str, period: str | None = None) -> Book:
        return self.add(on, "PaymentReceived", {"member_id": "m1", "amount": amount,
                                                "period": period or f"{on.year}-{on.month:02d}",
                                                "bank_reference": f"B{len(self.events)}"})

    def months(self, on: date) -> list[tuple[str, D, D]]:
        return [(m.period, m.paid, m.outstanding) for m in member_arrears("m1", self.events, on).months]


DWELLING = [Fact(1, "dwelling-d1", 1, "DwellingRegistered", 1, date(2024, 1, 1),
                 {"dwelling_id": "d1", "coop_id": "c1", "value": "100000", "units": "1000", "clt_units": "300"}, "d")]


def member_show_arrears(events, on: date) -> D:
    return member_ledger(events, DWELLING, on).arrears


def test_a_part_payment_leaves_its_month_part_paid():
    book = Book().due("2025-01", "500.00").paid(date(2025, 1, 3), "200.00")
    [(period, paid, outstanding)] = book.months(date(2025, 1, 31))
    assert (period, paid, outstanding) == ("2025-01", D("200.00"), D("300.00"))
    assert member_arrears("m1", book.events, date(2025, 1, 31)).months[0].part_paid


def test_payments_pay_the_oldest_month_first_whatever_month_they_name():
    book = (Book().due("2025-01", "500.00").due("2025-02", "500.00").due("2025-03", "500.00")
            .paid(date(2025, 3, 5), "500.00", period="2025-03"))
    assert book.months(date(2025, 3, 31)) == [("2025-02", D("0"), D("500.00")), ("2025-03", D("0"), D("500.00"))]


def test_an_overpayment_is_carried_forward_to_the_next_month_due():
    book = Book().due("2025-01", "500.00").paid(date(2025, 1, 3), "800.00").due("2025-02", "500.00")
    jan = member_arrears("m1", book.events, date(2025, 1, 31))
    assert jan.months == [] and jan.credit == D("300.00") and jan.outstanding == 0
    feb = member_arrears("m1", book.events, date(2025, 2, 28))
    assert book.months(date(2025, 2, 28)) == [("2025-02", D("300.00"), D("200.00"))] and feb.credit == 0


def test_a_payment_for_a_future_month_is_credit_until_that_month_falls_due():
    book = Book().due("2025-01", "500.00").paid(date(2025, 1, 3), "500.00").paid(date(2025, 1, 20), "500.00",
                                                                                 period="2025-02")
    assert member_arrears("m1", book.events, date(2025, 1, 31)).credit == D("500.00")
    book.due("2025-02", "500.00")
    assert book.months(date(2025, 2, 1)) == [] and member_arrears("m1", book.events, date(2025, 2, 1)).credit == 0


def test_a_reversed_receipt_leaves_its_month_unpaid_again_and_a_replacement_counts_instead():
    book = Book().due("2025-01", "500.00").paid(date(2025, 1, 3), "500.00")
    assert book.months(date(2025, 1, 31)) == []
    # A source hands the folds a stream with corrections applied (ledger/corrections.py): the reversed receipt is
    # gone, its replacement (if any) in its place.
    reversed_ = [e for e in book.events if e.type != "PaymentReceived"]
    assert [(p, o) for p, _, o in
            [(m.period, m.paid, m.outstanding) for m in member_arrears("m1", reversed_, date(2025, 1, 31)).months]] \
        == [("2025-01", D("500.00"))]
    replacement = Fact(99, "member-m1", 99, "PaymentReceived", 1, date(2025, 1, 3),
                       {"member_id": "m1", "amount": "450.00", "period": "2025-01", "bank_reference": "B2"}, "k99")
    found = member_arrears("m1", [*reversed_, replacement], date(2025, 1, 31))
    assert [(m.period, m.outstanding) for m in found.months] == [("2025-01", D("50.00"))]
    assert found.outstanding == member_show_arrears([*reversed_, replacement], date(2025, 1, 31))


def test_the_lien_on_a_payout_pays_the_oldest_months():
    book = Book().due("2025-01", "500.00").due("2025-02", "500.00")
    book.add(date(2025, 3, 1), "EquityPaidOut", {"member_id": "m1", "amount": "1000.00", "arrears_deducted": "600.00"})
    assert book.months(date(2025, 3, 1)) == [("2025-02", D("100.00"), D("400.00"))]
    assert member_show_arrears(book.events, date(2025, 3, 1)) == D("400.00")


def test_amounts_age_by_days_past_their_due_date_into_four_buckets():
    assert [bucket_of(d) for d in (0, 30, 31, 60, 61, 90, 91, 400)] == \
        ["0-30", "0-30", "31-60", "31-60", "61-90", "61-90", "90+", "90+"]
    book = Book()
    for n in range(5):
        book.due(add_months(ADMITTED, n).strftime("%Y-%m"), "100.00")
    book.paid(date(2025, 1, 10), "40.00")
    found = member_arrears("m1", book.events, date(2025, 5, 1))  # Jan 1 is 120 days back, Feb 1 89, Mar 1 61 ...
    assert found.buckets == {"0-30": D("200.00"), "31-60": D("0"), "61-90": D("200.00"), "90+": D("60.00")}
    assert sum(found.buckets.values()) == found.outstanding == D("460.00")


def test_a_due_counts_from_its_due_date_as_in_member_show():
    book = Book().due("2025-01", "500.00", on=date(2025, 1, 15))
    assert member_arrears("m1", book.events, date(2025, 1, 14)).outstanding == 0 == \
        member_show_arrears(book.events, date(2025, 1, 14))
    assert member_arrears("m1", book.events, date(2025, 1, 15)).outstanding == D("500.00") == \
        member_show_arrears(book.events, date(2025, 1, 15))


# --- the property: one rule, whatever the books and the order they were entered in ------------------------------

amounts = st.decimals(min_value=D("0.01"), max_value=D("2000"), places=2)


@given(st.lists(amounts, max_size=30), st.decimals(min_value=D("0"), max_value=D("30000"), places=2))
def test_the_rule_leaves_unpaid_what_its_total_says_for_any_dues(dues, paid):
    parts = paid_oldest_first(dues, paid)
    assert all(D(0) <= p <= d for p, d in zip(parts, dues, strict=True))
    assert sum((d - p for d, p in zip(dues, parts, strict=True)), D(0)) == unpaid(sum(dues, D(0)), paid)
    first_short = next((i for i, (p, d) in enumerate(zip(parts, dues, strict=True)) if p < d), len(dues))
    assert all(p == 0 for p in parts[first_short + 1:])  # nothing paid past the first month not paid in full


@st.composite
def member_books(draw):
    """A member's stream: monthly dues (sometimes a month skipped or two dues), receipts of any size on any day
    naming any month, sometimes a lien recovery; entered in a random order."""
    book = Book()
    months = draw(st.integers(1, 24))
    for n in range(months):
        on = add_months(ADMITTED, n)
        for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
            book.due(on.strftime("%Y-%m"), str(draw(amounts)), on=on + timedelta(days=draw(st.integers(0, 27))))
    for _ in range(draw(st.integers(0, 30))):
        on = ADMITTED + timedelta(days=draw(st.integers(0, months * 31)))
        named = add_months(ADMITTED, draw(st.integers(0, months + 3))).strftime("%Y-%m")
        book.paid(on, str(draw(amounts)), period=named)
    if draw(st.booleans()):
        book.add(ADMITTED + timedelta(days=months * 31), "EquityPaidOut",
                 {"member_id": "m1", "amount": "0", "arrears_deducted": str(draw(amounts))})
    return book.events


@settings(max_examples=150, deadline=None)
@given(member_books(), st.randoms(use_true_random=False))
def test_the_months_outstanding_add_up_to_member_shows_arrears_on_every_date_in_any_entry_order(events, rnd):
    shuffled = events[:1] + rnd.sample(events[1:], len(events) - 1)  # the admission first, as causality wants
    shuffled = [e._replace(position=n, version=n) for n, e in enumerate(shuffled, start=1)]
    last = max(e.effective_date for e in events) + timedelta(days=40)
    days = sorted({e.effective_date for e in events} | {e.effective_date - timedelta(days=1) for e in events}
                  | {ADMITTED + timedelta(days=random.Random(len(events)).randint(0, 800)), last})
    for day in days:
        if day < ADMITTED:
            continue
        found = member_arrears("m1", events, day)
        assert found.outstanding == sum((m.outstanding for m in found.months), D(0)) == \
            member_show_arrears(events, day) == member_show_arrears(shuffled, day)
        assert sum(found.buckets.values()) == found.outstanding
        again = member_arrears("m1", shuffled, day)
        same_day_ties = len({(e.effective_date) for e in events if e.type == "PaymentDue"}) \
            != sum(1 for e in events if e.type == "PaymentDue")
        if not same_day_ties:  # two dues on one day are taken in log order: otherwise the months agree too
            assert [(m.period, m.due_on, m.due, m.paid) for m in again.months] == \
                [(m.period, m.due_on, m.due, m.paid) for m in found.months]
        assert again.outstanding == found.outstanding and again.credit == found.credit


def test_the_book_answers_any_date_from_one_pass():
    book = Book().due("2025-01", "500.00").paid(date(2025, 1, 3), "200.00").due("2025-02", "500.00")
    read = MemberBook(book.events)
    assert [read.arrears_on(d) for d in (date(2025, 1, 1), date(2025, 1, 3), date(2025, 2, 1))] == \
        [D("500.00"), D("300.00"), D("800.00")]
