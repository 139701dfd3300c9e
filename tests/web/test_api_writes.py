"""A write through the API records the event with the logged-in user as its actor, exactly once for one key; a
dry run and a refused write record nothing; `record` takes JSON lines in the body."""

from __future__ import annotations

import orjson

from tests.web.conftest import EXAMPLES, csrf, login

PAYMENT = {"member_id": "alice", "amount": "660.00", "period": "2025-05", "bank_reference": "SO-ALICE-2025-05",
           "on": "2025-05-03", "key": "api-payment-1"}


def _last_event(client) -> dict:
    return orjson.loads(client.get("/api/log?tail=1").content)[-1]


def test_a_write_records_the_logged_in_user_as_actor_and_a_retry_writes_nothing(examples, client):
    login(client, "clerk", username="clara")
    token = {"X-CSRF-Token": csrf(client)}
    before = examples.store().head()

    first = client.post("/api/payment/receive", json=PAYMENT, headers=token)
    assert first.status_code == 200, first.text
    after = examples.store().head()
    assert after.position > before.position
    event = _last_event(client)
    assert event["type"] == "PaymentReceived"
    assert event["metadata"]["actor"] == "clara"
    assert event["payload"]["amount"] == "660.00"

    again = client.post("/api/payment/receive", json=PAYMENT, headers=token)
    assert again.status_code == 200, again.text
    assert examples.store().head() == after


def test_a_dry_run_through_the_api_writes_nothing(examples, client):
    login(client, "treasurer")
    before = examples.store().head()
    answer = client.post("/api/payment/receive", json={**PAYMENT, "dry_run": True},
                         headers={"X-CSRF-Token": csrf(client)})
    assert answer.status_code == 200, answer.text
    assert examples.store().head() == before


def test_a_write_the_books_refuse_is_400_in_the_ledgers_words(examples, client):
    login(client, "clerk")
    before = examples.store().head()
    answer = client.post("/api/payment/receive", json={**PAYMENT, "member_id": "nobody"},
                         headers={"X-CSRF-Token": csrf(client)})
    assert answer.status_code in (400, 404)
    assert "nobody" in answer.json()["error"]
    assert examples.store().head() == before


def test_record_takes_json_lines_in_the_body(examples, client):
    login(client, "clerk", username="clara")
    line = {"stream": "member-alice", "type": "PaymentReceived", "effective_date": "2025-06-03",
            "payload": {"member_id": "alice", "amount": "660.00", "period": "2025-06",
                        "bank_reference": "SO-ALICE-2025-06"}, "metadata": {"actor": "someone-else"}}
    answer = client.post("/api/record", content=orjson.dumps(line) + b"\n",
                         headers={"X-CSRF-Token": csrf(client), "content-type": "application/x-ndjson"})
    assert answer.status_code == 400 and "event 1.metadata.actor" in answer.text, answer.text  # never in another's name
    del line["metadata"]
    answer = client.post("/api/record", content=orjson.dumps(line) + b"\n",
                         headers={"X-CSRF-Token": csrf(client), "content-type": "application/x-ndjson"})
    assert answer.status_code == 200, answer.text
    event = _last_event(client)
    assert event["type"] == "PaymentReceived" and event["payload"]["period"] == "2025-06"
    assert event["metadata"]["actor"] == "clara"


def test_a_writes_answer_is_the_bytes_the_cli_prints_for_it(examples, client):
    from click.testing import CliRunner

    from cli.main import cli

    login(client, "clerk", username="clara")
    answer = client.post("/api/payment/receive", json={**PAYMENT, "dry_run": True},
                         headers={"X-CSRF-Token": csrf(client)})
    printed = CliRunner().invoke(cli, ["--db", examples.url, "payment", "receive", "alice", "--amount", "660.00",
                                       "--period", "2025-05", "--bank-reference", "SO-ALICE-2025-05", "--on",
                                       "2025-05-03", "--key", "api-payment-1", "--dry-run", "--actor", "clara",
                                       "--json"])
    assert printed.exit_code == 0, printed.output
    assert answer.content == printed.stdout_bytes


def test_bank_import_takes_the_statement_as_the_body_and_a_second_import_writes_nothing(examples, client):
    statement = (EXAMPLES / "bank" / "riverside-2025-04-a.csv.csv").read_bytes()
    login(client, "clerk", username="clara")
    token = {"X-CSRF-Token": csrf(client), "content-type": "text/csv"}

    first = client.post("/api/bank/import?account=riverside-current&format=csv", content=statement, headers=token)
    assert first.status_code == 200, first.text
    assert first.json()["lines_new"] == 7
    head = examples.store().head()
    again = client.post("/api/bank/import?account=riverside-current", content=statement, headers=token)
    assert again.status_code == 200, again.text
    assert examples.store().head() == head
    queue = client.get("/api/bank/unmatched?account=riverside-current")
    assert queue.status_code == 200 and len(queue.json()) == 7


def test_an_empty_upload_is_refused_naming_the_file(examples, client):
    login(client, "clerk")
    answer = client.post("/api/bank/import?account=riverside-current", content=b"",
                         headers={"X-CSRF-Token": csrf(client)})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("file:")


def test_an_auditor_keeps_a_checkpoint_and_a_clerk_may_not(examples, client):
    login(client, "clerk")
    assert client.post("/api/audit/checkpoint", json={}, headers={"X-CSRF-Token": csrf(client)}).status_code == 403
    login(client, "auditor", username="audrey")
    answer = client.post("/api/audit/checkpoint", json={}, headers={"X-CSRF-Token": csrf(client)})
    assert answer.status_code == 200, answer.text
    listed = client.get("/api/audit/checkpoints").json()
    assert len(listed) == 1
