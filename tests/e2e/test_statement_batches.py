"""`mutual statements` with Chromium prints the members' statements in batches: each member's file reads as their
statement printed alone, and a batch that fails stops the run with the engine named, no traceback."""

from __future__ import annotations

import pdfplumber
import pytest

from projections.documents import chromium
from tests.e2e.documents_cli import EXAMPLE, ok, pdf_text, run

pytestmark = pytest.mark.skipif(not chromium.available(), reason="no Chromium (/usr/bin/chromium or "
                                                                 "$MUTUAL_CHROMIUM) or no Playwright")

PERIOD = ("--from", "2020-01-01", "--to", "2020-12-31")
MEMBERS = ("alice", "bob", "carol")


def statements(backend, folder, *args):
    return ok(backend, "statements", "--coop", "riverside", *PERIOD, "--engine", "chromium", *args,
              "-o", str(folder))


def test_statements_printed_in_one_batch_read_as_each_printed_in_a_batch_of_its_own(backend, tmp_path, monkeypatch):
    ok(backend, "import", str(EXAMPLE))
    statements(backend, tmp_path / "together", "--workers", "1")  # all three in one batch
    monkeypatch.setattr(chromium, "BATCH", 1)
    statements(backend, tmp_path / "alone", "--workers", "1")
    names = sorted(p.name for p in (tmp_path / "together").iterdir())
    assert names == [f"statement-{m}-2020-01-01-2020-12-31.pdf" for m in MEMBERS]
    for name in names:
        together, alone = pdf_text(tmp_path / "together" / name), pdf_text(tmp_path / "alone" / name)
        assert together == alone
        with pdfplumber.open(tmp_path / "together" / name) as pdf:
            pages = [page.extract_text() for page in pdf.pages]
        assert len(pages) >= 2
        assert all(f"page {n} of {len(pages)}" in text for n, text in enumerate(pages, 1))


def test_a_batch_chromium_prints_wrongly_stops_the_run_with_the_engine_named_and_no_traceback(backend, tmp_path,
                                                                                           monkeypatch):
    ok(backend, "import", str(EXAMPLE))
    real = chromium.batch_html

    def losing_the_second_batchs_bookmark(htmls):
        html, titles = real(htmls)
        return (html.replace('href="#mutual-document-0"', "") if "bob" in titles[0] else html), titles

    monkeypatch.setattr(chromium, "BATCH", 1)
    monkeypatch.setattr(chromium, "batch_html", losing_the_second_batchs_bookmark)
    result = run(backend, "statements", "--coop", "riverside", *PERIOD, "--engine", "chromium", "--workers", "1",
                 "-o", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output + result.stderr
    assert result.stderr.startswith("error: --engine: Chromium failed: Chromium's PDF does not show where document 1 "
                                    "of 1 starts (the batch statement-bob-2020-01-01-2020-12-31.pdf to "
                                    "statement-bob-2020-01-01-2020-12-31.pdf")
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "out" / "statement-bob-2020-01-01-2020-12-31.pdf").exists()


def test_a_batch_drawn_again_as_known_at_the_same_time_is_the_same_bytes(backend, tmp_path):
    ok(backend, "import", str(EXAMPLE))
    said = statements(backend, tmp_path / "first", "--workers", "1").output
    known_at = said.rsplit("as known at ", 1)[1].split(")")[0]
    statements(backend, tmp_path / "again", "--workers", "1", "--as-known-at", known_at)
    for first in (tmp_path / "first").iterdir():
        assert (tmp_path / "again" / first.name).read_bytes() == first.read_bytes()
