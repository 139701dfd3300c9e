"""`mutual serve --workers N`: every worker process serves the same ledger with the same sessions' secret, so a
person logged in by one worker is logged in at every other; the server answers through uvicorn's workers."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli.main import cli


def _log_in(client, user) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', form.text)
    answer = client.post("/login", data={"username": user.username, "password": user.password,
                                         "csrf": token.group(1) if token else ""}, follow_redirects=False)
    assert answer.status_code in (302, 303), answer.text


def test_a_login_at_one_worker_is_a_login_at_every_other(tmp_path, monkeypatch):
    from cli.serve_commands import URL_ENV, prepare_demo, worker_app

    demo = prepare_demo(tmp_path / "demo")
    monkeypatch.setenv(URL_ENV, demo.url)
    monkeypatch.setenv("MUTUAL_SECRET_KEY", "s" * 64)
    board = next(u for u in demo.users if u.role == "board")
    set_up = []  # each worker is set up for serving; here, in the test's own process, without touching its collector
    monkeypatch.setattr("web.app.for_serving", set_up.append)
    with TestClient(worker_app()) as one, TestClient(worker_app()) as other:
        assert len(set_up) == 2
        _log_in(one, board)
        for name, value in one.cookies.items():
            other.cookies.set(name, value)
        page = other.get("/coops/riverside?as_of=2025-03-31", follow_redirects=False)
        assert page.status_code == 200 and "riverside" in page.text


def test_serve_refuses_no_workers_by_name(tmp_path):
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output + result.stderr


def test_two_workers_answer_the_login_page(tmp_path):
    from cli.serve_commands import prepare_demo

    demo = prepare_demo(tmp_path / "demo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "cli.main", "--db", demo.url, "serve", "--port", str(port),
                               "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        answer = None
        for _ in range(300):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200 and 'name="password"' in answer.text
    finally:
        server.terminate()
        server.wait(timeout=30)
