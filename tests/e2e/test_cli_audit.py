"""An auditor takes a digest, comes back later, and proves the log."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from tests.e2e.test_cli_store import _lines, run
from tests.factories import tamper


def test_a_digest_taken_earlier_is_proven_after_more_events_are_appended(backend):
    run(backend, "import", "-", input=_lines(5))
    digest = json.loads(run(backend, "audit", "digest", "--json").output)
    assert digest["position"] == 5
    run(backend, "import", "-", input=_lines(9))  # 5 already recorded, 4 new
    proof = run(backend, "audit", "prove", str(digest["position"]), digest["hash"])
    assert proof.exit_code == 0 and "proven" in proof.output


def test_a_rewritten_log_fails_the_proof(backend):
    run(backend, "import", "-", input=_lines(5))
    position, hash_ = run(backend, "audit", "digest").output.split()
    tamper(backend, "UPDATE events SET metadata = '{\"actor\":\"mallory\"}' WHERE position = 3")
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "prove", position, hash_])
    assert result.exit_code == 1 and "broken at position 3" in result.stderr


def test_a_wrong_hash_is_not_proven(backend):
    run(backend, "import", "-", input=_lines(3))
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "prove", "3", "f" * 64, "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["proven"] is False


def test_the_log_as_known_at_a_time_leaves_out_later_events(backend):
    from datetime import datetime, timedelta, timezone

    run(backend, "import", "-", input=_lines(2))
    cutoff = datetime.now(timezone.utc) + timedelta(microseconds=1)
    import time; time.sleep(0.01)
    run(backend, "import", "-", input=_lines(4))
    stamp = cutoff.isoformat().replace("+00:00", "Z")
    result = run(backend, "log", "--as-known-at", stamp, "--json")
    assert [e["position"] for e in json.loads(result.output)] == [1, 2]


def _example(backend, name: str) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / name
    assert run(backend, "import", str(path)).exit_code == 0


def test_the_audit_of_an_untouched_ledger_finds_no_discrepancy(backend):
    _example(backend, "coop-ten-years.jsonl")
    _example(backend, "appendix6.jsonl")
    result = run(backend, "audit", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["discrepancies"] == [] and report["chain"]["intact"]
    assert report["events_by_type"]["PaymentReceived"] > 0
    assert set(report["totals"]["coops"]) == {"riverside"} and set(report["totals"]["funds"]) == {"app6"}
    assert report["totals"]["funds"]["app6"]["liquidity"] == "24837.45"


def test_the_audit_of_a_tampered_ledger_exits_non_zero_and_names_it(backend):
    _example(backend, "coop-ten-years.jsonl")
    tamper(backend, "UPDATE events SET payload = replace(payload, '\"amount\":\"', '\"amount\":\"1') "
                    "WHERE position = 300")
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--json"])
    assert result.exit_code == 1
    figures = [d["figure"] for d in json.loads(result.output)["discrepancies"]]
    assert "chain" in figures


def test_the_audit_as_known_at_a_past_time_replays_only_what_was_known(backend):
    from datetime import datetime, timedelta, timezone

    _example(backend, "coop-ten-years.jsonl")
    cutoff = (datetime.now(timezone.utc) + timedelta(milliseconds=5)).isoformat().replace("+00:00", "Z")
    import time; time.sleep(0.02)
    _example(backend, "appendix6.jsonl")
    report = json.loads(run(backend, "audit", "--as-known-at", cutoff, "--json").output)
    assert report["events"] == 788 and report["totals"]["funds"] == {}


def test_a_checkpoint_taken_at_a_year_end_still_follows_from_the_log_after_more_business(backend):
    _example(backend, "coop-ten-years.jsonl")
    taken = json.loads(run(backend, "audit", "checkpoint", "--as-of", "2020-03-31", "--actor", "treasurer",
                           "--json").output)
    assert taken["position"] == 788 and taken["as_of"] == "2020-03-31" and taken["actor"] == "treasurer"
    assert taken["books"]["coops"]["riverside"]["members"] >= 1
    _example(backend, "appendix6.jsonl")
    report = json.loads(run(backend, "audit", "--json").output)
    assert report["discrepancies"] == []
    assert report["checkpoint"]["checkpoint"] == taken["checkpoint"]
    listed = json.loads(run(backend, "audit", "checkpoints", "--json").output)
    assert [c["books_hash"] for c in listed] == [taken["books_hash"]]


def test_an_altered_checkpoint_is_named_figure_by_figure(backend):
    _example(backend, "coop-ten-years.jsonl")
    taken = json.loads(run(backend, "audit", "checkpoint", "--json").output)
    debt = taken["books"]["coops"]["riverside"]["debt"]
    _tamper_checkpoint(backend, f"UPDATE checkpoints SET books = replace(books, '\"debt\":\"{debt}\"', "
                                f"'\"debt\":\"1.00\"')")
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--json"])
    assert result.exit_code == 1
    (found,) = json.loads(result.output)["discrepancies"]
    assert found["figure"].startswith("checkpoint 1 (position 788") and found["figure"].endswith("coops.riverside.debt")
    assert (found["live"], found["replay"]) == ("1.00", debt)


def test_a_log_rewritten_under_a_checkpoint_is_caught_by_it(backend):
    _example(backend, "coop-ten-years.jsonl")
    run(backend, "audit", "checkpoint")
    tamper(backend, "UPDATE events SET hash = '" + "a" * 64 + "' WHERE position = 788")
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--json"])
    assert result.exit_code == 1
    figures = [d["figure"] for d in json.loads(result.output)["discrepancies"]]
    assert "chain" in figures and "checkpoint 1: position 788" in figures


def test_a_checkpoint_of_a_broken_log_is_refused_and_nothing_is_kept(backend):
    _example(backend, "coop-ten-years.jsonl")
    tamper(backend, "UPDATE events SET metadata = '{\"actor\":\"mallory\"}' WHERE position = 3")
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "checkpoint"])
    assert result.exit_code == 1 and "log: is broken at position 3" in result.stderr
    assert json.loads(run(backend, "audit", "checkpoints", "--json").output) == []


def test_checkpoints_cannot_be_updated_or_deleted(backend):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    _example(backend, "coop-ten-years.jsonl")
    run(backend, "audit", "checkpoint")
    for statement in ("UPDATE checkpoints SET actor = 'mallory'", "DELETE FROM checkpoints"):
        with pytest.raises(DBAPIError) as caught:
            with backend.engine.begin() as conn:
                conn.execute(text(statement))
        assert "checkpoints are append-only" in str(caught.value)


def _tamper_checkpoint(backend, statement: str) -> None:
    from sqlalchemy import text

    with backend.engine.begin() as conn:
        if backend.name == "sqlite":
            conn.execute(text("DROP TRIGGER checkpoints_refuse_update"))
        else:
            conn.execute(text("ALTER TABLE checkpoints DISABLE TRIGGER checkpoints_refuse_update_delete"))
        conn.execute(text(statement))


def test_the_audit_report_is_the_same_with_one_worker_or_two(backend):
    _example(backend, "coop-ten-years.jsonl")
    _example(backend, "appendix6.jsonl")
    one = json.loads(run(backend, "audit", "--workers", "1", "--json").output)
    two = json.loads(run(backend, "audit", "--workers", "2", "--json").output)
    assert one == two and one["discrepancies"] == []


def test_an_audit_of_a_ledger_not_migrated_to_checkpoints_says_to_run_init(tmp_path):
    from ledger.store import migrate
    from ledger.store.engine import make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine, "0003_type_index")
    engine.dispose()
    result = CliRunner().invoke(cli, ["--db", url, "audit", "checkpoints"])
    assert result.exit_code == 1 and "checkpoints" in result.stderr and "mutual init" in result.stderr
    assert run_init(url).exit_code == 0
    assert CliRunner().invoke(cli, ["--db", url, "audit", "checkpoints", "--json"]).output.strip() == "[]"


def run_init(url: str):
    return CliRunner().invoke(cli, ["--db", url, "init"])
