"""The member's date picker in a real browser (Debian's chromium): htmx swaps the figures in place and keeps the
dates in the address bar; a date the server refuses falls back to the plain form's error page naming the field."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.web.conftest import login

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's session browser, launched from Debian's chromium (as tests/browser/conftest.py does): one
    Playwright per session, so this test and tests/browser can run in the same pytest run."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture
def served(app) -> Iterator[str]:
    """The app under uvicorn on a free port of this machine, for as long as the test runs (tests/web/served.py)."""
    from tests.web.served import serve

    url, server, thread, sock = serve(app)
    yield url
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(10)
    sock.close()


def test_the_date_picker_swaps_a_members_figures_in_place_and_refuses_a_bad_date_by_name(examples, app, client,
                                                                                        served, browser):
    from web.sessions import COOKIE

    login(client, "member", member="alice")
    context = browser.new_context()
    try:
        context.add_cookies([{"name": COOKIE, "value": client.cookies.get(COOKIE), "url": served}])
        page = context.new_page()
        page.goto(f"{served}/members/alice?as_of=2025-03-31")
        figures = page.locator("#page-figures .figures")
        assert "£23,667.16" in figures.inner_text()
        assert page.locator("input[name=as_of]").count() == 1  # one date form: the page's own, not the base's too
        page.evaluate("document.body.dataset.marker = 'not reloaded'")
        page.fill("input[name=as_of]", "2020-06-30")
        page.click("form.when button")
        page.wait_for_function("location.search.includes('as_of=2020-06-30')")
        page.wait_for_function("!document.querySelector('#page-figures').textContent.includes('£23,667.16')")
        assert page.evaluate("document.body.dataset.marker") == "not reloaded"  # swapped, not reloaded
        assert "30 June 2020" in page.locator("#page-figures .provenance").inner_text()
        page.fill("input[name=as_known_at]", "yesterday")
        page.click("form.when button")
        page.wait_for_selector("p.error")
        assert "as_known_at" in page.locator("p.error").inner_text()
    finally:
        context.close()
