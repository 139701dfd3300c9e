"""A ledger written before the reserve and the debt share's years were folds reads the same as one written now.

`tests/fixtures/coop-ten-years-before-folds.jsonl` is the co-op example as the older `accrue` wrote it, with the
members' `MortgageYearPosted` and accrue's `ReserveTransferred` in the log; `examples/coop-ten-years.jsonl` is the
same ten years written today (no such events; one `MortgagePrepaid` more). The read side reads the old derived
events as nothing and folds the same figures from the facts: every member's position and the co-op's reserve
agree at every year end, and the old log still verifies.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ledger.store.verify import verify
from projections.coop import coop_show, member_show
from projections.view import LedgerView

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "tests" / "fixtures" / "coop-ten-years-before-folds.jsonl"
TODAY = ROOT / "examples" / "coop-ten-years.jsonl"


def test_the_old_log_and_todays_give_the_same_members_and_reserve(backend, new_backend):
    old, new = backend.store(), new_backend(backend.name).store()
    old.import_lines(LEGACY.read_bytes().splitlines())
    new.import_lines(TODAY.read_bytes().splitlines())
    assert verify(old).intact and verify(new).intact
    assert any(e.type == "MortgageYearPosted" for e in old.read(stream="member-alice"))
    assert not any(e.type == "MortgageYearPosted" for e in new.read(stream="member-alice"))
    for on in [date(year, 12, 31) for year in range(2016, 2025)] + [date(2025, 3, 31)]:
        for member in ("alice", "bob", "carol") + (("dan",) if on.year > 2021 else ()):
            assert member_show(LedgerView(old), member, on) == member_show(LedgerView(new), member, on), (member, on)
        before, after = coop_show(LedgerView(old), "riverside", on), coop_show(LedgerView(new), "riverside", on)
        for figure in ("reserve", "reserve_in", "reserve_out", "members_debt_shares", "receipts_allocation"):
            assert before[figure] == after[figure], (figure, on)
