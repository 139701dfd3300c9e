"""`mutual log` is a log a person can read: one line per event in 80 columns, in the event's own words."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from cli.main import cli
from projections.log import columns

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


def run(backend, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input)


def ok(backend, *args: str, input: str | None = None):
    result = run(backend, *args, input=input)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def rows(output: str) -> list[str]:
    return output.splitlines()[1:]  # (the first line is the header)


def positions(output: str) -> list[int]:
    return [int(line.split()[0]) for line in rows(output)]


@pytest.fixture
def books(backend):
    ok(backend, "import", str(EXAMPLE))
    return backend


def test_every_line_of_the_example_fits_80_columns_with_position_date_type_stream_and_summary(books):
    output = ok(books, "log").output
    lines = output.splitlines()
    assert len(lines) == 789 and all(columns(line) <= 80 for line in lines)
    assert lines[0].split() == ["pos", "effective", "type", "stream", "summary"]
    assert positions(output) == list(range(1, 789))


def test_each_event_is_said_in_its_own_words(books):
    alice = ok(books, "log", "--stream", "member-alice", "--to", "2025-03-31").output
    assert "alice paid £718.85 for 2025-03" in alice and "alice owes £718.85 for 2025-03" in alice
    admitted = ok(books, "log", "--type", "MemberAdmitted").output
    # a version 1 admission is shown lifted: the agreed payment, never the salary it carried
    assert "alice admitted: flat1, £5,554.00/yr" in admitted and "17089" not in admitted
    assert "flat2 passes from bob to dan" in ok(books, "log", "--type", "LeaseAssigned").output


def test_tail_reverse_and_limit_choose_and_order_the_lines(books):
    assert positions(ok(books, "log", "--tail", "3").output) == [786, 787, 788]
    assert positions(ok(books, "log", "--tail", "3", "--reverse").output) == [788, 787, 786]
    assert positions(ok(books, "log", "--reverse", "--limit", "2").output) == [788, 787]
    assert positions(ok(books, "log", "--limit", "2").output) == [1, 2]
    assert positions(ok(books, "log", "--tail", "5", "--limit", "2").output) == [784, 785]
    tail_json = json.loads(ok(books, "log", "--tail", "2", "--reverse", "--json").output)
    assert [e["position"] for e in tail_json] == [788, 787]


def test_a_members_log_holds_their_stream_and_the_events_naming_them(books):
    bob = ok(books, "log", "--member", "bob").output
    streams = {line.split()[3] for line in rows(bob)}
    assert streams == {"member-bob", "dwelling-flat2"}
    assert "flat2 passes from bob to dan" in bob
    dan = ok(books, "log", "--member", "dan", "--type", "LeaseAssigned", "--json").output
    assert [e["payload"]["incoming_member_id"] for e in json.loads(dan)] == ["dan"]
    last = ok(books, "log", "--member", "alice", "--tail", "1").output
    assert rows(last)[0].split()[3] == "member-alice"


def test_an_unknown_type_is_an_error_naming_the_known_types(books):
    result = run(books, "log", "--type", "PaymentRecieved")
    assert result.exit_code == 2 and "'PaymentRecieved' is not a known event type" in result.output
    assert "PaymentReceived" in result.output and "MemberAdmitted" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_member_is_said_so(books):
    result = run(books, "log", "--member", "nobody")
    assert result.exit_code == 1 and "nobody is not a member in the books" in result.stderr


def test_the_older_options_still_work(books):
    chosen = json.loads(ok(books, "log", "--type", "IndexValuePublished", "--from", "2016-01-01", "--to",
                           "2017-12-31", "--json").output)
    assert [e["payload"]["period"] for e in chosen] == ["2016", "2017"]
    assert positions(ok(books, "log", "--stream", "index-RPI", "--limit", "2").output) == [7, 8]
    assert json.loads(ok(books, "log", "--as-known-at", "2000-01-01T00:00:00Z", "--json").output) == []


def test_free_text_with_line_breaks_and_wide_characters_stays_on_one_line_of_80_columns(backend):
    lines = [
        {"stream": "society-c1", "type": "SocietyRegistered", "effective_date": "2020-01-01",
         "payload": {"society_id": "c1", "kind": "coop", "name": "住宅協同組合\n第二行 with a very long name indeed"}},
        {"stream": "society-c1", "type": "ReserveSpent", "effective_date": "2020-02-01",
         "payload": {"coop_id": "c1", "amount": "10.00", "purpose": "roof\r\nrepair\x1b[31m red \u2028 more"}},
    ]
    ok(backend, "import", "-", input="".join(orjson.dumps(line).decode() + "\n" for line in lines))
    output = ok(backend, "log").output
    assert len(output.splitlines()) == 3 and all(columns(line) <= 80 for line in output.splitlines())
    assert "\x1b" not in output and "\r" not in output
    assert "c1 spent £10.00 of reserve: roof re…" in output  # (cut at 80 columns, and says so)
    assert "住宅協同組合 第二行 with" in output
