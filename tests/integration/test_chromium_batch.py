"""Chromium prints documents in batches and pikepdf splits each batch into one PDF per document: each file reads
as the document printed alone does, its own footer ("page X of Y", its title) on every page."""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pdfplumber
import pikepdf
import pytest

from projections.documents import chromium
from projections.documents.chromium import Printer, SplitFailed, batch_html, split
from projections.documents.render import environment

pytestmark = pytest.mark.skipif(not chromium.available(), reason="no Chromium (/usr/bin/chromium or "
                                                                 "$MUTUAL_CHROMIUM) or no Playwright")

CREATED = datetime(2025, 3, 31, 17, 4, 5, tzinfo=UTC)


def document(title: str, footer: str, paragraphs: int) -> str:
    """A document of the shared template (base.html, style.css), rendered for Chromium as a statement is."""
    body = "".join(f"<p>Paragraph {n} of {title}: " + "the figures as the books have them. " * 12 + "</p>"
                   for n in range(1, paragraphs + 1))
    source = ('{% extends "base.html" %}{% block title %}' + title + "{% endblock %}{% block page_title %}" + footer
              + "{% endblock %}{% block content %}<h1>" + title + "</h1>" + body + "{% endblock %}")
    return environment().from_string(source).render(for_pdf=True, engine="chromium", as_known_at="2025-03-31")


# one page, two pages and six pages, each with its own footer title, in one batch
DOCUMENTS = [("Statement for Ann", "Notice to Ann", 3), ("Statement for Ben", "Notice to Ben", 18),
             ("Statement for Cy", "Member statement", 75)]


def printed(htmls: list[str]) -> list[bytes]:
    async def printing() -> list[bytes]:
        async with Printer(1) as printer:
            return [await printer.pdf(html) for html in htmls]

    # (in a thread of its own: a browser test earlier in the session may have left an event loop running in this one)
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, printing()).result()


def pages_text(pdf: bytes | str) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as read:
        return [page.extract_text() or "" for page in read.pages]


def footer(pdf: bytes | str) -> list[list[dict]]:
    """Each page's footer characters (the bottom margin's)."""
    with pdfplumber.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as read:
        return [[c for c in page.chars if c["top"] > page.height - 50] for page in read.pages]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The documents printed alone, and printed as one batch then split into a file each."""
    folder = tmp_path_factory.mktemp("batch")
    htmls = [document(*d) for d in DOCUMENTS]
    html, titles = batch_html(htmls)
    *alone, whole = printed([*htmls, html])
    files = [(str(folder / f"document-{n}.pdf"), title) for n, title in enumerate(titles)]
    return alone, whole, split(whole, files, CREATED)


def test_each_split_file_reads_page_for_page_as_its_document_printed_alone(batch):
    alone, _, paths = batch
    assert [len(pages_text(p)) for p in paths] == [1, 2, 6]
    assert [pages_text(p) for p in paths] == [pages_text(a) for a in alone]


def test_every_page_has_its_own_documents_footer_page_x_of_y_where_chromium_draws_it(batch):
    alone, _, paths = batch
    for (_, title, _), path, single in zip(DOCUMENTS, paths, alone, strict=True):
        pages = pages_text(path)
        for n, (text, chars, drawn) in enumerate(zip(pages, footer(path), footer(single), strict=True), 1):
            assert f"page {n} of {len(pages)}" in text and title in text
            stamped = [c for c in chars if c["fontname"] == "Helvetica"]
            assert "".join(c["text"] for c in stamped) == f"page {n} of {len(pages)}"
            right = [c for c in drawn if c["x0"] > 300]  # Chromium's own "page X of Y", printed alone
            assert stamped[-1]["x1"] == pytest.approx(right[-1]["x1"], abs=0.5)
            assert stamped[0]["matrix"][5] == pytest.approx(right[0]["matrix"][5], abs=0.5)  # the same baseline
            assert {round(c["size"], 1) for c in stamped} == {7.0}
            assert {c["non_stroking_color"] for c in stamped} == {c["non_stroking_color"] for c in right}


def test_each_split_file_carries_its_own_title_and_the_books_time_as_its_creation_date(batch):
    _, _, paths = batch
    for (title, _, _), path in zip(DOCUMENTS, paths, strict=True):
        with pikepdf.open(path) as pdf:
            assert str(pdf.docinfo["/Title"]) == title
            assert str(pdf.docinfo["/CreationDate"]) == "D:20250331170405Z"
            assert "/Dests" not in pdf.Root  # the batch's bookmarks stay behind


def test_a_pdf_that_does_not_show_where_each_document_starts_is_refused_not_split(batch, tmp_path):
    alone, whole, _ = batch
    files = [(str(tmp_path / f"d{n}.pdf"), "x") for n in range(3)]
    with pytest.raises(SplitFailed, match="does not show where document 1 of 3 starts"):
        split(alone[2], files, CREATED)  # a document printed alone: no batch's destinations
    with pytest.raises(SplitFailed, match="does not show where document 4 of 4 starts"):
        split(whole, [*files, (str(tmp_path / "d3.pdf"), "x")], CREATED)  # one more document than printed
    assert list(tmp_path.iterdir()) == []


def test_a_pdf_that_cannot_be_read_is_refused_by_name(tmp_path):
    with pytest.raises(SplitFailed, match="Chromium's PDF cannot be read"):
        split(b"%PDF-1.4 not a PDF", [(str(tmp_path / "d0.pdf"), "x")], CREATED)
    assert list(tmp_path.iterdir()) == []
