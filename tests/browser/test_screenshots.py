"""Every main page, as each role starts and works, on a laptop (1280×800) and a phone (390×844): saved as PNGs to
look at (`$MUTUAL_SCREENSHOTS`, else pytest's temporary directory), and checked for what a reader would trip on —
a page wider than the screen, a page with no way back to the start, a form field without a label.

SQLite only: the pages render the same projections on either engine, which the journeys already drive on both."""

from __future__ import annotations

import pytest

from cli.invoke import run
from tests.browser.conftest import LAPTOP, PHONE, as_user, propose
from tests.browser.test_journeys import ACCOUNT, PAINTED, STATEMENT

PAGES = (  # (role, path, name of the screenshot)
    ("clerk", "/", "home-clerk"),
    ("treasurer", "/", "home-treasurer"),
    ("auditor", "/", "home-auditor"),
    ("board", "/", "home-board"),
    ("member", "/", "home-member"),
    ("admin", "/", "home-admin"),
    ("treasurer", "/coops/riverside?as_of=2025-03-31", "coop-dashboard"),
    ("treasurer", "/members/alice?as_of=2025-03-31", "member-page"),
    ("treasurer", "/fund", "fund"),
    ("treasurer", "/fund/quote?amount=1200.00&months=12&points=5000&on=2025-01-01", "loan-quote"),
    ("clerk", "/bank", "bank-queue"),
    ("auditor", "/log", "log"),
    ("auditor", "/audit", "audit"),
    ("treasurer", "/approvals", "approvals"),
    ("admin", "/users", "users"),
)

FIELDS_WITHOUT_LABELS = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(f => f.type !== 'hidden' && f.type !== 'submit' && !f.labels?.length && !f.getAttribute('aria-label')
                 && !f.getAttribute('aria-labelledby'))
    .map(f => f.outerHTML.slice(0, 120))"""
PANELS = """() => [...document.querySelectorAll('figure[data-chart] script[type="application/json"]')]
    .reduce((n, s) => n + JSON.parse(s.textContent).length, 0)"""
TOO_WIDE = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(params=["sqlite"])
def backend(request, tmp_path):
    """The screenshots need one engine (see the module's docstring)."""
    from tests.conftest import _new_backend

    made = _new_backend(request.param, tmp_path)
    yield made
    made.close()


@pytest.mark.parametrize(("device", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_every_main_page_is_saved_and_fits_the_screen_with_labelled_fields_and_a_way_home(
        browser, site, screenshots, device, viewport):
    stranger = browser.new_context(viewport=viewport).new_page()
    stranger.goto(f"{site.url}/members/alice")  # not logged in: the login form, which comes back here after
    stranger.screenshot(path=screenshots / f"{device}-login.png", full_page=True)
    pages = {role: as_user(browser, site, role, viewport) for role in {role for role, _, _ in PAGES}}
    # some work waiting, so the bank queue and the approvals show their forms
    assert run(site.backend.url, ["bank", "import", str(STATEMENT), "--account", ACCOUNT, "--no-match"]).ok
    propose(pages["clerk"], ["member", "leave", "carol", "--on", "2026-10-01"])
    trouble = []
    for role, path, name in PAGES:
        page = pages[role]
        response = page.goto(f"{site.url}{path}")
        assert response is not None and response.ok, (path, role, response and response.status)
        page.screenshot(path=screenshots / f"{device}-{name}.png", full_page=True)
        if (overflow := page.evaluate(TOO_WIDE)) > 0:
            trouble.append(f"{name}: {overflow}px wider than the {device}'s screen")
        if unlabelled := page.evaluate(FIELDS_WITHOUT_LABELS):
            trouble.append(f"{name}: fields without a label {unlabelled}")
        panels = page.evaluate(PANELS)
        painted = page.evaluate(PAINTED, "figure[data-chart] .chart-panel canvas")
        if len(painted) != panels or not all(painted):
            trouble.append(f"{name}: {panels} chart panels, {sum(map(bool, painted))} drawn")
        if page.locator("header.site a.brand[href='/']").count() != 1:
            trouble.append(f"{name}: no way back to the start")
    assert not trouble, "\n".join(trouble)
