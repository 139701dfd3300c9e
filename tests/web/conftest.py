"""The web back office under test: an app on a fresh ledger of each kind (SQLite, and PostgreSQL when set), holding
the ten-year co-op example and the fund's Appendix 6 savers, and a client logged in as any role.

`login(client, role, member=None)` starts a session without the login form (the auth tests drive the form itself);
`csrf(client)` is that session's token for a write.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from web.deps import Viewer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def app(backend):
    from web.app import create_app

    made = create_app(backend.url, secret=b"test-secret-not-for-production-use-0000")
    yield made
    made.state.store.engine.dispose()  # its connections closed now, not whenever the collector finds the app


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def login(client: TestClient, role: str, member: str | None = None, username: str | None = None) -> Viewer:
    """Start a session as `role` (the user need not exist: the auth tests drive the real login form)."""
    from web.sessions import COOKIE

    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    client.cookies.set(COOKIE, sessions.issue(Viewer(username or f"demo-{role}", role, member)))
    viewer = sessions.viewer_of_cookie(client.cookies.get(COOKIE))
    assert viewer is not None
    return viewer


def csrf(client: TestClient) -> str:
    """The logged-in session's CSRF token, for a form field `csrf` or the X-CSRF-Token header."""
    from web.sessions import COOKIE

    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    return sessions.csrf_token(sessions.viewer_of_cookie(client.cookies.get(COOKIE)))


@pytest.fixture
def examples(backend):
    """The backend holding the ten-year co-op example and the Appendix 6 savers."""
    store = backend.store()
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        store.import_lines((EXAMPLES / name).read_bytes().splitlines())
    return backend


def charts_on(page: str) -> list[list[dict]]:
    """The charts a page carries for the browser to draw (web/templates/_chart.html): each chart's panels."""
    import json
    import re

    return [json.loads(found) for found in
            re.findall(r'<figure class="chart" data-chart>\s*<script type="application/json">(.*?)</script>', page,
                       flags=re.S)]
