"""The newcomer's path: `mutual serve --demo` prints a user per role, and each of them logs in through the real login
form, lands where their role starts, and logs out again."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

LANDS = {"clerk": "The books", "treasurer": "The books", "auditor": "The books", "board": "The books",
         "member": "alice", "admin": "Users"}
USER_LINE = re.compile(r"\s*(\w+)\s+user (\S+)\s+password (\S+).*")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo(tmp_path) -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    """`mutual serve --demo` in a child process: its address and {role: (user, password)} as it printed them."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--demo", "--port", str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        users: dict[str, tuple[str, str]] = {}
        deadline = time.monotonic() + 60
        assert child.stdout is not None
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line and child.poll() is not None:
                pytest.fail(f"mutual serve --demo stopped with exit code {child.returncode}")
            if (found := USER_LINE.fullmatch(line.rstrip("\n"))) is not None:
                users[found[1]] = (found[2], found[3])
            if line.startswith("serving on"):
                break
        assert set(users) == set(LANDS), users
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", users
    finally:
        child.terminate()
        child.wait(10)


def test_every_demo_user_logs_in_through_the_form_lands_on_their_start_page_and_logs_out(browser, demo):
    url, users = demo
    for role, (username, password) in users.items():
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)  # not logged in: sent to the login form
        expect(page).to_have_url(re.compile(r".*/login.*"))
        page.get_by_label("User name").fill(username)
        if role == "clerk":  # a wrong password once: the form says so and keeps the user name
            page.get_by_label("Password").fill(password + "x")
            page.get_by_role("button", name="Log in").click()
            expect(page.get_by_role("alert")).to_contain_text("wrong")
            expect(page.get_by_label("User name")).to_have_value(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("header.site .who")).to_contain_text(f"{username} {role}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(LANDS[role])
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r".*/login$"))
        context.close()
