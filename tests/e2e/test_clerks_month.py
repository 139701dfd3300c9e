"""A clerk's month end to end, in the order the work is done: accrue the month's dues, import the bank's
statements, let the rules match, clear the queue, reconcile, then read the arrears by month."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "riverside-current"


def ok(backend, *args):
    result = CliRunner().invoke(cli, ["--db", backend.url, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def as_json(backend, *args):
    return json.loads(ok(backend, *args, "--json"))


@pytest.mark.parametrize("fmt, ext", [("camt053", "xml"), ("mt940", "sta")])
def test_after_the_statements_are_matched_the_arrears_say_which_months_are_still_owed(backend, fmt, ext):
    ok(backend, "import", str(ROOT / "examples" / "coop-ten-years.jsonl"))
    ok(backend, "accrue", "--through", "2025-04-30")
    before = as_json(backend, "arrears", "--coop", "riverside", "--as-of", "2025-04-30")
    assert {m["member"] for m in before["members"]} >= {"alice", "carol"}  # April is due and nothing is in yet

    ok(backend, "bank", "rules", "set", "standing-orders", "--account", ACCOUNT,
       "--pattern", "(SO|DD)-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}")
    for part in ("a", "b"):
        ok(backend, "bank", "import", str(ROOT / "examples" / "bank" / f"riverside-2025-04-{part}.{fmt}.{ext}"),
           "--account", ACCOUNT)
    queue = as_json(backend, "bank", "unmatched", "--account", ACCOUNT)
    for line in queue:
        if line["amount"].startswith("-"):
            ok(backend, "bank", "ignore", line["line_id"], "--reason", "not a member's payment")
        else:
            ok(backend, "bank", "match", line["line_id"], "carol")  # a one-off gift towards carol's account
    assert as_json(backend, "bank", "unmatched", "--account", ACCOUNT) == []

    after = as_json(backend, "arrears", "--coop", "riverside", "--as-of", "2025-04-30")
    owed = {m["member"]: m for m in after["members"]}
    # alice paid April's old amount by standing order: April's indexed payment is part-paid, and says so
    assert [(mo["period"], mo["part_paid"]) for mo in owed["alice"]["months"]] == [("2025-04", True)]
    assert "carol" not in owed and "dan" not in owed  # carol's direct debit matched; dan's return undid one of two
    member = as_json(backend, "member", "show", "alice", "--as-of", "2025-04-30")
    assert owed["alice"]["outstanding"] == member["arrears"]
    assert "2025-04 (part)" in ok(backend, "arrears", "--coop", "riverside", "--as-of", "2025-04-30")
