"""The web back office in a real browser: pytest-playwright driving Debian's Chromium (`/usr/bin/chromium`, passed as
`executable_path` because `playwright install` cannot download browsers here) against a real uvicorn server on a
free port, serving a ledger that holds the examples and one real user per role (added with
`ledger.commands.users.add_user`, so every test logs in through the login form; no cookie is minted).

The tests are skipped, not failed, when /usr/bin/chromium is absent; CI installs it (`.ci/run`), so they run there.
Screenshots go to `$MUTUAL_SCREENSHOTS` when set, else to a pytest temporary directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import EXAMPLES
from tests.web.served import serve

CHROMIUM = "/usr/bin/chromium"
HERE = Path(__file__).resolve().parent
PASSWORD = "a long browser-test passphrase"
USERS = {  # role -> (user name, member)
    "clerk": ("clerk1", None), "treasurer": ("treasurer1", None), "auditor": ("auditor1", None),
    "board": ("board1", None), "member": ("alice", "alice"), "admin": ("admin1", None)}
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    """No Chromium, no browser tests: skipped with the reason, never an error."""
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, with Debian's Chromium in place of a downloaded one."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--lang=en-GB"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": LAPTOP, "locale": "en-GB", "timezone_id": "Europe/London"}


@dataclass(frozen=True)
class Site:
    """A served ledger: its address and the backend under it."""

    url: str
    backend: Any


@pytest.fixture
def site(backend) -> Iterator[Site]:
    """The examples (the ten-year co-op, Appendix 6's savers) and a user per role, served over real HTTP."""
    from ledger.commands.users import add_user
    from web.app import create_app

    store = backend.store()
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        store.import_lines((EXAMPLES / name).read_bytes().splitlines())
    for role, (username, member) in USERS.items():
        add_user(store, username, role, PASSWORD, actor="browser-tests", member=member)
    url, server, thread, sock = serve(create_app(backend.url, secret=b"browser-test-secret-not-for-production-00"))
    yield Site(url, backend)
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(10)
    sock.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the screenshots go: $MUTUAL_SCREENSHOTS, else a pytest temporary directory."""
    named = os.environ.get("MUTUAL_SCREENSHOTS")
    where = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def log_in(page, site: Site, role: str, next_: str = "/") -> None:
    """Log in through the real form as the user of `role`, and wait for the page it leads to."""
    username = USERS[role][0]
    page.goto(f"{site.url}/login?next={next_}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.locator("p.error").all_inner_texts()
    assert username in page.locator("header.site .who").inner_text()


PROPOSE = """async (argv) => {
    const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
    const r = await fetch('/api/proposals', {method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRF-Token': token}, body: JSON.stringify({argv})});
    return {status: r.status, body: await r.json()};
}"""


def propose(page, argv: list[str]) -> str:
    """Propose a four-eyes command from the logged-in page, as its user (no page holds a form for a member's
    leaving yet, so the browser posts to /api/proposals with the session's CSRF token, as htmx would)."""
    answer = page.evaluate(PROPOSE, argv)
    assert answer["status"] == 202, answer
    return str(answer["body"]["proposal"]["proposal_id"])


def as_user(browser, site: Site, role: str, viewport: dict | None = None, **options):
    """A fresh browser context (its own cookies) logged in as `role`; returns its page."""
    context = browser.new_context(viewport=viewport or LAPTOP, locale="en-GB", **options)
    page = context.new_page()
    log_in(page, site, role)
    return page
