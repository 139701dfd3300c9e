"""A payment the bank took back is a fact of its own day: it counted until then, and the member owes again after."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import orjson
import pytest

from ledger.commands.coop import record
from ledger.errors import ValidationFailed
from ledger.source import StoreSource
from projections.arrears import member_arrears_show
from projections.coop import member_show

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"
RETURN = {"stream": "member-alice", "type": "PaymentReturned", "effective_date": "2025-03-10",
          "payload": {"member_id": "alice", "amount": "718.85", "bank_reference": "RETURN SO-alice-2025-03"},
          "metadata": {"actor": "clerk"}}


@pytest.fixture
def books(store):
    store.import_lines(EXAMPLE.read_bytes().splitlines())
    return store


def test_a_returned_payment_counts_until_its_day_and_for_nothing_after(books):
    before = {day: member_show(StoreSource(books), "alice", day) for day in (date(2025, 3, 5), date(2025, 3, 31))}
    record(books, [RETURN], actor="clerk")
    source = StoreSource(books)
    assert member_show(source, "alice", date(2025, 3, 5)) == before[date(2025, 3, 5)]  # paid on the 3rd, still paid
    after = member_show(source, "alice", date(2025, 3, 31))
    assert D(before[date(2025, 3, 31)]["payments_received"]) - D(after["payments_received"]) == D("718.85")
    assert D(after["arrears"]) - D(before[date(2025, 3, 31)]["arrears"]) == D("718.85")
    months = member_arrears_show(source, "alice", date(2025, 3, 31))
    assert D(months["outstanding"]) == D(after["arrears"])  # the months say which: March is owed again
    assert "2025-03" in months["months_in_arrears"]


def test_more_returned_than_was_paid_is_refused_by_name_and_writes_nothing(books):
    head = books.head()
    too_much = orjson.loads(orjson.dumps(RETURN))
    too_much["payload"]["amount"] = "1000000.00"
    with pytest.raises(ValidationFailed, match="payload.amount: is more than the .* member alice has paid"):
        record(books, [too_much], actor="clerk")
    assert books.head() == head
