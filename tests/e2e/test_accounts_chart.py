"""`mutual accounts chart`: a society's accounts renamed from a date by a `ChartOfAccountsSet`, applied by every
output whose last day it is in force on; what it cannot apply is refused, naming the field."""

from __future__ import annotations

import json
from pathlib import Path

from beancount import loader
from click.testing import CliRunner

from cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"
BARCLAYS = ("--account", "bank", "Assets:Riverside:Barclays", "1010")


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def test_a_renamed_account_names_the_postings_of_reports_ending_after_it_and_a_retry_writes_nothing(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    first = run(backend, "accounts", "chart", "--society", "riverside", "--from", "2020-01-01", *BARCLAYS,
                "--account", "reserve", "Equity:Riverside:Sinking-reserve", "-", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["written"] == 1
    again = run(backend, "accounts", "chart", "--society", "riverside", "--from", "2020-01-01", *BARCLAYS,
                "--account", "reserve", "Equity:Riverside:Sinking-reserve", "-", "--json")
    assert json.loads(again.output)["written"] == 0
    after = json.loads(run(backend, "accounts", "trial-balance", "--society", "riverside", "--as-of", "2025-03-31",
                           "--json").output)
    accounts = {r["account"]: r for r in after["accounts"]}
    assert accounts["Assets:Riverside:Barclays"]["code"] == "1010" and "Assets:Riverside:Bank" not in accounts
    assert accounts["Equity:Riverside:Sinking-reserve"]["code"] == "3200" and after["balanced"]
    before = json.loads(run(backend, "accounts", "trial-balance", "--society", "riverside", "--as-of", "2019-12-31",
                            "--json").output)
    assert "Assets:Riverside:Bank" in {r["account"] for r in before["accounts"]}
    exported = run(backend, "export", "beancount", "--as-of", "2025-03-31")
    _, errors, _ = loader.load_string(exported.stdout)
    assert errors == [] and "Assets:Riverside:Barclays" in exported.stdout


def test_a_chart_the_ledger_cannot_apply_is_refused_naming_the_field_and_nothing_is_written(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    head = run(backend, "audit", "digest").output
    cases = [
        (("--society", "riverside", "--account", "bank", "Income:Riverside:Bank", "1"), "role bank is in Assets"),
        (("--society", "riverside", "--account", "treasure", "Assets:Riverside:Gold", "1"), "is not a role"),
        (("--society", "riverside", "--account", "bank", "Assets:riverside", "1"), "accounts.0.name"),
        (("--society", "nowhere", "--account", "bank", "Assets:Nowhere:Bank", "1"), "society_id"),
        (("--society", "riverside", *BARCLAYS, *BARCLAYS), "roles named twice"),
    ]
    for args, said in cases:
        refused = run(backend, "accounts", "chart", "--from", "2020-01-01", *args)
        assert refused.exit_code == 1 and said in refused.output and "Traceback" not in refused.output, refused.output
    assert run(backend, "audit", "digest").output == head


def test_record_refuses_a_chart_and_points_to_its_command(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    line = json.dumps({"stream": "society-riverside", "type": "ChartOfAccountsSet", "effective_date": "2020-01-01",
                       "payload": {"society_id": "riverside",
                                   "accounts": [{"role": "bank", "name": "Assets:Riverside:Barclays"}]}})
    refused = run(backend, "record", "-", input=line + "\n")
    assert refused.exit_code == 1 and "mutual accounts chart" in refused.output
