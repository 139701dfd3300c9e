"""Two clocks: what the books say about an effective date, as they stood at a recorded time."""

from __future__ import annotations

from datetime import date, datetime, timezone

from freezegun import freeze_time

from ledger.events.coop import ReserveSpent
from ledger.store import NewEvent
from projections.view import LedgerView
from tests.factories import ACTOR


def _spend(amount: str, effective: date, key: str) -> NewEvent:
    return NewEvent(ReserveSpent(coop_id="coop1", amount=amount, purpose="roof"), effective, key)


def _spent_by(view: LedgerView, as_of: date) -> list[str]:
    return [e.payload["amount"] for e in view.effective(view.stream("society-coop1"), as_of)]


def test_a_backdated_event_changes_answers_from_its_recording_time_on_never_before(backend):
    store = backend.store()
    with freeze_time("2030-04-10T09:00:00Z"):
        store.append("society-coop1", [_spend("100.00", date(2030, 3, 1), "a")], metadata=ACTOR)
    with freeze_time("2030-04-20T09:00:00Z"):  # a late invoice, dated back into March
        store.append("society-coop1", [_spend("40.00", date(2030, 3, 15), "b")], metadata=ACTOR)

    audit_day = datetime(2030, 4, 15, tzinfo=timezone.utc)
    assert _spent_by(LedgerView(store, as_known_at=audit_day), date(2030, 3, 31)) == ["100.00"]
    assert _spent_by(LedgerView(store), date(2030, 3, 31)) == ["100.00", "40.00"]
    assert _spent_by(LedgerView(store), date(2030, 3, 10)) == ["100.00"]
    [first, second] = store.read()
    assert first.recorded_at == datetime(2030, 4, 10, 9, tzinfo=timezone.utc)
    assert second.recorded_at == datetime(2030, 4, 20, 9, tzinfo=timezone.utc)


def test_an_earlier_view_is_not_changed_by_anything_recorded_later(backend):
    store = backend.store()
    with freeze_time("2031-01-01T00:00:00Z"):
        store.append("society-coop1", [_spend("10.00", date(2030, 12, 1), "a")], metadata=ACTOR)
    before = _spent_by(LedgerView(store, as_known_at=datetime(2031, 1, 2, tzinfo=timezone.utc)), date(2031, 12, 31))
    with freeze_time("2031-06-01T00:00:00Z"):
        store.append("society-coop1", [_spend("99.00", date(2030, 11, 1), "b")], metadata=ACTOR)
    after = _spent_by(LedgerView(store, as_known_at=datetime(2031, 1, 2, tzinfo=timezone.utc)), date(2031, 12, 31))
    assert before == after == ["10.00"]
