"""The audit's one walk over the log (issue 15): shared out by position range among workers, joined at the ranges'
edges, it finds what one `verify` pass finds, and the schema check finds what a re-import into a scratch store did."""

from __future__ import annotations

from pathlib import Path

import pytest

import projections.audit as audit
from ledger.store.verify import RangeCheck, check_range, stitch, verify
from projections.audit import run_audit
from tests.factories import forge, tamper

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(store) -> int:
    lines = [line for line in (EXAMPLES / "coop-ten-years.jsonl").read_bytes().splitlines() if line.strip()]
    return store.import_lines(lines).written


@pytest.fixture
def ranged(monkeypatch):
    """Walk in ranges of at least 100 positions: the example's 788 events in up to three ranges."""
    monkeypatch.setattr(audit, "MIN_RANGE", 100)


def _report(store, workers: int) -> dict:
    report = run_audit(store, workers=workers)
    assert set(report.pop("timings")) == {"verify", "replay", "checkpoints", "live"}
    return report


def test_an_intact_log_walked_in_ranges_gives_the_report_walked_whole(backend, monkeypatch):
    store = backend.store()
    _example(store)
    whole = _report(store, 1)
    monkeypatch.setattr(audit, "MIN_RANGE", 100)
    assert _report(store, 3) == _report(store, 2) == whole
    assert whole["discrepancies"] == [] and whole["chain"]["intact"] and whole["events"] == 788


def test_an_audit_whose_workers_fold_group_by_group_gives_the_same_report(backend, monkeypatch):
    import projections.replay as replay

    store = backend.store()
    _example(store)
    whole = _report(store, 2)
    monkeypatch.setattr(replay, "HELD_WHOLE", 0)  # every share "too big to hold": folded group by group
    assert _report(store, 2) == _report(store, 1) == whole


def test_the_ranges_cover_the_log_once_and_join(backend):
    store = backend.store()
    n = _example(store)
    ranges = [check_range(store, a, b, known_to=n) for a, b in ((1, 263), (264, 526), (527, n))]
    assert [r.rows for r in ranges] == [263, 263, n - 526] and stitch(ranges)
    assert sum(r.known for r in ranges) == n and all(r.schema_errors == [] for r in ranges)
    assert not stitch([ranges[0], ranges[2]])  # a range left out: the next does not join the one before
    assert not stitch([ranges[1], ranges[0], ranges[2]])


def _joined(found: RangeCheck, **changes) -> RangeCheck:
    for name, value in changes.items():
        setattr(found, name, value)
    return found


def test_a_stream_that_skips_a_version_between_two_ranges_does_not_join(backend):
    store = backend.store()
    n = _example(store)
    first, second = check_range(store, 1, 400, known_to=n), check_range(store, 401, n, known_to=n)
    assert stitch([first, second])
    assert second.opening
    stream, (position, version) = next(iter(second.opening.items()))
    assert not stitch([first, _joined(second, opening={**second.opening, stream: (position, version + 1)})])
    second = check_range(store, 401, n, known_to=n)
    assert not stitch([first, _joined(second, first_row=(401, "f" * 64, second.first_row[2]))])  # prev_hash
    second = check_range(store, 401, n, known_to=n)
    assert not stitch([first, _joined(second, first_row=(401, second.first_row[1], "1990-01-01T00:00:00.000000Z"))])


@pytest.mark.parametrize("position", [1, 262, 263, 264, 400, 525, 526, 527, 788])
def test_an_altered_row_anywhere_is_named_as_verify_names_it(backend, ranged, position):
    store = backend.store()
    _example(store)
    tamper(backend, f"UPDATE events SET metadata = replace(metadata, '\"actor\":\"', '\"actor\":\"x') "
                    f"WHERE position = {position}")
    expected = verify(store)
    assert expected.first_bad_position == position
    report = run_audit(store, workers=3)
    chain = [d for d in report["discrepancies"] if d["figure"] == "chain"]
    assert chain == [{"figure": "chain", "live": f"broken at position {position}", "replay": expected.problem}]
    assert report["events"] == 788  # the log as stored is still counted


@pytest.mark.parametrize("position", [2, 263, 264, 527, 788])
def test_a_cut_chain_is_named_at_the_first_missing_position(backend, ranged, position):
    store = backend.store()
    _example(store)
    _delete(backend, position)
    report = run_audit(store, workers=3)
    chain = [d for d in report["discrepancies"] if d["figure"] == "chain"]
    if position == 788:  # the tail cut: the chain that is left holds (only a witness or checkpoint can tell)
        assert chain == [] and report["events"] == 787
        return
    assert chain == [{"figure": "chain", "live": f"broken at position {position}",
                      "replay": f"position {position} is missing (found {position + 1} next)"}]


def test_a_stream_version_altered_at_a_ranges_first_row_is_named_as_verify_names_it(backend, ranged):
    store = backend.store()
    _example(store)
    tamper(backend, "UPDATE events SET version = version + 1000 WHERE position = 264")
    report = run_audit(store, workers=3)
    chain = [d for d in report["discrepancies"] if d["figure"] == "chain"]
    assert chain == [{"figure": "chain", "live": "broken at position 264", "replay": verify(store).problem}]
    assert "jumps to version" in chain[0]["replay"]


def test_a_forged_event_that_fails_its_schema_is_named_by_position_and_field(backend, ranged):
    store = backend.store()
    _example(store)
    row = forge(backend, stream="member-m001", type_="PaymentReceived", key="forged-payment",
                payload={"member_id": "m001", "amount": "12.5.0", "period": "2020-01"})
    assert verify(store).intact  # sealed like any event: only its schema gives it away
    report = run_audit(store, workers=3)
    assert report["chain"]["intact"]
    rebuild = [d for d in report["discrepancies"] if d["figure"] == "rebuild"]
    assert len(rebuild) == 1 and f"position {row['position']}: payload.amount" in rebuild[0]["replay"]
    assert report["totals"] == {"coops": {}, "funds": {}}  # a log that does not re-import is not folded


def test_a_forged_event_whose_text_is_not_canonical_is_named(backend, ranged):
    """Valid by its schema, but written without a field its type fills in by default: an import would write it
    otherwise, so the log would not re-seal to its hashes."""
    from ledger.events import REGISTRY

    store = backend.store()
    _example(store)
    name, payload = _type_with_a_default()
    row = forge(backend, stream=f"{REGISTRY[name].stream_kinds[0]}-x1", type_=name, key="forged-short",
                payload=payload)
    report = run_audit(store, workers=3)
    rebuild = [d for d in report["discrepancies"] if d["figure"] == "rebuild"]
    assert len(rebuild) == 1 and f"position {row['position']}: payload: is not the text an import" \
        in rebuild[0]["replay"], report["discrepancies"]


def _type_with_a_default() -> tuple[str, dict]:
    """SocietyRegistered without its `clt_id` (default None)."""
    return "SocietyRegistered", {"society_id": "x1", "kind": "coop", "name": "Forged"}


def _delete(backend, position: int) -> None:
    """Delete one row behind the store's back, as the database's owner could (triggers bypassed)."""
    tamper(backend, f"DELETE FROM events WHERE position = {position}")
