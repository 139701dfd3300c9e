"""The same log on SQLite and on PostgreSQL gives byte-identical --json for every projection."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from cli.output import dumps
from tests.conftest import PG_URL, fresh_backend

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EVENTS = int(os.environ.get("MUTUAL_DETERMINISM_EVENTS", "100000"))


def _log() -> list[bytes]:
    from benchmarks.queries import generate

    lines, _ = generate(EVENTS)
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        lines += [line for line in (EXAMPLES / name).read_bytes().splitlines() if line.strip()]
    return lines


def _every_projection(store, one_pass: bool = False) -> bytes:
    """Every query's JSON, as the CLI prints it, for every member, dwelling, co-op, society, holder, loan, fund.

    Through the per-stream query path, or (one_pass) folded from a single pass over the log as an audit does.
    """
    from projections import coop as coop_views, fund as fund_side
    from projections.books import books, societies
    from projections.view import LedgerView, ReplayView
    from ledger.errors import NotFound

    view = ReplayView(store.read()) if one_pass else LedgerView(store)
    out: list[str] = []
    days = [date(2005, 6, 30), date(2025, 3, 31), date(2040, 1, 1)]

    def show(name, func, source, *args):
        label = " ".join([name, *map(str, args)])
        try:
            out.append(f"{label} " + dumps(func(source, *args)))
        except NotFound as exc:
            out.append(f"{label} not found: {exc}")

    members = sorted({e.payload["member_id"] for e in view.of_type("MemberAdmitted")})
    dwellings = sorted({e.payload["dwelling_id"] for e in view.of_type("DwellingRegistered")})
    named = societies(view)
    for day in days:
        for member in members:
            show("member", coop_views.member_show, view, member, day)
        for dwelling in dwellings:
            show("dwelling", coop_views.dwelling_show, view, dwelling, day)
        for coop in named["coop"]:
            show("coop", coop_views.coop_show, view, coop, day)
            show("register", coop_views.register_show, view, coop, day)
        for fund in named["fund"]:
            show("fund", fund_side.fund, view, fund, day)
        reader = view
        index = fund_side.FundIndex(reader)
        for holder in sorted({p["holder_id"] for p in index.accounts.values()}):
            show("holder", lambda *a: fund_side.holder(*a).to_json(), reader, holder, day)
        for loan in sorted(index.loans):
            show("loan", lambda *a: fund_side.loan(*a).to_json(), reader, loan, day)
        show("books", books, view, day)
    for fund in named["fund"]:
        show("forecast", fund_side.forecast, view, fund, 6)
    return "\n".join(out).encode()


@pytest.mark.slow
def test_the_same_log_gives_byte_identical_json_on_sqlite_and_postgresql(tmp_path):
    if not PG_URL:
        pytest.skip("needs MUTUAL_TEST_POSTGRES_URL")
    import orjson

    from ledger.store.mapper import to_envelope

    lines = _log()
    outputs = {}
    for name in ("sqlite", "postgresql"):
        with fresh_backend(name, tmp_path) as backend:
            store = backend.store()
            store.import_lines(lines, default_actor="determinism")
            # the same log, recorded times and all: the second engine imports the first's export
            lines = [orjson.dumps(to_envelope(e)) for e in store.read()]
            outputs[name] = (store.head(), _every_projection(store), _every_projection(store, one_pass=True))
    sqlite, postgres = outputs["sqlite"], outputs["postgresql"]
    assert sqlite[1] == sqlite[2], "the query path and a one-pass replay disagree on SQLite"
    assert postgres[1] == postgres[2], "the query path and a one-pass replay disagree on PostgreSQL"
    assert sqlite[0].hash == postgres[0].hash
    assert sqlite[1] == postgres[1]
    assert len(sqlite[1]) > 100_000
