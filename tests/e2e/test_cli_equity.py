"""The `mutual` commands of the co-op: record, accrue, member/dwelling/coop show, register."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import orjson
from click.testing import CliRunner

from cli.main import cli
from tests.equity_fixtures import ev, revalue
from tests.integration.test_equity_projections import small_coop


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def lines(events) -> str:
    return "\n".join(orjson.dumps(e).decode() for e in events) + "\n"


def test_record_then_show_member_dwelling_coop_and_register(backend):
    recorded = run(backend, "record", "-", "--json", input=lines(small_coop() + [revalue("d1", "110000", date(2012, 1, 1))]))
    assert recorded.exit_code == 0, recorded.output
    member = run(backend, "member", "show", "p1", "--as-of", "2012-06-01", "--json")
    assert member.exit_code == 0, member.output
    data = json.loads(member.output)
    assert data["payout_if_leaving"] == "12400.00"
    assert set(data["units"]) == {"clt", "member", "financed", "total"}
    for key in ("unit_value", "debt_share", "principal_repaid", "gross_equity", "arrears", "payments_due",
                "payments_received", "share_capital"):
        assert key in data
    dwelling = json.loads(run(backend, "dwelling", "show", "d1", "--as-of", "2012-06-01", "--json").output)
    assert dwelling["occupant"] == "p1" and dwelling["value"] == "110000.00"
    coop = json.loads(run(backend, "coop", "show", "coop1", "--as-of", "2012-06-01", "--json").output)
    for key in ("debt", "reserve", "charges_collected", "charges_budget", "members"):
        assert key in coop
    assert coop["members"] == ["p1"] and coop["debt"] == "63900.00"
    register = json.loads(run(backend, "register", "coop1", "--as-of", "2012-06-01", "--json").output)
    assert register["voting_members"] == ["p1"]
    table = run(backend, "member", "show", "p1", "--as-of", "2012-06-01")
    assert "payout_if_leaving" in table.output and "£12,400.00" in table.output  # (en_GB on the terminal)


def test_as_known_at_and_errors(backend):
    run(backend, "record", "-", input=lines(small_coop()))
    early = run(backend, "member", "show", "p1", "--as-of", "2012-06-01", "--as-known-at", "2000-01-01T00:00:00Z")
    assert early.exit_code == 1 and "no such member" in early.stderr
    before = CliRunner().invoke(cli, ["--db", backend.url, "member", "show", "p1", "--as-of", "2009-01-01"])
    assert before.exit_code == 1 and "not yet admitted" in before.stderr
    refused = CliRunner().invoke(cli, ["--db", backend.url, "record", "-"], input=lines([
        ev("member-p1", "EquityPaidOut", "2012-01-01", {"member_id": "p1", "amount": "1"})]))
    assert refused.exit_code == 1 and "only made to a member who has left" in refused.stderr


def test_accrue_twice_writes_nothing_new_and_json_is_the_same_on_every_engine(backend):
    run(backend, "record", "-", input=lines(small_coop()))
    first = json.loads(run(backend, "accrue", "--through", "2011-12-31", "--json").output)
    second = json.loads(run(backend, "accrue", "--through", "2011-12-31", "--json").output)
    assert second["written"] == 0
    out = run(backend, "member", "show", "p1", "--as-of", "2011-12-31", "--json").output
    assert json.loads(out)["payments_due"] == "12000.00" and first["by_type"]["PaymentDue"] == 24
