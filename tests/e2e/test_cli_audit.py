"""An auditor takes a digest, comes back later, and proves the log."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import text

from cli.main import cli
from tests.e2e.test_cli_store import _lines, run


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
    with backend.engine.begin() as conn:
        if backend.name == "sqlite":
            conn.execute(text("DROP TRIGGER events_refuse_update"))
        else:
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete"))
        conn.execute(text("UPDATE events SET metadata = '{\"actor\":\"mallory\"}' WHERE position = 3"))
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
