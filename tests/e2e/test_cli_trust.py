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
