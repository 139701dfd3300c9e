"""`mutual accounts ...`: the general ledger's journal, trial balance, balance sheet and income statement, each naming
the chain head it was drawn from, and reproducible as known at an earlier time."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from ledger.clock import format_recorded_at

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def ok(backend, *args) -> dict:
    result = run(backend, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_trial_balance_balances_and_names_the_chain_head_an_auditor_can_prove(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    tb = ok(backend, "accounts", "trial-balance", "--society", "riverside", "--as-of", "2025-03-31", "--json")
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"] and tb["difference"] == "0.00"
    digest = run(backend, "audit", "digest").output.split()
    assert [str(tb["chain_head"]["position"]), tb["chain_head"]["hash"]] == digest
    accounts = {r["account"]: r for r in tb["accounts"]}
    coop = ok(backend, "coop", "show", "riverside", "--as-of", "2025-03-31", "--json")
    assert accounts["Equity:Riverside:Reserve"]["credit"] == coop["reserve"]
    text = run(backend, "accounts", "trial-balance", "--society", "riverside", "--as-of", "2025-03-31")
    assert "balanced" in text.output and f"drawn from chain head {digest[0]} {digest[1]}" in text.output


def test_as_known_at_an_earlier_time_the_trial_balance_is_reproduced_exactly_with_its_head(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    first = ok(backend, "accounts", "trial-balance", "--as-of", "2025-03-31", "--json")
    known = format_recorded_at(backend.store().head().recorded_at)
    later = json.dumps({"stream": "society-riverside", "type": "ReserveSpent", "effective_date": "2024-05-01",
                        "payload": {"coop_id": "riverside", "amount": "999.00", "purpose": "roof"}})
    assert run(backend, "record", "-", input=later + "\n").exit_code == 0
    now = ok(backend, "accounts", "trial-balance", "--as-of", "2025-03-31", "--json")
    assert now["chain_head"] != first["chain_head"] and now["accounts"] != first["accounts"]
    again = ok(backend, "accounts", "trial-balance", "--as-of", "2025-03-31", "--as-known-at", known, "--json")
    assert again["accounts"] == first["accounts"] and again["chain_head"] == first["chain_head"]
    assert again["as_known_at"] is not None


def test_the_journal_balance_sheet_and_income_statement_of_a_period(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    period = ("--society", "riverside", "--from", "2024-04-01", "--to", "2025-03-31", "--json")
    journal = ok(backend, "accounts", "journal", *period)
    assert journal["entries"] and all("2024-04-01" <= e["date"] <= "2025-03-31" for e in journal["entries"])
    for e in journal["entries"]:
        assert sum(D(p["amount"]) for p in e["postings"]) == 0
    assert any(e["derived"] for e in journal["entries"])  # a member-year's reserve movement
    income = ok(backend, "accounts", "income", *period)
    assert D(income["surplus"]) == D(income["Income"]["total"]) - D(income["Expenses"]["total"])
    sheet = ok(backend, "accounts", "balance-sheet", "--society", "riverside", "--as-of", "2025-03-31", "--json")
    assert sheet["balanced"]
    assert D(sheet["Assets"]["total"]) == D(sheet["Liabilities"]["total"]) + D(sheet["Equity"]["total"]) \
        + D(sheet["surplus"])
    for name in ("journal", "balance-sheet", "income"):
        shown = run(backend, "accounts", name, "--society", "riverside", "--as-of", "2025-03-31")
        assert shown.exit_code == 0 and "drawn from chain head" in shown.output


def test_as_of_with_a_period_is_refused_naming_the_options(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    refused = run(backend, "accounts", "trial-balance", "--as-of", "2025-03-31", "--from", "2024-01-01")
    assert refused.exit_code == 2 and "--as-of" in refused.output
    backwards = run(backend, "accounts", "journal", "--from", "2025-01-01", "--to", "2024-01-01")
    assert backwards.exit_code == 2 and "--from" in backwards.output


def test_a_society_not_in_the_books_is_refused_by_name(backend):
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    for args in (("accounts", "trial-balance"), ("export", "beancount")):
        refused = run(backend, *args, "--society", "atlantis", "--as-of", "2025-03-31")
        assert refused.exit_code == 1 and "--society: atlantis is not a society" in refused.output


def test_the_trial_balance_as_csv_has_the_same_figures_as_its_json(backend):
    import csv
    import io

    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    tb = ok(backend, "accounts", "trial-balance", "--society", "riverside", "--as-of", "2025-03-31", "--json")
    shown = run(backend, "accounts", "trial-balance", "--society", "riverside", "--as-of", "2025-03-31",
                "--format", "csv")
    assert shown.exit_code == 0
    rows = {r["account"]: r for r in csv.DictReader(io.StringIO(shown.stdout)) if r.get("account")}
    for r in tb["accounts"]:
        assert D(rows[r["account"]]["debit"] or 0) == D(r["debit"]) and D(rows[r["account"]]["credit"] or 0) == \
            D(r["credit"])


def test_a_zero_balance_on_the_credit_side_is_shown_as_zero_not_minus_zero(backend):
    """The co-op's prepayments held are nothing at 31 January 2020: once shown -0.00 (and -£0.00 in the table)."""
    assert run(backend, "import", str(EXAMPLE)).exit_code == 0
    for fmt in ("json", "csv"):
        result = run(backend, "accounts", "balance-sheet", "--society", "riverside", "--as-of", "2020-01-31",
                     "--format", fmt)
        assert result.exit_code == 0 and "-0.00" not in result.output
    table = run(backend, "accounts", "balance-sheet", "--society", "riverside", "--as-of", "2020-01-31")
    assert "-£0.00" not in table.output and "Prepayments" in table.output
