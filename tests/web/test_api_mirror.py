"""Every query of the API answers the very bytes `mutual ... --json` prints for the same question, and its errors
are the CLI's own words (issue 14, item 2)."""

from __future__ import annotations

import orjson
import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.web.conftest import login
from web.api_spec import api_commands

pytest_plugins = ["tests.web.api_books"]  # shared_books, shared_client: one examples import per backend

# command -> (the API's URL, the CLI's argv for the same question); {head} and {hash} are the log's head
QUESTIONS: dict[str, tuple[str, list[str]]] = {
    "accounts balance-sheet": ("/api/accounts/balance-sheet?society=riverside&as_of=2024-12-31",
                               ["accounts", "balance-sheet", "--society", "riverside", "--as-of", "2024-12-31"]),
    "accounts income": ("/api/accounts/income?society=riverside&from=2024-01-01&to=2024-12-31",
                        ["accounts", "income", "--society", "riverside", "--from", "2024-01-01", "--to", "2024-12-31"]),
    "accounts journal": ("/api/accounts/journal?society=riverside&from=2024-01-01&to=2024-03-31",
                         ["accounts", "journal", "--society", "riverside", "--from", "2024-01-01", "--to",
                          "2024-03-31"]),
    "accounts trial-balance": ("/api/accounts/trial-balance?society=riverside&as_of=2024-12-31",
                               ["accounts", "trial-balance", "--society", "riverside", "--as-of", "2024-12-31"]),
    "arrangement show": ("/api/arrangement/show/alice?as_of=2025-03-31",
                         ["arrangement", "show", "alice", "--as-of", "2025-03-31"]),
    "arrears": ("/api/arrears?coop=riverside&as_of=2025-03-31", ["arrears", "--coop", "riverside", "--as-of",
                                                                 "2025-03-31"]),
    "audit": ("/api/audit?as_of=2025-03-31", ["audit", "--as-of", "2025-03-31"]),
    "audit checkpoints": ("/api/audit/checkpoints", ["audit", "checkpoints"]),
    "audit digest": ("/api/audit/digest", ["audit", "digest"]),
    "audit prove": ("/api/audit/prove?position={head}&hash={hash}", ["audit", "prove", "{head}", "{hash}"]),
    "bank reconcile": ("/api/bank/reconcile?account=current&as_of=2025-03-31",
                       ["bank", "reconcile", "--account", "current", "--as-of", "2025-03-31"]),
    "bank rules": ("/api/bank/rules?account=current", ["bank", "rules", "--account", "current"]),
    "bank rules payees": ("/api/bank/rules/payees?account=current", ["bank", "rules", "payees", "--account",
                                                                     "current"]),
    "bank unmatched": ("/api/bank/unmatched?as_of=2025-03-31", ["bank", "unmatched", "--as-of", "2025-03-31"]),
    "coop show": ("/api/coop/show/riverside?as_of=2025-03-31", ["coop", "show", "riverside", "--as-of",
                                                                "2025-03-31"]),
    "dwelling show": ("/api/dwelling/show/flat1?as_of=2025-03-31", ["dwelling", "show", "flat1", "--as-of",
                                                                    "2025-03-31"]),
    "fund forecast": ("/api/fund/forecast/app6?years=3&as_of=2010-01-01",
                      ["fund", "forecast", "app6", "--years", "3", "--as-of", "2010-01-01"]),
    "fund releases": ("/api/fund/releases?through=2010-01-01", ["fund", "releases", "--through", "2010-01-01"]),
    "fund show": ("/api/fund/show/app6?as_of=2010-01-01", ["fund", "show", "app6", "--as-of", "2010-01-01"]),
    "jak settle": ("/api/jak/settle?through=2010-01-01&fund=app6", ["jak", "settle", "--through", "2010-01-01",
                                                                    "--fund", "app6"]),
    "loan quote": ("/api/loan/quote?amount=5000.00&months=24&fund=app6&on=2010-01-01",
                   ["loan", "quote", "--amount", "5000.00", "--months", "24", "--fund", "app6", "--on",
                    "2010-01-01"]),
    "loan show": ("/api/loan/show/r01-1?as_of=2010-01-01", ["loan", "show", "r01-1", "--as-of", "2010-01-01"]),
    "log": ("/api/log?member=alice&limit=25&reverse=true", ["log", "--member", "alice", "--limit", "25",
                                                            "--reverse"]),
    "member show": ("/api/member/show/alice?as_of=2025-03-31&as_known_at=2030-01-01T00:00:00Z",
                    ["member", "show", "alice", "--as-of", "2025-03-31", "--as-known-at", "2030-01-01T00:00:00Z"]),
    "period list": ("/api/period/list/riverside", ["period", "list", "riverside"]),
    "person show": ("/api/person/show/alice", ["person", "show", "alice"]),
    "register": ("/api/register/riverside?as_of=2025-03-31", ["register", "riverside", "--as-of", "2025-03-31"]),
    "savings show": ("/api/savings/show/r01?as_of=2010-01-01", ["savings", "show", "r01", "--as-of", "2010-01-01"]),
    "verify": ("/api/verify", ["verify"]),
}


def test_every_query_the_api_mirrors_has_a_question_here():
    assert sorted(s.name for s in api_commands() if s.query) == sorted(QUESTIONS)


@pytest.mark.parametrize("command", sorted(QUESTIONS))
def test_a_query_answers_the_same_bytes_as_the_cli_json(shared_books, shared_client, command):
    head = shared_books.store().head()
    url, argv = QUESTIONS[command]
    fill = {"{head}": str(head.position), "{hash}": head.hash}
    for key, value in fill.items():
        url = url.replace(key, value)
    argv = [fill.get(a, a) for a in argv]
    login(shared_client, "treasurer" if command in ("person show", "audit digest") else "auditor")

    answer = shared_client.get(url)
    cli_ran = CliRunner().invoke(cli, ["--db", shared_books.url, *argv, "--json"])

    if cli_ran.exit_code == 0:
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == cli_ran.stdout_bytes
    else:
        assert answer.status_code in (400, 404)
        assert answer.json() == {"error": cli_ran.stderr.strip().removeprefix("error: ")}


def test_a_member_reads_their_own_position_as_the_cli_prints_it(shared_books, shared_client):
    login(shared_client, "member", member="alice")
    answer = shared_client.get("/api/member/show/alice?as_of=2025-03-31")
    cli_ran = CliRunner().invoke(cli, ["--db", shared_books.url, "member", "show", "alice", "--as-of", "2025-03-31",
                                       "--json"])
    assert answer.content == cli_ran.stdout_bytes
    assert orjson.loads(answer.content)["dwelling"] == "flat1"


def test_a_member_asking_for_bob_is_told_not_found(shared_client):
    login(shared_client, "member", member="alice")
    for url in ("/api/member/show/bob", "/api/savings/show/bob", "/api/arrangement/show/bob",
                "/api/coop/show/riverside", "/api/log"):
        answer = shared_client.get(url)
        assert answer.status_code == 404, url
        assert "bob" not in answer.text and "riverside" not in answer.text


def test_an_unknown_member_is_not_found_in_the_ledgers_words(shared_client):
    login(shared_client, "clerk")
    answer = shared_client.get("/api/member/show/nobody")
    assert answer.status_code == 404
    assert answer.json() == {"error": "member nobody: no such member in the books"}


def test_no_session_gets_401_from_every_query(shared_client):
    shared_client.cookies.clear()
    answer = shared_client.get("/api/member/show/alice")
    assert answer.status_code == 401
    assert answer.json() == {"error": "not logged in"}
