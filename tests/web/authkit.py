"""Helpers for the auth tests: users made through the command, and the login form driven as a browser does."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from ledger.commands.users import add_user

PASSWORD = "correct horse battery"


def make_user(backend, username: str, role: str, member: str | None = None, password: str = PASSWORD):
    return add_user(backend.store(), username, role, password, actor="test-admin", member=member)


def login_form_token(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD, next_: str = "/"):
    token = login_form_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf": token, "next": next_},
                       follow_redirects=False)
