"""Issue 14's journeys, each by a user who logs in through the form of a real server in a real Chromium: a clerk
imports a bank statement and matches a line; a treasurer approves the payout a clerk proposed; a member sees their
equity at two dates, downloads their statement and cannot reach another member; an auditor proves the log."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import as_user, propose
from tests.web.conftest import EXAMPLES

STATEMENT = EXAMPLES / "bank" / "riverside-2025-04-a.camt053.xml"
ACCOUNT = "riverside-current"


def test_a_clerk_imports_a_bank_statement_and_matches_a_line_to_a_member(browser, site):
    page = as_user(browser, site, "clerk")
    page.get_by_role("link", name="Bank").first.click()
    expect(page.get_by_role("heading", name="Unmatched lines (0)")).to_be_visible()
    page.get_by_label("Account").fill(ACCOUNT)
    page.get_by_label("Statement").set_input_files(STATEMENT)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Unmatched lines (7)")).to_be_visible()
    line = page.locator("#queue tr", has_text="SO-alice-2025-04")
    line.get_by_placeholder("member").fill("alice")
    line.get_by_role("button", name="Match").click()
    expect(page.get_by_role("heading", name="Unmatched lines (6)")).to_be_visible()
    expect(page.locator("#queue")).not_to_contain_text("SO-alice-2025-04")


def test_a_treasurer_approves_the_payout_a_clerk_proposed(browser, site):
    clerk = as_user(browser, site, "clerk")
    clerk.goto(f"{site.url}/approvals")
    proposal = propose(clerk, ["member", "leave", "carol", "--on", "2026-10-01"])
    clerk.reload()
    row = clerk.locator(f"tr[id='{proposal}']")
    expect(row).to_contain_text("member leave")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)  # not by the one who proposed it

    treasurer = as_user(browser, site, "treasurer")
    treasurer.get_by_role("link", name="Approvals").first.click()
    treasurer.locator(f"tr[id='{proposal}']").get_by_role("button", name="Approve").click()
    expect(treasurer.get_by_role("heading", name="History")).to_be_visible()
    decided = treasurer.locator(f"tr[id='{proposal}']")
    expect(decided).to_contain_text("approved")
    expect(decided).to_contain_text("treasurer1")
    treasurer.goto(f"{site.url}/members/carol?as_of=2026-10-31")
    expect(treasurer.locator("#page-figures")).to_contain_text("Paid to you on leaving")


PAINTED = """sel => [...document.querySelectorAll(sel)].map(c => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })"""  # each canvas's drawn pixels


def test_a_member_sees_their_equity_at_two_dates_downloads_their_statement_and_cannot_reach_another(browser, site):
    page = as_user(browser, site, "member")
    assert re.search(r"/members/alice(\?|$)", page.url), page.url  # a member starts on their own page
    page.goto(f"{site.url}/members/alice?as_of=2025-03-31")
    equity = page.locator("#page-figures .figure", has_text="Your equity")
    expect(equity).to_contain_text("£23,667.16")
    chart = page.locator("#page-figures figure[data-chart] .chart-panel")
    expect(chart.first).to_have_attribute("aria-label", re.compile(  # the chart, drawn, says what it shows
        r"^Equity and debt share \(pounds\), .* to 31 Mar 2025: gross equity from £[\d,.]+ to £23,667\.16; debt share"))
    page.get_by_label("Figures as of").fill("2020-06-30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_function("location.search.includes('as_of=2020-06-30')")
    expect(equity).not_to_contain_text("£23,667.16")
    expect(page.locator("#page-figures .provenance")).to_contain_text("30 June 2020")
    expect(chart.first).to_have_attribute("aria-label", re.compile(r" to 30 Jun 2020: gross equity from "))  # drawn again
    expect(chart.locator("canvas")).to_have_count(2)  # the swapped figures' chart, drawn once (equity; unit value)
    assert all(page.evaluate(PAINTED, "#page-figures .chart-panel canvas"))
    page.go_back()  # Back restores the figures htmx saved: the chart is drawn again, not a blank canvas
    page.wait_for_function("location.search.includes('as_of=2025-03-31')")
    expect(equity).to_contain_text("£23,667.16")
    expect(chart.first).to_have_attribute("aria-label", re.compile(r" to 31 Mar 2025: gross equity from "))
    expect(chart.locator("canvas")).to_have_count(2)
    assert all(page.evaluate(PAINTED, "#page-figures .chart-panel canvas"))
    page.go_forward()
    page.wait_for_function("location.search.includes('as_of=2020-06-30')")
    expect(chart.first).to_have_attribute("aria-label", re.compile(r" to 30 Jun 2020: gross equity from "))
    assert all(page.evaluate(PAINTED, "#page-figures .chart-panel canvas"))
    assert page.evaluate("document.querySelectorAll('.u-wrap').length") == 2  # the plots swapped out are gone
    assert re.fullmatch(r"£[\d,]+\.\d\d", equity.locator(".value").inner_text())

    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download my statement (PDF)").click()
    pdf = downloading.value
    assert pdf.suggested_filename.endswith(".pdf")
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"

    for other in ("/members/bob", "/members/bob/statement?from=2020-01-01&to=2020-12-31&format=pdf", "/bank",
                  "/log"):
        response = page.goto(f"{site.url}{other}")
        assert response is not None and response.status == 404, other
        expect(page.locator("body")).not_to_contain_text("Traceback")


def test_an_auditor_proves_the_log_against_the_digest_they_wrote_down(browser, site):
    page = as_user(browser, site, "auditor")
    page.get_by_role("link", name="Audit").first.click()
    expect(page.locator("#intact")).to_contain_text("The chain is intact")
    position, digest = page.locator("#digest-position").inner_text(), page.locator("#digest-hash").inner_text()
    page.get_by_label("Position").fill(position)
    page.get_by_label("Hash").fill("0" * 64)
    page.get_by_role("button", name="Prove").click()
    expect(page.locator("#not-proven")).to_contain_text("NOT PROVEN")
    page.get_by_label("Position").fill(position)
    page.get_by_label("Hash").fill(digest)
    page.get_by_role("button", name="Prove").click()
    expect(page.locator("#proven")).to_contain_text(f"up to position {position}")
