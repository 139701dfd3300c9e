"""`mutual export beancount | hledger | xero | csv`: the general ledger in formats accounting tools accept
(bean-check through beancount's loader; `hledger check` where hledger is installed), each naming its chain head;
`mutual export` with no format still writes the log."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import pytest
from beancount import loader
from click.testing import CliRunner

from cli.main import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(backend, *args):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], catch_exceptions=False)


@pytest.fixture
def books(backend):
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        assert run(backend, "import", str(EXAMPLES / name)).exit_code == 0
    return backend


def test_the_beancount_export_passes_bean_check_and_names_its_chain_head(books, tmp_path):
    out = tmp_path / "books.beancount"
    result = run(books, "export", "beancount", "--as-of", "2030-01-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    head = run(books, "audit", "digest").output.split()
    text = out.read_text()
    assert f"drawn from chain head {head[0]} {head[1]}" in text
    entries, errors, _ = loader.load_file(str(out))
    assert errors == [] and len(entries) > 1000


def test_one_societys_beancount_export_for_a_period_passes_bean_check(books):
    result = run(books, "export", "beancount", "--society", "riverside", "--from", "2020-01-01", "--to", "2022-12-31")
    assert result.exit_code == 0
    _, errors, _ = loader.load_string(result.stdout)
    assert errors == []
    assert "App6" not in result.stdout and "Riverside" in result.stdout


@pytest.mark.skipif(shutil.which("hledger") is None, reason="hledger is not installed")
def test_the_hledger_export_passes_hledger_check(books, tmp_path):
    out = tmp_path / "books.journal"
    assert run(books, "export", "hledger", "--as-of", "2030-01-01", "-o", str(out)).exit_code == 0
    checked = subprocess.run(["hledger", "-f", str(out), "check", "--strict"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_xero_manual_journal_csv_has_balanced_journals_with_account_codes(books):
    result = run(books, "export", "xero", "--society", "riverside", "--as-of", "2025-03-31")
    assert result.exit_code == 0
    assert "drawn from chain head" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
                             "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2"]
    journals: dict[tuple[str, str], D] = defaultdict(D)
    for row in rows:
        journals[(row["*Narration"], row["*Date"])] += D(row["*Amount"])
        assert row["*AccountCode"].isdigit() and row["*TaxRate"] == "No VAT" and row["*Date"][2] == "/"
    assert journals and all(total == 0 for total in journals.values())


def test_the_plain_csv_journal_has_a_debit_or_a_credit_on_every_row_and_balances(books):
    result = run(books, "export", "csv", "--as-of", "2025-03-31")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(bool(r["debit"]) != bool(r["credit"]) for r in rows)
    assert sum(D(r["debit"] or 0) for r in rows) == sum(D(r["credit"] or 0) for r in rows)


def test_export_with_no_format_still_writes_the_log(books, tmp_path):
    out = tmp_path / "log.jsonl"
    assert run(books, "export", "-o", str(out)).exit_code == 0
    assert len(out.read_bytes().splitlines()) == 788 + 1155
