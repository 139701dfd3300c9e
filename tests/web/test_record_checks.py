"""`record` from the web, as the four-eyes check reads it: the same JSON parser as the command's, so a line the
command would read is never a crash of the check (a 500), and a line it would not is the command's to name."""

from __future__ import annotations

from tests.web.conftest import csrf, login


def test_a_deeply_nested_line_is_refused_by_name_not_a_server_error(examples, client):
    login(client, "clerk", username="clara")
    head = examples.store().head().position
    deep = b'{"stream":"member-alice","type":"PaymentReceived","effective_date":"2025-06-03","payload":' \
           + b'{"x":' * 1000 + b"1" + b"}" * 1000 + b"}\n"
    answer = client.post("/api/record", content=deep,
                         headers={"X-CSRF-Token": csrf(client), "content-type": "application/x-ndjson"})
    assert answer.status_code == 400, answer.text
    assert "something went wrong" not in answer.text and "Traceback" not in answer.text
    assert examples.store().head().position == head
