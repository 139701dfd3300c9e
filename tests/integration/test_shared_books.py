"""A server's pages share what they read of the same books (SharedBooks), and when an append moves the chain head
the streams it did not touch are carried over, not read again; what it touched, and any correction, is read afresh,
so a page after an append shows exactly what a fresh read shows."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal as D

from ledger.commands.audit import reverse_event
from ledger.commands.coop import record
from ledger.source import StoreSource
from projections.coop import member_show
from projections.documents.statement import StatementBooks
from projections.shared_books import SharedBooks
from tests.equity_fixtures import ACTOR, received
from tests.integration.test_equity_projections import small_coop

ON = date(2012, 6, 1)


def _books(store, shared, as_known_at=None):
    """Books opened as a page opens them, on a SharedBooks of the test's own (the server's is process-wide)."""
    import projections.shared_books as shared_books

    kept = shared_books.SHARED_BOOKS
    shared_books.SHARED_BOOKS = shared
    try:
        return StatementBooks.open(store, as_known_at, shared=True)
    finally:
        shared_books.SHARED_BOOKS = kept


def _fresh(store, member):
    return member_show(StoreSource(store), member, ON)


def test_pages_of_the_same_books_share_the_streams_read(store):
    record(store, small_coop(), actor=ACTOR)
    shared = SharedBooks()
    first = _books(store, shared).source.stream("member-p1")
    assert first and _books(store, shared).source.stream("member-p1") is first  # read once, for both pages


def test_an_append_carries_over_the_streams_it_did_not_touch_and_reads_the_touched_one_again(store):
    record(store, small_coop() + [received("p1", D("200"), date(2012, 2, 3), "BACS-1")], actor=ACTOR)
    shared = SharedBooks()
    before = _books(store, shared).source
    society = before.stream("society-coop1")
    assert society
    payments = before.of_type("PaymentReceived")
    member = before.stream("member-p1")
    assert member_show(before, "p1", ON) == _fresh(store, "p1")

    record(store, [received("p1", D("300"), date(2012, 3, 3), "BACS-2")], actor=ACTOR)
    after = _books(store, shared).source
    assert after.stream("society-coop1") is society  # untouched: carried over, not read again
    assert after.stream("member-p1") is not member and len(after.stream("member-p1")) == len(member) + 1
    assert len(after.of_type("PaymentReceived")) == len(payments) + 1  # the appended type's scan is read again
    assert member_show(after, "p1", ON) == _fresh(store, "p1")
    assert member_show(after, "p1", ON)["payments_received"] == D("500.00")


def test_a_correction_starts_the_window_afresh_and_the_page_shows_what_a_fresh_read_shows(store):
    record(store, small_coop() + [received("p1", D("200"), date(2012, 2, 3), "BACS-1")], actor=ACTOR)
    shared = SharedBooks()
    before = _books(store, shared).source
    society = before.stream("society-coop1")
    [payment] = [e.position for e in store.read(stream="member-p1", type="PaymentReceived")]

    reverse_event(store, payment, "the bank returned it", "treasurer")
    after = _books(store, shared).source
    assert after.stream("society-coop1") is not society  # a correction can change any stream's reading: all afresh
    assert member_show(after, "p1", ON) == _fresh(store, "p1")
    assert member_show(after, "p1", ON)["payments_received"] == D("0.00")


def test_books_far_behind_are_read_afresh(store, monkeypatch):
    record(store, small_coop(), actor=ACTOR)
    shared = SharedBooks()
    society = _books(store, shared).source.stream("society-coop1")
    monkeypatch.setattr(SharedBooks, "CARRY_MOST", 0)
    record(store, [received("p1", D("300"), date(2012, 3, 3), "BACS-2")], actor=ACTOR)
    assert _books(store, shared).source.stream("society-coop1") is not society


def test_a_window_of_another_chain_at_the_same_address_is_never_carried_over(store):
    """A ledger restored or replaced at the same address is another chain: what was read of it is not these books."""
    from ledger.source import Window
    from projections.coop import fresh_folds

    record(store, small_coop(), actor=ACTOR)
    shared = SharedBooks()
    books = _books(store, shared)
    url, position, _ = books.key
    other = Window(1000)
    other.raw["society-coop1"] = []  # what the other chain's society stream held (nothing)
    shared.by_books.clear()
    shared.by_books[(url, position, "0" * 64)] = (fresh_folds(), other)
    record(store, [received("p1", D("300"), date(2012, 3, 3), "BACS-2")], actor=ACTOR)
    assert _books(store, shared).source.stream("society-coop1")  # read from these books, not the other chain's


def test_books_read_nothing_after_their_head_even_as_known_at_a_time_to_come(store):
    """A page as known at a time still to come names the head it was drawn from, and reads nothing recorded after it,
    so the streams it keeps are those of its head, and carried over to a later head they are still exact."""
    from datetime import datetime

    from projections.shared_books import books_key
    from projections.head import head_known_at

    record(store, small_coop(), actor=ACTOR)
    shared = SharedBooks()
    early = _books(store, shared, datetime(2099, 1, 1, tzinfo=UTC))
    record(store, [received("p1", D("111"), date(2012, 5, 1), "A-1")], actor=ACTOR)
    head = head_known_at(store, None)
    record(store, [received("p1", D("222"), date(2012, 5, 2), "A-2")], actor=ACTOR)
    assert len(early.source.stream("member-p1")) == len(list(store.read(stream="member-p1"))) - 2
    _, window = shared.of(books_key(store, head),
                          lambda since: list(store.read(after=since - 1, to_position=head.position)))
    kept = StoreSource(store, as_known_at=head.recorded_at, window=window, to_position=head.position)
    assert kept.stream("member-p1") == list(StoreSource(store, as_known_at=head.recorded_at).stream("member-p1"))


def test_pages_as_known_at_earlier_times_never_push_the_latest_head_out(store):
    from datetime import timedelta

    from projections.head import head_known_at

    record(store, small_coop(), actor=ACTOR)
    shared = SharedBooks()
    first = head_known_at(store, None)
    for n in range(4):
        record(store, [received("p1", D("10"), date(2012, 5, 1 + n), f"R-{n}")], actor=ACTOR)
    latest = _books(store, shared)
    society = latest.source.stream("society-coop1")
    for n in range(SharedBooks.HEADS + 2):  # earlier books, each its own
        _books(store, shared, first.recorded_at + timedelta(microseconds=n))
    assert _books(store, shared).source.stream("society-coop1") is society


def test_a_page_asked_at_many_dates_cannot_fill_memory_its_figures_start_afresh(store, monkeypatch):
    from projections.coop import remembered

    monkeypatch.setattr(SharedBooks, "ANSWERS", 5)
    record(store, small_coop(), actor=ACTOR)
    shared = SharedBooks()
    for day in range(1, 12):
        source = _books(store, shared).source
        remembered(source, ("member", "p1", day), lambda day=day: {"figures": day})
        assert len(source.__dict__["_answers"]) <= SharedBooks.ANSWERS + 1

