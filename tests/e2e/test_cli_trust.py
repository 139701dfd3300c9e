"""A ledger that can be trusted by someone who does not trust its writers: no appending on a broken chain,
checkpoints that one forged row cannot take over, and digests signed by the society and kept outside."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import cli
from tests.e2e.test_cli_store import _lines, run
from tests.factories import tamper


def _record_line(period: str) -> str:
    return json.dumps({"stream": "index-RPI", "type": "IndexValuePublished", "effective_date": f"{period}-01-01",
                       "payload": {"series": "RPI", "period": period, "value": "100"},
                       "metadata": {"actor": "clerk"}}) + "\n"


def test_record_refuses_to_append_on_a_head_whose_hash_does_not_match_it_and_names_the_position(backend):
    run(backend, "import", "-", input=_lines(4))
    tamper(backend, "UPDATE events SET hash = '" + "b" * 64 + "' WHERE position = 4")
    assert "BROKEN at position 4" in CliRunner().invoke(cli, ["--db", backend.url, "verify"]).stderr
    result = CliRunner().invoke(cli, ["--db", backend.url, "record", "-"], input=_record_line("2030"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a refusal, not a crash
    assert result.stderr.startswith("error: ") and "position 4" in result.stderr and "Traceback" not in result.output
    assert _rows(backend) == 4  # nothing appended on top


def test_record_refuses_to_append_on_a_head_whose_content_was_altered(backend):
    run(backend, "import", "-", input=_lines(3))
    tamper(backend, "UPDATE events SET metadata = '{\"actor\":\"mallory\"}' WHERE position = 3")
    result = CliRunner().invoke(cli, ["--db", backend.url, "record", "-"], input=_record_line("2030"))
    assert result.exit_code == 1 and "position 3" in result.stderr and "nothing was written" in result.stderr
    assert _rows(backend) == 3


def _rows(backend) -> int:
    from sqlalchemy import text

    with backend.engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM events")).scalar()


# --- item 9: checkpoints ----------------------------------------------------------------------------


def _example(backend, name: str = "coop-ten-years.jsonl") -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / name
    assert run(backend, "import", str(path)).exit_code == 0


def _insert_checkpoint(backend, books: str, *, checkpoint_id=None, position: int = 0, as_of: str = "2020-01-01",
                       head_hash: str = "0" * 64) -> None:
    """A checkpoint row written straight into the table, as anyone with INSERT on it could."""
    import hashlib
    from datetime import datetime, timezone

    from sqlalchemy import text

    columns = "position, head_hash, as_of, recorded_at, actor, books, books_hash"
    values = dict(position=position, head_hash=head_hash, as_of=as_of, actor="mallory", books=books,
                  recorded_at=datetime.now(timezone.utc).isoformat(sep=" ") if backend.name == "sqlite"
                  else datetime.now(timezone.utc), books_hash=hashlib.sha256(books.encode()).hexdigest())
    if checkpoint_id is not None:
        columns, values["checkpoint_id"] = "checkpoint_id, " + columns, checkpoint_id
    marks = ", ".join(f":{c.strip()}" for c in columns.split(","))
    with backend.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO checkpoints ({columns}) VALUES ({marks})"), values)


def _audit(backend) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--json", "--workers", "1"])
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, ValueError, TypeError))
    return result.exit_code, json.loads(result.output)


def test_a_checkpoint_forged_with_the_highest_id_does_not_take_over_the_audit(backend):
    import pytest
    from sqlalchemy.exc import DBAPIError

    from tests.e2e.test_cli_audit import _tamper_checkpoint

    _example(backend)
    taken = json.loads(run(backend, "audit", "checkpoint", "--json").output)
    debt = taken["books"]["coops"]["riverside"]["debt"]
    _tamper_checkpoint(backend, f"UPDATE checkpoints SET books = replace(books, '\"debt\":\"{debt}\"', "
                                f"'\"debt\":\"1.00\"')")  # the published books no longer follow from the log
    empty = '{"coops":{},"funds":{}}'  # true of the empty log: it holds, and before, it was all an audit checked
    with pytest.raises(DBAPIError) as caught:
        _insert_checkpoint(backend, empty, checkpoint_id=1_000_000)
    assert "assigned by the ledger" in str(caught.value)
    _insert_checkpoint(backend, empty)  # the next id, whoever writes it
    code, report = _audit(backend)
    assert code == 1 and report["checkpoint"]["checkpoint"] == 2
    assert [c["checkpoint"] for c in report["checkpoints"]] == [1, 2]
    assert [d["figure"] for d in report["discrepancies"]] == [
        "checkpoint 1 (position 841, as of 2025-03-31): coops.riverside.debt"]


def test_a_malformed_checkpoint_is_a_discrepancy_and_never_a_traceback(backend):
    _example(backend)
    run(backend, "audit", "checkpoint")
    _insert_checkpoint(backend, "x")
    _insert_checkpoint(backend, "[1, 2]", position=841, head_hash="not a hash")
    code, report = _audit(backend)
    assert code == 1
    found = {d["figure"]: d for d in report["discrepancies"]}
    assert set(found) == {"checkpoint 2", "checkpoint 3"}
    assert "books" in found["checkpoint 2"]["replay"] and "JSON" in found["checkpoint 2"]["replay"]
    assert "head_hash" in found["checkpoint 3"]["replay"]
    plain = CliRunner().invoke(cli, ["--db", backend.url, "audit", "--workers", "1"])
    assert plain.exit_code == 1 and "checkpoint 2" in plain.output and "Traceback" not in plain.output
    listed = run(backend, "audit", "checkpoints", "--json")
    assert [c["checkpoint"] for c in json.loads(listed.output)] == [1, 2, 3]
    assert run(backend, "audit", "checkpoints").exit_code == 0


def test_a_checkpoint_with_an_unreadable_date_is_a_discrepancy(backend):
    import pytest

    if backend.name != "sqlite":
        pytest.skip("PostgreSQL's date column refuses such a row itself")
    _example(backend)
    _insert_checkpoint(backend, '{"coops":{},"funds":{}}', as_of="the year end")
    code, report = _audit(backend)
    assert code == 1 and [d["figure"] for d in report["discrepancies"]] == ["checkpoint 1"]
    assert "as_of" in report["discrepancies"][0]["replay"]
