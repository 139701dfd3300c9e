"""Hostile input to the API's fields gets a 400 naming the field, and the log's head does not move; no session is
401, a role that may not is 403, a member asking about anyone else is 404 (issue 14, item 5)."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf, login

pytest_plugins = ["tests.web.api_books"]  # shared_books, shared_client: one examples import per backend

GOOD = {"member_id": "alice", "amount": "660.00", "period": "2025-05", "bank_reference": "SO-ALICE-2025-05",
        "on": "2025-05-03", "key": "hostile-test"}


def _with(**changes):
    body = dict(GOOD)
    body.update(changes)
    return body


# (name, method, url, JSON body or raw bytes, the field the error must name)
HOSTILE = [
    ("a newline in an id", "POST", "/api/payment/receive", _with(member_id="al\nice"), "member_id"),
    ("a newline in a URL's id", "GET", "/api/member/show/al%0Aice", None, "member_id"),
    ("a 1e400 amount", "POST", "/api/payment/receive", _with(amount="1e400"), "amount"),
    ("an amount as a JSON float", "POST", "/api/payment/receive", b'{"member_id": "alice", "amount": 660.5}',
     "amount"),
    ("NaN as an amount", "POST", "/api/payment/receive", b'{"member_id": "alice", "amount": NaN}', "body"),
    ("a negative position", "POST", "/api/correct", {"position": -1, "reason": "typo"}, "position"),
    ("a negative position in a proof", "GET", "/api/audit/prove?position=-1&hash=" + "0" * 64, None, "position"),
    ("a negative tail", "GET", "/api/log?tail=-5", None, "tail"),
    ("a non-date", "POST", "/api/payment/receive", _with(on="3rd May"), "on"),
    ("a non-date in a query", "GET", "/api/member/show/alice?as_of=2025-02-30", None, "as_of"),
    ("a non-timestamp", "GET", "/api/member/show/alice?as_known_at=yesterday", None, "as_known_at"),
    ("an unknown option", "POST", "/api/payment/receive", _with(colour="red"), "colour"),
    ("an unknown query option", "GET", "/api/coop/show/riverside?colour=red", None, "colour"),
    ("an option given twice", "GET", "/api/coop/show/riverside?as_of=2025-01-01&as_of=2025-02-01", None, "as_of"),
    ("a key given twice", "POST", "/api/payment/receive", b'{"amount": "1.00", "amount": "2.00"}', "amount"),
    ("an unknown command", "POST", "/api/payment/steal", GOOD, "command"),
    ("an unknown query command", "GET", "/api/member/steal/alice", None, "command"),
    ("a 1 MB string", "POST", "/api/payment/receive", _with(bank_reference="x" * 1_000_000), "body"),
    ("a long string", "POST", "/api/payment/receive", _with(bank_reference="x" * 20_000), "bank_reference"),
    ("a 60 kB string in a URL", "GET", "/api/log?stream=" + "x" * 60_000, None, "stream"),
    ("non-UTF-8 bytes in the body", "POST", "/api/payment/receive", b'{"member_id": "al\xffice"}', "body"),
    ("non-UTF-8 bytes in a query", "GET", "/api/log?stream=a%FFb", None, "stream"),
    ("a NUL in text", "POST", "/api/payment/receive", _with(bank_reference="SO\x00X"), "bank_reference"),
    ("a newline in a reason", "POST", "/api/correct", {"position": 3, "reason": "x\nFORGED"}, "reason"),
    ("a newline in a reference", "POST", "/api/payment/receive", _with(bank_reference="SO\nX"), "bank_reference"),
    ("a tab in a purpose", "POST", "/api/reserve/spend",
     {"coop": "riverside", "amount": "1.00", "purpose": "roof\tFORGED", "on": "2026-01-01"}, "purpose"),
    ("a lone surrogate", "POST", "/api/payment/receive", b'{"bank_reference": "\\udc80"}', "bank_reference"),
    ("an id that is an option", "POST", "/api/payment/receive", _with(member_id="--help"), "member_id"),
    ("an option flag as a value", "POST", "/api/payment/receive", _with(amount="--dry-run"), "amount"),
    ("a number of 5000 digits", "POST", "/api/correct", b'{"position": ' + b"9" * 5000 + b"}", "body"),
    ("a huge position", "POST", "/api/correct", {"position": 2**70, "reason": "typo"}, "position"),
    ("JSON nested too deeply", "POST", "/api/correct", b"[" * 100_000 + b"]" * 100_000, "body"),
    ("not a JSON object", "POST", "/api/payment/receive", b'["alice"]', "body"),
    ("a flag that is not true or false", "POST", "/api/payment/receive", _with(dry_run="perhaps"), "dry_run"),
    ("a missing argument", "POST", "/api/payment/receive", {"amount": "660.00"}, "member_id"),
    ("the actor set by the client", "POST", "/api/payment/receive", _with(actor="mallory"), "actor"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_input_is_refused_naming_the_field_and_writes_nothing(shared_books, shared_client, case):
    _, method, url, body, field = case
    login(shared_client, "clerk")
    headers = {"X-CSRF-Token": csrf(shared_client)}
    before = shared_books.store().head()

    if method == "GET":
        answer = shared_client.get(url)
    elif isinstance(body, bytes):
        answer = shared_client.post(url, content=body, headers={**headers, "content-type": "application/json"})
    else:
        answer = shared_client.post(url, json=body, headers=headers)

    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert field in error.lower().replace("-", "_").replace("'", ""), error
    assert "Traceback" not in answer.text
    assert shared_books.store().head() == before


def test_no_session_is_401_for_a_write(shared_client):
    shared_client.cookies.clear()
    answer = shared_client.post("/api/payment/receive", json=GOOD)
    assert answer.status_code == 401


def test_a_board_user_writing_is_403_and_writes_nothing(shared_books, shared_client):
    login(shared_client, "board")
    before = shared_books.store().head()
    answer = shared_client.post("/api/payment/receive", json=GOOD, headers={"X-CSRF-Token": csrf(shared_client)})
    assert answer.status_code == 403
    assert shared_books.store().head() == before


def test_a_write_without_the_csrf_header_is_403(shared_books, shared_client):
    login(shared_client, "clerk")
    assert shared_client.post("/api/payment/receive", json=GOOD).status_code == 403


def test_a_member_writing_is_told_not_found(shared_client):
    login(shared_client, "member", member="alice")
    answer = shared_client.post("/api/payment/receive", json=GOOD, headers={"X-CSRF-Token": csrf(shared_client)})
    assert answer.status_code == 404


def test_a_clerk_may_not_close_a_period(shared_client):
    login(shared_client, "clerk")
    answer = shared_client.post("/api/period/close", json={"society": "riverside", "start": "2024-01-01",
                                                           "end": "2024-12-31"},
                                headers={"X-CSRF-Token": csrf(shared_client)})
    assert answer.status_code == 403
