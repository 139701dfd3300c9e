"""Chromium as the PDF engine of a batch: one headless browser, one page per worker, each page reused.

A statement's HTML for Chromium is the same template's, rendered `for_pdf` with the stylesheet inline (Chromium
reads @page, its margin boxes and `counter(pages)`; it has no `string-set`, so the template names the document in
the footer itself). Nothing is fetched: the HTML is set as the page's content and the chart is a data URI.

Chromium writes the time it printed as the PDF's creation date and has no option to set it, so a Chromium PDF is
reproducible in its figures and text, not in its bytes (WeasyPrint's is byte for byte: render.html_to_pdf).

The browser is Debian's (`/usr/bin/chromium`) or `$MUTUAL_CHROMIUM`, driven by Playwright's async API; it runs in
its own processes, so its CPU is counted as this process's children's once it has closed.
"""

from __future__ import annotations

import asyncio
import os
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

