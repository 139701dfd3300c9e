"""Chromium as the PDF engine of a batch: one headless browser, one page per worker, each page reused.

A statement's HTML for Chromium is the same template's, rendered `for_pdf` with the stylesheet inline (Chromium
reads @page, its margin boxes and `counter(pages)`; it has no `string-set`, so the template names the document in
the footer itself). Nothing is fetched: the HTML is set as the page's content and the chart is a data URI.

Statements are printed in batches (`batch_html`, one print for many: a print's fixed cost is most of its cost) and
each batch's PDF is split into one PDF per statement with pikepdf (`split`), which stamps each page's "page X of Y"
and writes the chain head's recorded time as the creation date (Chromium writes the time it printed and has no
option to set it): drawn again by the same Chromium in the same batches, a statement is the same bytes.

The browser is Debian's (`/usr/bin/chromium`) or `$MUTUAL_CHROMIUM`, driven by Playwright's async API; it runs in
its own processes, so its CPU is counted as this process's children's once it has closed.
"""

from __future__ import annotations

import asyncio
import html as htmlmod
import io
import itertools
import os
from datetime import datetime
from typing import Any

DEBIAN_CHROMIUM = "/usr/bin/chromium"
# no sandbox (a batch prints only HTML it made itself; a container has no user namespaces); hinting off, so glyphs
# advance as in WeasyPrint's PDF and lines break in the same places
ARGS = ["--no-sandbox", "--font-render-hinting=none", "--disable-gpu", "--disable-extensions"]


def executable() -> str | None:
    """The Chromium to print with: `$MUTUAL_CHROMIUM`, else Debian's, if the file exists; else None."""
    path = os.environ.get("MUTUAL_CHROMIUM") or DEBIAN_CHROMIUM
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def available() -> bool:
    if executable() is None:
        return False
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return True


class Printer:
    """`pages` pages of one browser; `await printer.pdf(html)` prints on whichever page is free.

    Use as `async with Printer(n) as printer:`; the browser and Playwright's driver end when the block does."""

    def __init__(self, pages: int = 1) -> None:
        self.size = max(1, pages)
        self._free: asyncio.Queue[Any] = asyncio.Queue()
        self._playwright: Any = None
        self._browser: Any = None

    async def __aenter__(self) -> Printer:
        from playwright.async_api import async_playwright

        path = executable()
        if path is None:
            raise RuntimeError("no Chromium: neither $MUTUAL_CHROMIUM nor /usr/bin/chromium is an executable file")
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(executable_path=path, args=ARGS)
            for _ in range(self.size):
                page = await self._browser.new_page(java_script_enabled=False, offline=True)
                await page.emulate_media(media="print")
                self._free.put_nowait(page)
        except BaseException:
            await self._playwright.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        finally:
            await self._playwright.stop()

    async def pdf(self, html: str) -> bytes:
        page = await self._free.get()
        try:
            await page.set_content(html, wait_until="load")
            pdf: bytes = await page.pdf(prefer_css_page_size=True, print_background=True)
            return pdf
        finally:
            self._free.put_nowait(page)


# A batch: many documents printed as one (Chromium's print has a large fixed cost: about 71 ms a statement printed
# alone, about 28 ms in a document of ten), then split into one PDF per document.

BATCH = 12  # documents printed at once: 8 cost a quarter more print a statement, 12 to 24 the same (measured)
ANCHOR = "mutual-document-"
PAGE_TITLE = "@page { @bottom-left { content: "  # base.html's footer title, for Chromium


def _between(text: str, before: str, after: str, end: int) -> str | None:
    """What `text` has between `before` and the next `after`, looked for before `end`; None if it has not."""
    start = text.find(before, 0, end)
    stop = text.find(after, start + len(before), end) if start >= 0 else -1
    return text[start + len(before): stop] if stop >= 0 else None


class SplitFailed(ValueError):
    """A batch's PDF does not show where each of its documents starts (the batch is not split: nothing written)."""


