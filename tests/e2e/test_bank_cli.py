"""A clerk's month at the bank, through `mutual`: set a rule, import two overlapping statements in each of the four
formats, read the queue, match, ignore, reconcile; and the refusals a clerk sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "coop-ten-years.jsonl"
SAMPLES = ROOT / "examples" / "bank"
ACCOUNT = "riverside-current"
EXT = {"camt053": "xml", "ofx": "ofx", "mt940": "sta", "csv": "csv"}


def run(backend, *args):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], catch_exceptions=False)


def ok(backend, *args):
    result = run(backend, *args)
    assert result.exit_code == 0, result.output
    return result


def as_json(backend, *args):
    return json.loads(ok(backend, *args, "--json").output)


def sample(part: str, fmt: str) -> str:
    return str(SAMPLES / f"riverside-2025-04-{part}.{fmt}.{EXT[fmt]}")


@pytest.fixture
def coop(backend):
    ok(backend, "import", str(EXAMPLE))
    return backend


@pytest.mark.parametrize("fmt", sorted(EXT))
def test_a_clerks_month_import_match_ignore_reconcile(coop, fmt):
    ok(coop, "bank", "rules", "set", "standing-orders", "--account", ACCOUNT,
       "--pattern", "(SO|DD)-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}")
    first = as_json(coop, "bank", "import", sample("a", fmt), "--account", ACCOUNT)
    assert first["lines_new"] == 7 and len(first["matched"]) == 5
    second = as_json(coop, "bank", "import", sample("b", fmt), "--account", ACCOUNT, "--format", fmt)
    assert (second["lines_new"], second["lines_read"]) == (2, 5)
    assert len(second["returned"]) == 1 and second["returned"][0]["member_id"] == "dan"
    again = ok(coop, "bank", "import", sample("b", fmt), "--account", ACCOUNT)
    assert "nothing written" in again.output

    queue = as_json(coop, "bank", "unmatched", "--account", ACCOUNT)
    assert [r["reference"] for r in queue] == ["SERVICE-CHARGE", "THANKYOU", "MORTGAGE-2025-04"]
    table = ok(coop, "bank", "unmatched").output
    assert "R BROWN" in table and "THANKYOU" in table

    ok(coop, "bank", "match", queue[1]["line_id"], "carol")
    ok(coop, "bank", "ignore", queue[0]["line_id"], "--reason", "bank charges")
    ok(coop, "bank", "ignore", queue[2]["line_id"], "--reason", "mortgage payment to the lender")
    assert as_json(coop, "bank", "unmatched") == []

    if fmt == "ofx":  # an OFX statement states its closing balance only: the clerk states where the month began
        report = as_json(coop, "bank", "reconcile", "--account", ACCOUNT, "--as-of", "2025-04-30")
        assert {d["kind"] for d in report["differences"]} == {"balance-gap", "no-opening-balance"}
        ok(coop, "bank", "opening", "--account", ACCOUNT, "--amount", "10000.00", "--on", "2025-03-31")
    report = as_json(coop, "bank", "reconcile", "--account", ACCOUNT, "--as-of", "2025-04-30")
    assert report["reconciled"], report["differences"]
    assert report["statement_balance"] == report["ledger_balance"]
    assert "reconciled" in ok(coop, "bank", "reconcile", "--account", ACCOUNT, "--as-of", "2025-04-30").output
    assert as_json(coop, "verify")["intact"]
    assert "no discrepancies" in ok(coop, "audit").output


def test_reconcile_before_clearing_the_queue_lists_each_difference(coop):
    ok(coop, "bank", "import", sample("a", "mt940"), "--account", ACCOUNT, "--no-match")
    report = as_json(coop, "bank", "reconcile", "--account", ACCOUNT, "--as-of", "2025-04-12")
    assert not report["reconciled"]
    assert [d["kind"] for d in report["differences"]] == ["unmatched-line"] * 7
    output = ok(coop, "bank", "reconcile", "--account", ACCOUNT, "--as-of", "2025-04-12").output
    assert "7 difference(s)" in output


def test_rules_are_shown_and_a_bad_rule_is_refused(coop):
    ok(coop, "bank", "rules", "set", "gift", "--account", ACCOUNT, "--pattern", "THANKYOU", "--member", "carol")
    rules = as_json(coop, "bank", "rules", "--account", ACCOUNT)
    assert rules == [{"rule_id": "gift", "pattern": "THANKYOU", "member_id": "carol", "order": 1}]
    ok(coop, "bank", "rules", "set", "so", "--account", ACCOUNT, "--pattern", "SO-(?P<member>[a-z0-9]+)-.*")
    assert "SO-(?P<member>[a-z0-9]+)-.*" in ok(coop, "bank", "rules", "--account", ACCOUNT).output  # not markup
    bad = run(coop, "bank", "rules", "set", "x", "--account", ACCOUNT, "--pattern", "SO-.*")
    assert bad.exit_code == 1 and "pattern: names no member" in bad.stderr


def test_a_malformed_statement_is_refused_naming_the_line_and_writes_nothing(coop, tmp_path):
    head = as_json(coop, "verify")["head_position"]
    broken = tmp_path / "broken.csv"
    broken.write_bytes(Path(sample("a", "csv")).read_bytes().replace(b"03/04/2025", b"2025-04-03"))
    result = run(coop, "bank", "import", str(broken), "--account", ACCOUNT)
    assert result.exit_code == 1 and "line" in result.stderr and "Transaction Date" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>")
    result = run(coop, "bank", "import", str(garbage), "--account", ACCOUNT, "--format", "camt053")
    assert result.exit_code == 1 and "well-formed" in result.stderr
    assert as_json(coop, "verify")["head_position"] == head


def test_matching_a_line_to_a_member_who_has_left_is_refused(coop):
    ok(coop, "bank", "import", sample("a", "ofx"), "--account", ACCOUNT)
    line = as_json(coop, "bank", "unmatched")[0]["line_id"]
    result = run(coop, "bank", "match", line, "bob")
    assert result.exit_code == 1 and "bob left" in result.stderr
    missing = run(coop, "bank", "import", "/no/such/file.ofx", "--account", ACCOUNT)
    assert missing.exit_code == 1 and "cannot read" in missing.stderr


def test_a_return_dated_in_a_closed_period_is_settled_as_a_prior_period_adjustment(coop):
    """Once the bank commands had no `--prior-period`: a direct debit returned inside a closed period was left in the
    queue, and the member kept the credit of money the bank took back."""
    ok(coop, "accrue", "--through", "2025-04-30")
    ok(coop, "bank", "rules", "set", "standing-orders", "--account", ACCOUNT,
       "--pattern", r"(SO|DD)-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}")
    as_json(coop, "bank", "import", sample("a", "camt053"), "--account", ACCOUNT)
    ok(coop, "period", "close", "riverside", "--start", "2025-04-01", "--end", "2025-04-20")
    refused = as_json(coop, "bank", "import", sample("b", "camt053"), "--account", ACCOUNT)
    assert refused["returned"] == [] and any("prior-period" in r["reason"] for r in refused["not_matched"])
    settled = as_json(coop, "bank", "auto", "--account", ACCOUNT, "--prior-period", "DD returned on 16 April")
    assert [r["member_id"] for r in settled["returned"]] == ["dan"]
    [returned] = [json.loads(line) for line in run(coop, "export").output.splitlines()
                  if '"PaymentReturned"' in line]
    assert returned["metadata"]["adjustment"] == "prior-period" and returned["effective_date"] == "2025-04-16"
