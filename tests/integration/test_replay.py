"""The audit replay folds the same books whether one process or several deal the co-ops and funds out."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D
from pathlib import Path

import orjson
import pytest

from projections.audit import books
from projections.replay import Bounds, plan, replay_books
from projections.view import ReplayView
from tests.equity_fixtures import admit, dwelling, ev, society

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _import(store, envelopes) -> None:
    store.import_lines([orjson.dumps(e) if isinstance(e, dict) else e for e in envelopes], default_actor="test")


def _examples() -> list[bytes]:
    from benchmarks.queries import generate

    lines, _ = generate(45_000)  # three co-ops of twenty members
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        lines += [line for line in (EXAMPLES / name).read_bytes().splitlines() if line.strip()]
    return lines


def _one_pass(store, bounds: Bounds, as_of):
    known = store.read(to_position=bounds.to_position, recorded_to=bounds.as_known_at)
    return books(ReplayView(known, bounds.as_known_at), as_of)


@pytest.fixture(params=["whole", "by group"])
def folding(request, monkeypatch):
    """A worker folds its share from one pass (a share of up to HELD_WHOLE events), or group by group (a bigger
    one): here every share is made 'bigger' for the second."""
    import projections.replay as replay

    if request.param == "by group":
        monkeypatch.setattr(replay, "HELD_WHOLE", 0)  # (read when the plan is made, in this process)
    return request.param


def test_the_books_are_the_same_folded_by_one_two_or_three_workers(backend, folding):
    store = backend.store()
    _import(store, _examples())
    bounds = Bounds(store.head().position)
    as_of = max(e.effective_date for e in store.read())
    expected = _one_pass(store, bounds, as_of)
    assert len(expected["coops"]) == 4 and set(expected["funds"]) == {"app6"}
    assert all(bool(p.groups) == (folding == "by group") for p in plan(store, bounds, 2))
    for workers in (1, 2, 3):
        replayed = replay_books(store, bounds, as_of, workers)
        assert replayed.portions == workers
        assert replayed.books == expected


def test_with_no_as_of_date_the_books_are_on_the_logs_last_effective_date(backend, folding):
    store = backend.store()
    _import(store, _examples())
    bounds = Bounds(store.head().position)
    last = max(e.effective_date for e in store.read())
    expected = _one_pass(store, bounds, last)
    for workers in (1, 2, 3):
        replayed = replay_books(store, bounds, None, workers)
        assert (replayed.as_of, replayed.books) == (last, expected)


def test_an_earlier_known_at_time_dates_the_books_by_the_events_then_known(backend, folding):
    store = backend.store()
    lines = _examples()
    _import(store, lines[:30_000])
    cutoff = store.head().recorded_at
    known_last = max(e.effective_date for e in store.read())
    _import(store, lines[30_000:])
    bounds = Bounds(store.head().position, cutoff)
    replayed = replay_books(store, bounds, None, 2)
    assert replayed.as_of == known_last
    assert replayed.books == books(ReplayView(store.read(recorded_to=cutoff)), known_last)


def test_a_log_with_no_event_known_by_then_has_no_books_and_no_date(backend):
    store = backend.store()
    _import(store, _examples())
    before = datetime(2000, 1, 1, tzinfo=timezone.utc)  # before anything was recorded
    for workers in (1, 2):
        replayed = replay_books(store, Bounds(store.head().position, before), None, workers)
        assert (replayed.as_of, replayed.books) == (None, {"coops": {}, "funds": {}})


def test_a_worker_that_fails_stops_the_replay_with_its_own_error(backend, monkeypatch):
    import projections.replay as replay

    store = backend.store()
    _import(store, _examples())
    bounds = Bounds(store.head().position)
    last = plan(store, bounds, 3)[-1]
    folded = replay.fold_portion

    def fold_failing_in_the_last_portion(store_, bounds_, portion, as_of):
        if portion == last:
            raise RuntimeError("the last portion's fold failed")
        return folded(store_, bounds_, portion, as_of)

    monkeypatch.setattr(replay, "fold_portion", fold_failing_in_the_last_portion)  # (forked workers inherit it)
    with pytest.raises(RuntimeError, match="the last portion's fold failed"):
        replay_books(store, bounds, None, 3)


def test_each_coop_and_fund_is_folded_by_exactly_one_worker(backend):
    store = backend.store()
    _import(store, _examples())
    portions = plan(store, Bounds(store.head().position), 3)
    coops = [c for portion in portions for c in portion.coops]
    funds = [f for portion in portions for f in portion.funds]
    assert sorted(coops) == ["c000", "c001", "c002", "riverside"] and funds == ["app6"]
    # a worker skips exactly the streams the other workers own; shared streams (the index series) nobody skips
    everywhere = set.intersection(*(set(s.skip) for s in portions))
    assert not everywhere and not any(s.startswith("index-") for portion in portions for s in portion.skip)


def test_a_member_of_one_coop_in_another_coops_dwelling_is_folded_with_both(backend):
    store = backend.store()
    _import(store, [
        society("north"), society("south"), society("west"),
        dwelling("n1", "north", "100000.00", "1000", "200"),
        dwelling("s1", "south", "100000.00", "1000", "200"),
        dwelling("w1", "west", "100000.00", "1000", "200"),
        admit("alice", "north", "s1", D("4000.00"), D("76000.00")),  # north's member, south's dwelling
        admit("bob", "west", "w1", D("4000.00"), D("76000.00")),
    ])
    portions = plan(store, Bounds(store.head().position), 2)
    together = [portion for portion in portions if "north" in portion.coops]
    assert len(together) == 1 and "south" in together[0].coops
    bounds = Bounds(store.head().position)
    as_of = max(e.effective_date for e in store.read())
    assert replay_books(store, bounds, as_of, 2).books == _one_pass(store, bounds, as_of)


def test_a_stream_with_a_gift_of_points_is_read_by_every_worker(backend):
    store = backend.store()
    _import(store, [
        society("north"), society("south"),
        dwelling("n1", "north", "100000.00", "1000", "200"),
        dwelling("s1", "south", "100000.00", "1000", "200"),
        admit("alice", "north", "n1", D("4000.00"), D("76000.00")),
        admit("bob", "south", "s1", D("4000.00"), D("76000.00")),
        ev("member-alice", "PointsGifted", "2005-01-01", {"from_member_id": "alice", "to_member_id": "bob",
                                                           "points": "10"}),
    ])
    portions = plan(store, Bounds(store.head().position), 2)
    assert len(portions) == 2
    assert all("member-alice" not in portion.skip for portion in portions)
    assert any("member-bob" in portion.skip for portion in portions)


def test_the_replay_as_known_at_a_time_leaves_out_later_events(backend):
    store = backend.store()
    lines = _examples()
    _import(store, lines[: len(lines) // 2])
    cutoff = datetime.now(timezone.utc)
    _import(store, lines[len(lines) // 2:])
    bounds = Bounds(store.head().position, cutoff)
    as_of = max(e.effective_date for e in store.read())
    known = books(ReplayView(store.read(recorded_to=cutoff)), as_of)
    assert replay_books(store, bounds, as_of, 2).books == known
    assert known != _one_pass(store, Bounds(store.head().position), as_of)


def test_funds_that_share_a_saver_are_folded_together(backend):
    store = backend.store()
    envelopes = []
    for fund in ("alpha", "beta", "gamma"):  # alone, alpha and gamma would share a worker and beta have the other
        envelopes += [
            ev(f"society-{fund}", "SocietyRegistered", "2004-01-01",
               {"society_id": fund, "kind": "fund", "name": f"Fund {fund}"}),
            ev(f"society-{fund}", "FundPolicySet", "2004-01-01",
               {"fund_id": fund, "setup_fee": "0.035", "annual_fee": "0.01", "share_deposit": "0.06",
                "account_kinds": [{"kind": "jak", "factor": "1", "notice_days": 0}]}),
        ]
    for account, fund, holder in (("a1", "alpha", "ann"), ("a2", "beta", "ann"), ("a3", "gamma", "bo")):
        envelopes += [
            ev(f"account-{account}", "SavingsAccountOpened", "2004-02-01",
               {"account_id": account, "fund_id": fund, "holder_id": holder, "holder_kind": "member", "kind": "jak"}),
            ev(f"account-{account}", "SavingsDeposited", "2004-02-01", {"account_id": account, "amount": "100.00"}),
        ]
    _import(store, envelopes)
    bounds = Bounds(store.head().position)
    portions = plan(store, bounds, 2)
    assert sorted(portion.funds for portion in portions) == [("alpha", "beta"), ("gamma",)]
    as_of = max(e.effective_date for e in store.read())
    assert replay_books(store, bounds, as_of, 2).books == _one_pass(store, bounds, as_of)


def test_a_correction_that_moves_a_member_to_another_coop_folds_the_two_coops_together(backend):
    store = backend.store()
    wrong = admit("alice", "north", "n1", D("4000.00"), D("76000.00"))
    right = dict(admit("alice", "south", "s1", D("4000.00"), D("76000.00"))["payload"])
    _import(store, [society("north"), society("south"), society("west"),
                    dwelling("n1", "north", "100000.00", "1000", "200"),
                    dwelling("s1", "south", "100000.00", "1000", "200"),
                    dwelling("w1", "west", "100000.00", "1000", "200"),
                    admit("bob", "west", "w1", D("4000.00"), D("76000.00")), wrong])
    admitted_at = store.head().position
    _import(store, [ev("member-alice", "EventReversed", wrong["effective_date"],
                       {"position": admitted_at, "reason": "admitted to the wrong co-op",
                        "replacement_type": "MemberAdmitted", "replacement_payload": right})])
    bounds = Bounds(store.head().position)
    together = [portion for portion in plan(store, bounds, 2) if "south" in portion.coops]
    assert len(together) == 1 and "north" in together[0].coops
    as_of = max(e.effective_date for e in store.read())
    replayed = replay_books(store, bounds, as_of, 2).books
    assert replayed == _one_pass(store, bounds, as_of) and replayed["coops"]["south"]["members"] == 1
