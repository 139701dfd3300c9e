"""The read side's check of every row (ledger/store/streams.py `consistent`): a row written around the ledger is
refused by position, however the check is made fast."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import InconsistentLog
from ledger.store import StoredEvent
from ledger.store.streams import consistent


def _row(stream: str, type_: str, payload: object, version: int = 1) -> StoredEvent:
    return StoredEvent(7, stream, 1, type_, version, date(2020, 1, 1), None, payload, {}, "k", None, "h")


def test_every_own_id_field_of_the_streams_kind_is_checked_not_only_the_types_own():
    """ChartOfAccountsSet names its society; a `coop_id` naming another society on the same row is refused too."""
    good = _row("society-x", "ChartOfAccountsSet", {"society_id": "x", "coop_id": "x"})
    assert list(consistent([good])) == [good]
    with pytest.raises(InconsistentLog, match="coop_id"):
        list(consistent([_row("society-x", "ChartOfAccountsSet", {"society_id": "x", "coop_id": "y"})]))


@pytest.mark.parametrize("row, said", [
    (_row("member-m1", "NoSuchType", {}), "not a known event type"),
    (_row("dwelling-d1", "PaymentReceived", {"member_id": "m1"}), "belongs on a member stream"),
    (_row("member-m1", "PaymentReceived", {"member_id": "m2", "amount": "1", "period": "2020-01"}), "member_id"),
    (_row("member-m1", "PaymentReceived", ["not", "an", "object"]), "not an object"),
])
def test_a_row_that_breaks_a_rule_is_refused_naming_it(row, said):
    with pytest.raises(InconsistentLog, match=said):
        list(consistent([row]))
