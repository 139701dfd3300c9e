"""`mutual arrears` and `mutual arrangement` as a housing officer runs them, on both engines."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


def run(backend, *args):
    return CliRunner(env={"MUTUAL_ACTOR": "officer"}).invoke(cli, ["--db", backend.url, *args])


def ok(backend, *args):
    result = run(backend, *args)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def imported(backend):
    ok(backend, "import", str(EXAMPLE))
    return backend


def test_the_arrears_table_lists_the_months_compactly_with_buckets_and_the_total(backend):
    out = ok(imported(backend), "arrears", "--coop", "riverside", "--as-of", "2020-06-30").output
    assert "arrears of co-op riverside on 2020-06-30" in out
    assert "bob" in out and "2020-04 (part), 2020-05, 2020-06" in out and "£1,828.74" in out
    assert "0-30 days" in out and "90+ days" in out
    assert "1 member(s) in arrears, £1,828.74 outstanding" in out


def test_the_arrears_json_has_amounts_as_strings_and_agrees_with_member_show(backend):
    imported(backend)
    data = json.loads(ok(backend, "arrears", "--coop", "riverside", "--as-of", "2020-06-30", "--json").output)
    [bob] = data["members"]
    shown = json.loads(ok(backend, "member", "show", "bob", "--as-of", "2020-06-30", "--json").output)
    assert bob["outstanding"] == shown["arrears"] == data["outstanding"] == "1828.74"
    assert [m["period"] for m in bob["months"]] == ["2020-04", "2020-05", "2020-06"]
    assert bob["months"][0]["part_paid"] is True and isinstance(bob["months"][0]["outstanding"], str)
    assert set(bob["buckets"]) == {"0-30", "31-60", "61-90", "90+"}
    assert bob["arrangements"] == [] and bob["arrangement"] is None


def test_an_officer_agrees_an_arrangement_sees_it_on_track_then_broken(backend):
    imported(backend)
    agreed = ok(backend, "arrangement", "agree", "bob", "--amount", "150.00", "--from", "2020-07", "--months", "6",
                "--on", "2020-06-30", "--reason", "agreed at a home visit")
    assert "arrangement for bob agreed: 150.00 a month for 6 month(s) from 2020-07" in agreed.output
    again = ok(backend, "arrangement", "agree", "bob", "--amount", "150.00", "--from", "2020-07", "--months", "6",
               "--on", "2020-06-30", "--reason", "agreed at a home visit")
    assert "already recorded; nothing written" in again.output
    shown = json.loads(ok(backend, "arrangement", "show", "bob", "--as-of", "2020-07-15", "--json").output)
    [a] = shown["arrangements"]
    assert (a["state"], a["amount"], a["reason"]) == ("on track", "150.00", "agreed at a home visit")
    table = ok(backend, "arrangement", "show", "bob", "--as-of", "2020-07-15").output
    assert "on track (0/6 kept, next 2020-07)" in table
    report = json.loads(ok(backend, "arrears", "--coop", "riverside", "--as-of", "2021-03-01", "--json").output)
    [bob] = [r for r in report["members"] if r["member"] == "bob"]
    assert bob["arrangements"][0]["state"] == "broken"  # bob in the example never pays more than his dues
    broken = json.loads(ok(backend, "arrears", "--coop", "riverside", "--as-of", "2021-03-01", "--broken",
                           "--json").output)
    assert [r["member"] for r in broken["members"]] == ["bob"] and broken["broken_arrangements"] == 1
    assert "broken in" in ok(backend, "arrears", "--coop", "riverside", "--as-of", "2021-03-01", "--broken").output


def test_a_member_without_arrangements_is_said_so(backend):
    out = ok(imported(backend), "arrangement", "show", "alice", "--as-of", "2020-06-30").output
    assert "no arrangements agreed with alice by 2020-06-30" in out and "arrears £0.00: none" in out


def test_refusals_name_the_field_and_write_nothing(backend):
    imported(backend)
    head = json.loads(ok(backend, "verify", "--json").output)["head_position"]
    for args, said in [
        (("alice", "--amount", "50", "--from", "2020-07", "--months", "3", "--on", "2020-06-30"),
         "payload.member_id: member alice has no arrears on 2020-06-30"),
        (("bob", "--amount", "50", "--from", "2020-05", "--months", "3", "--on", "2020-06-30"),
         "payload.start_month: 2020-05 is before the month the arrangement is agreed in"),
        (("bob", "--amount", "0", "--from", "2020-07", "--months", "3"), "'0' must be more than zero"),
        (("bob", "--amount", "-5", "--from", "2020-07", "--months", "3"), "--amount"),
        (("bob", "--amount", "50", "--from", "2020-13", "--months", "3"), "'2020-13' is not a month YYYY-MM"),
        (("bob", "--amount", "50", "--from", "2020-07", "--months", "0"), "--months"),
        (("nobody", "--amount", "50", "--from", "2020-07", "--months", "3", "--on", "2020-06-30"), "nobody"),
    ]:
        result = run(backend, "arrangement", "agree", *args)
        assert result.exit_code != 0 and said in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output + result.stderr
    assert json.loads(ok(backend, "verify", "--json").output)["head_position"] == head


def test_an_unknown_coop_or_a_date_before_it_is_a_clear_error(backend):
    imported(backend)
    unknown = run(backend, "arrears", "--coop", "nowhere", "--as-of", "2020-06-30")
    assert unknown.exit_code == 1 and "society nowhere" in unknown.stderr
    early = run(backend, "arrears", "--coop", "riverside", "--as-of", "2010-01-01")
    assert early.exit_code == 1 and "did not exist on 2010-01-01" in early.stderr
