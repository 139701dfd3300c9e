"""A member's positions on many dates come from one fold of their stream, and equal the one-date fold on each date,
for every member of the examples (joined, paying, behind, staircasing, left) at every month end since admission."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger import streams
from ledger.source import StoreSource
from projections.coop import member_position, member_positions
from projections.documents.statement import month_ends

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


@pytest.fixture
def books(store):
    store.import_lines(EXAMPLE.read_bytes().splitlines())
    return store


def _members(store) -> list[str]:
    return sorted({e.stream.removeprefix("member-") for e in store.read(type="MemberAdmitted")})


def test_the_many_dates_fold_equals_the_one_date_fold_on_every_date_for_every_member(books):
    members = _members(books)
    assert len(members) >= 4
    for member in members:
        admitted = member_position(StoreSource(books), member, date(2040, 1, 1)).ledger.admission.admitted_on
        days = list(month_ends(admitted, date(2040, 1, 1)))
        many = member_positions(StoreSource(books), member, days)
        assert [p.as_of for p in many] == days
        for day, position in zip(days, many, strict=True):
            assert position.to_json() == member_position(StoreSource(books), member, day).to_json(), (member, day)


def test_dates_out_of_order_are_refused_and_a_date_before_admission_is_not_found(books):
    from ledger.coop.member import member_ledgers
    from ledger.errors import NotFound

    source = StoreSource(books)
    events = source.require(streams.member("alice"), "alice")
    with pytest.raises(ValueError, match="ascending"):
        member_ledgers(events, [], [date(2030, 1, 1), date(2029, 1, 1)])
    with pytest.raises(NotFound, match="not yet admitted"):
        member_positions(source, "alice", [date(1990, 1, 1), date(2030, 1, 1)])


def test_a_member_who_left_on_the_day_they_came_is_folded_alike_on_every_later_date(store):
    """Leaving on the admission day pays out on that day's own ledger (the one-date fold's rule), never a ledger
    frozen at the first date asked: bob's lease moved to his admission day, every month end to 2023."""
    import orjson

    lines = []
    for line in EXAMPLE.read_bytes().splitlines():
        envelope = orjson.loads(line)
        if envelope["type"] == "LeaseAssigned" and envelope["payload"]["outgoing_member_id"] == "bob":
            envelope["effective_date"] = "2015-04-01"
        lines.append(orjson.dumps(envelope))
    store.import_lines(lines)
    days = list(month_ends(date(2015, 4, 1), date(2023, 12, 31)))
    many = member_positions(StoreSource(store), "bob", days)
    for day, position in zip(days, many, strict=True):
        assert position.to_json() == member_position(StoreSource(store), "bob", day).to_json(), day


@pytest.mark.parametrize("basis", [None, "valuation", "index"])
def test_a_dwelling_on_many_dates_is_the_one_date_fold_on_each(books, basis):
    """dwelling_states folds a dwelling's stream once for many dates (a member's chart asks for each month end):
    each state equals dwelling_state's on its own date, leases and charges included, for either valuation basis."""
    from ledger.coop.dwelling import dwelling_state, dwelling_states

    source = StoreSource(books)
    dwellings = sorted({e.stream for e in books.read(type="DwellingRegistered")})
    assert dwellings
    for name in dwellings:
        events = source.stream(name)
        days = list(month_ends(date(2010, 1, 1), date(2045, 12, 31)))
        for day, state in zip(days, dwelling_states(events, days, basis), strict=True):
            assert state == dwelling_state(events, day, basis), (name, day)
