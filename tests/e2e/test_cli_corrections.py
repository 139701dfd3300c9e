"""`mutual correct` and `mutual period close|list` through the command line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import orjson
from click.testing import CliRunner

from cli.main import cli
from tests.equity_fixtures import received
from tests.integration.test_equity_projections import small_coop


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def _books(backend):
    lines = small_coop() + [received("p1", D("200"), date(2012, 2, 3), "BACS-1"),
                            received("p1", D("300"), date(2012, 3, 3), "BACS-2")]
    recorded = run(backend, "record", "-", "--actor", "clerk", input="\n".join(orjson.dumps(x).decode() for x in lines))
    assert recorded.exit_code == 0, recorded.output
    log = json.loads(run(backend, "log", "--type", "PaymentReceived", "--json").output)
    return [e["position"] for e in log]


def member(backend):
    return json.loads(run(backend, "member", "show", "p1", "--as-of", "2012-06-01", "--json").output)


def test_correct_reverses_a_payment_and_member_show_lists_the_correction(backend):
    first, second = _books(backend)
    done = run(backend, "correct", str(first), "--reason", "bank returned it", "--actor", "treasurer", "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["reversed_position"] == first and result["stream"] == "member-p1" and result["written"] == 1
    shown = member(backend)
    assert shown["payments_received"] == "300.00"
    assert shown["corrections"][0]["reason"] == "bank returned it" and shown["corrections"][0]["actor"] == "treasurer"
    plain = run(backend, "correct", str(second), "--reason", "wrong amount", "--replacement-type", "PaymentReceived",
                "--replacement-payload", '{"member_id": "p1", "amount": "30", "period": "2012-03", '
                                         '"bank_reference": "BACS-2"}')
    assert plain.exit_code == 0 and "replaced by a PaymentReceived" in plain.output
    assert member(backend)["payments_received"] == "30.00"


def test_correcting_twice_is_refused_on_stderr_and_writes_nothing(backend):
    first, _ = _books(backend)
    assert run(backend, "correct", str(first), "--reason", "returned").exit_code == 0
    head = json.loads(run(backend, "verify", "--json").output)["head_position"]
    again = CliRunner().invoke(cli, ["--db", backend.url, "correct", str(first), "--reason", "again"])
    assert again.exit_code == 1 and "already reversed" in again.stderr
    assert json.loads(run(backend, "verify", "--json").output)["head_position"] == head


def test_a_bad_replacement_payload_names_the_option_or_the_field(backend):
    first, _ = _books(backend)
    not_json = CliRunner().invoke(cli, ["--db", backend.url, "correct", str(first), "--reason", "x",
                                        "--replacement-type", "PaymentReceived", "--replacement-payload", "{oops"])
    assert not_json.exit_code == 2 and "--replacement-payload" in not_json.output
    bad = CliRunner().invoke(cli, ["--db", backend.url, "correct", str(first), "--reason", "x",
                                   "--replacement-type", "PaymentReceived", "--replacement-payload",
                                   '{"member_id": "p1", "amount": "-", "period": "2012-02", "bank_reference": "B"}'])
    assert bad.exit_code == 1 and "replacement_payload.amount" in bad.stderr


def test_period_close_then_list_and_a_late_payment_needs_an_adjustment(backend):
    _books(backend)
    too_soon = CliRunner().invoke(cli, ["--db", backend.url, "period", "close", "coop1", "--start", "2012-01-01",
                                        "--end", "2012-12-31"])
    assert too_soon.exit_code == 1 and "run `mutual accrue --through 2012-12-31` first" in too_soon.stderr
    assert run(backend, "accrue", "--through", "2012-12-31").exit_code == 0
    closed = run(backend, "period", "close", "coop1", "--start", "2012-01-01", "--end", "2012-12-31",
                 "--actor", "treasurer")
    assert closed.exit_code == 0 and "closed 2012-01-01 to 2012-12-31 of coop1" in closed.output
    listed = json.loads(run(backend, "period", "list", "coop1", "--json").output)
    assert [(p["start"], p["end"], p["actor"]) for p in listed] == [("2012-01-01", "2012-12-31", "treasurer")]
    assert "2012-12-31" in run(backend, "period", "list", "coop1").output
    overlap = CliRunner().invoke(cli, ["--db", backend.url, "period", "close", "coop1", "--start", "2012-06-01",
                                       "--end", "2013-05-31"])
    assert overlap.exit_code == 1 and "overlaps" in overlap.stderr
    late = orjson.dumps(received("p1", D("75"), date(2012, 11, 5), "LATE")).decode()
    refused = CliRunner().invoke(cli, ["--db", backend.url, "record", "-"], input=late)
    assert refused.exit_code == 1 and "closed period 2012-01-01 to 2012-12-31" in refused.stderr
    line = received("p1", D("75"), date(2012, 11, 5), "LATE")
    line["metadata"].update(adjustment="prior-period", reason="statement came late")
    assert run(backend, "record", "-", input=orjson.dumps(line).decode()).exit_code == 0
    first = str(json.loads(run(backend, "log", "--type", "PaymentReceived", "--json").output)[0]["position"])
    reverse_in_closed = CliRunner().invoke(cli, ["--db", backend.url, "correct", first, "--reason", "returned"])
    assert reverse_in_closed.exit_code == 1 and "closed period" in reverse_in_closed.stderr
    assert "pass --prior-period" in reverse_in_closed.stderr  # the advice `correct` can follow
    assert "metadata adjustment" in refused.stderr  # the advice `record` can follow
    adjusted = run(backend, "correct", first, "--reason", "returned, found at audit", "--prior-period", "--json")
    assert adjusted.exit_code == 0, adjusted.output
    assert member(backend)["corrections"][0]["prior_period_adjustment"] is True


def test_loan_show_lists_a_corrected_instalment(backend):
    from ledger.commands import fund as fund_commands
    from tests.fund_fixtures import ACTOR, fund_with_policy, member_account, run_loan

    store = backend.store()
    fund_with_policy(store)
    member_account(store, "saver")
    fund_commands.deposit(store, "saver-jak", D("20000"), on=date(2024, 1, 1), actor=ACTOR)
    run_loan(store, "L1", "m1", member_account(store, "m1"), "1200", 12, date(2024, 2, 1), pay_months=2)
    last = [e.position for e in store.read(stream="loan-L1", type="InstalmentReceived")][-1]
    assert "corrections" not in json.loads(run(backend, "loan", "show", "L1", "--as-of", "2024-05-01", "--json").output)
    assert run(backend, "correct", str(last), "--reason", "bounced").exit_code == 0
    shown = json.loads(run(backend, "loan", "show", "L1", "--as-of", "2024-05-01", "--json").output)
    assert shown["instalments_received"] == 1
    assert [(c["reversed_position"], c["reason"]) for c in shown["corrections"]] == [(last, "bounced")]
    assert "bounced" in run(backend, "loan", "show", "L1", "--as-of", "2024-05-01").output