def batch_html(htmls: list[str]) -> tuple[str, list[str]]:
    """One HTML document of `htmls` (each rendered for Chromium from the same template: one stylesheet) and each
    one's own title. Each document's body is a section of its own, starting on a new page of its own named page
    (`page: d3`, with its own footer title), and a link to it, so that Chromium writes a named destination (the
    page it starts on: `split`). The footer's "page X of Y" is left out: Chromium would count the whole batch's
    pages; `split` stamps each document's own."""
    head = htmls[0][: htmls[0].index("<body")]
    titles, pages, sections = [], [], []
    for n, html in enumerate(htmls):
        body_at = html.index("<body")
        title, page_title = _between(html, "<title>", "</title>", body_at), _between(html, PAGE_TITLE, "; }", body_at)
        if title is None or page_title is None:
            raise SplitFailed("a document has no <title> or no footer title: it cannot be printed in a batch")
        titles.append(htmlmod.unescape(title).strip())
        pages.append(f"@page d{n} {{ @bottom-left {{ content: {page_title}; }} }}")
        body = html[html.index(">", body_at) + 1: html.rindex("</body>")]
        sections.append(f'<section class="batched" id="{ANCHOR}{n}" style="page: d{n}">'
                        f'<a href="#{ANCHOR}{n}" style="display: block; height: 0"></a>{body}</section>')
    style = ("<style>\n@page { @bottom-right { content: none; } }\nsection.batched { break-before: page; }\n"
             + "\n".join(pages) + "\n</style>\n")
    body_tag = htmls[0][htmls[0].index("<body"): htmls[0].index(">", htmls[0].index("<body")) + 1]
    return f"{head}{style}</head>\n{body_tag}\n{''.join(sections)}\n</body>\n</html>\n", titles


def starts(pdf: Any, count: int) -> list[int]:
    """The index of the page each of a batch's `count` documents starts on: its named destination's page."""
    import pikepdf

    index = {page.objgen: n for n, page in enumerate(pdf.pages)}
    dests = pdf.Root.get("/Dests")
    found = []
    for n in range(count):
        dest = dests.get(pikepdf.Name(f"/{ANCHOR}{n}")) if dests is not None else None
        if not isinstance(dest, pikepdf.Array) or len(dest) == 0 or dest[0].objgen not in index:
            raise SplitFailed(f"Chromium's PDF does not show where document {n + 1} of {count} starts")
        found.append(index[dest[0].objgen])
    if found[0] != 0 or any(b <= a for a, b in itertools.pairwise(found)):
        raise SplitFailed(f"Chromium's PDF puts the batch's documents on pages {found}, not one after another")
    return found


# The footer's "page X of Y" as the stylesheet draws it (7pt, #666, right-aligned at the right margin, on the
# baseline Chromium puts it on): in Helvetica, a base-14 font every reader has, so nothing is embedded.
FOOTER_RIGHT, FOOTER_BASELINE, FOOTER_SIZE, FOOTER_GREY = 553.499, 22.92, 7, "0.4 0.4 0.4"
FOOTER_FONT = "/MutualFooter"
_HELVETICA = {" ": 278, "f": 278, **dict.fromkeys("0123456789pagoe", 556)}  # glyph widths, 1/1000 em (Adobe's AFM)


def _footer_font(pdf: Any) -> Any:
    import pikepdf

    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica,
                                                Encoding=pikepdf.Name.WinAnsiEncoding))


def _stamp(pdf: Any, page: Any, text: str, font: Any) -> None:
    """Draw `text` where the footer's "page X of Y" goes, the page's own drawing kept apart (q ... Q) from it."""
    import pikepdf

    width = sum(_HELVETICA[c] for c in text) * FOOTER_SIZE / 1000
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    if "/Font" not in page.obj.Resources:
        page.obj.Resources.Font = pikepdf.Dictionary()
    page.obj.Resources.Font[FOOTER_FONT] = font
    drawn = (f"Q q {FOOTER_GREY} rg BT {FOOTER_FONT} {FOOTER_SIZE} Tf {FOOTER_RIGHT - width:.3f} {FOOTER_BASELINE} Td "
             f"({text}) Tj ET Q\n")
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, drawn.encode()), prepend=False)


def split(pdf: bytes, files: list[tuple[str, str]], created: datetime | None) -> list[str]:
    """Write a batch's PDF (`batch_html`'s, printed) as one PDF per document: `files` is each one's path and title,
    in the batch's order. Each has its own pages, "page X of Y" of its own stamped on each, its own title, and
    `created` (the chain head's recorded time) as its creation date."""
    import pikepdf

    stamp = created.strftime("D:%Y%m%d%H%M%SZ") if created is not None else None
    try:
        whole = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        raise SplitFailed(f"Chromium's PDF cannot be read: {exc}") from None
    with whole:
        first = starts(whole, len(files))
        ends = [*first[1:], len(whole.pages)]
        for (path, title), start, end in zip(files, first, ends, strict=True):
            with pikepdf.new() as one:
                one.pages.extend(whole.pages[start:end])
                font = _footer_font(one)
                for n, page in enumerate(one.pages, 1):
                    _stamp(one, page, f"page {n} of {end - start}", font)
                one.docinfo.Title = title
                for key in ("/Creator", "/Producer"):
                    if key in whole.docinfo:
                        one.docinfo[key] = whole.docinfo[key]
                if stamp is not None:
                    one.docinfo.CreationDate = one.docinfo.ModDate = stamp
                one.save(path, deterministic_id=True)
    return [path for path, _ in files]
