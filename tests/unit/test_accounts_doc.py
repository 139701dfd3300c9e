"""docs/accounts.md says exactly what the chart and the postings table say."""

from pathlib import Path

from ledger.accounts.catalog import render
from ledger.events import REGISTRY

DOC = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"


def test_the_accounts_doc_is_in_step_with_the_chart_and_the_postings():
    assert DOC.read_text() == render(), (
        "docs/accounts.md is out of date: run `python -m ledger.accounts.catalog > docs/accounts.md`")


def test_every_event_type_has_a_row_in_the_postings_table():
    text = DOC.read_text()
    for name in REGISTRY:
        assert f"| `{name}` |" in text
