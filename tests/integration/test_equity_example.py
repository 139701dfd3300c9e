"""The example books: importing them shows real positions, and a rebuild from the log gives the same answers."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from cli.output import dumps
from ledger.coop.member import admission_of, member_position
from ledger.coop.mortgage import drawn_by_coop, schedule_of
from projections.coop import coop_show, member_show
from projections.view import LedgerView

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"


def test_the_readme_run_command_shows_a_real_member_position(backend):
    runner = CliRunner()
    imported = runner.invoke(cli, ["--db", backend.url, "import", str(EXAMPLE), "--json"], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    shown = runner.invoke(cli, ["--db", backend.url, "member", "show", "alice", "--as-of", "2025-03-31", "--json"],
                          catch_exceptions=False)
    alice = json.loads(shown.output)
    assert alice["status"] == "member" and alice["mortgage_years_posted"] == 10
    assert D(alice["units"]["member"]) > 40 and D(alice["payout_if_leaving"]) > 0
    assert alice["arrears"] == "0.00" and alice["share_capital"] == "501.00"
    bob = json.loads(runner.invoke(cli, ["--db", backend.url, "member", "show", "bob", "--as-of", "2022-01-01",
                                         "--json"]).output)
    assert bob["status"] == "left" and D(bob["payout_detail"]["paid_out"]) > 0 and bob["payout_if_leaving"] == "0.00"


def test_a_rebuild_from_one_pass_over_the_log_gives_the_same_answers_as_the_per_stream_view(backend, new_backend):
    store = backend.store()
    store.import_lines(EXAMPLE.read_bytes().splitlines(), default_actor="test")
    streams: dict[str, list] = defaultdict(list)
    for event in store.read():
        streams[event.stream].append(event)
    view = LedgerView(store)
    for member in ("alice", "bob", "carol", "dan"):
        adm = admission_of(streams[f"member-{member}"])
        for on in (date(2016, 12, 31), date(2019, 6, 30), date(2021, 10, 1), date(2025, 3, 31)):
            if on < adm.admitted_on:
                continue
            drawn = [e for stream in streams.values() for e in stream if e.type == "CollectiveMortgageDrawn"]
            schedule = schedule_of(adm, drawn_by_coop(drawn).get(adm.coop_id, {}), streams.__getitem__)
            rebuilt = member_position(streams[f"member-{member}"], streams[f"dwelling-{adm.dwelling_id}"],
                                        streams[f"society-{adm.coop_id}"], on, schedule).to_json()
            assert dumps(rebuilt) == dumps(member_show(view, member, on)), (member, on)
    # and a ledger rebuilt from an export gives the same bytes
    other = new_backend(backend.name).store()
    other.import_lines(CliRunner().invoke(cli, ["--db", backend.url, "export"]).output.splitlines())
    for on in (date(2018, 1, 1), date(2025, 3, 31)):
        assert dumps(coop_show(LedgerView(other), "riverside", on)) == dumps(coop_show(view, "riverside", on))
