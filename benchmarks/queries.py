"""Member-query benchmark on a secondary co-op's books.

    python -m benchmarks.queries --events 1000000 [--db URL] [--queries 500]

Generates a secondary co-op: up to 100 primary co-ops and 2,000 members, 20
members to a co-op, each with 30 years of monthly dues and payments, yearly
debt-share postings, payment indexation and reserve transfers (about 780
events on each member's stream); fewer members when --events asks for fewer
events. Imports it, then times `member show` (a fresh LedgerView each time,
so nothing is cached between queries) for random members at random dates,
and a rebuild: every member's position folded from one pass over the whole
log. Prints one JSON object with events, p50_ms, p95_ms, rebuild_per_s.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections import defaultdict
from datetime import date, timedelta

import click
import orjson

from benchmarks.common import fresh_store, timed
from ledger.calendar import add_months
from ledger.store import EventStore
from ledger.store.engine import make_engine

YEARS = 30
MEMBERS_PER_COOP = 20
MAX_MEMBERS = 2000
START = date(1995, 1, 1)
PER_MEMBER = 2 + YEARS * 12 * 2 + YEARS + (YEARS - 1) + YEARS  # stream events + reserve transfers


def _p(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def _env(stream, type_, on, payload, key, out):
    out.append(orjson.dumps({"stream": stream, "type": type_, "effective_date": on.isoformat(), "payload": payload,
                             "metadata": {"actor": "bench"}, "idempotency_key": key}))


def opening(coops: int, out: list[bytes]) -> None:
    """What the books hold before any member: the RPI index's years, and each co-op registered with its resale
    formula and payment indexation policy (`generate` here and benchmarks/generate.py `federation`)."""
    for year in range(START.year - 1, START.year + YEARS + 3):
        value = 100 * 1.03 ** (year - START.year + 1)
        _env("index-RPI", "IndexValuePublished", date(year, 1, 1),
             {"series": "RPI", "period": str(year), "value": f"{value:.6f}"}, f"idx-{year}", out)
    for c in range(coops):
        coop = f"c{c:03d}"
        _env(f"society-{coop}", "SocietyRegistered", START - timedelta(days=365),
             {"society_id": coop, "kind": "coop", "name": f"Co-op {c}", "clt_id": None}, f"reg-{coop}", out)
        _env(f"society-{coop}", "ResaleFormulaSet", START - timedelta(days=365),
             {"coop_id": coop, "deduction": "0.1", "appreciation_cap": None, "minimum_tenure_years": 3,
              "valuation_basis": "valuation", "index_series": None}, f"resale-{coop}", out)
        _env(f"society-{coop}", "PaymentIndexationPolicySet", START - timedelta(days=365),
             {"coop_id": coop, "series": "RPI", "margin": "0.005", "floor_at_zero": True}, f"pix-{coop}", out)


def member_years(rng: random.Random, coop: str, member: str, dwelling: str, on: date, out: list[bytes]) -> None:
    """One member's thirty years (admission, dues, payments, indexation, mortgage years, the dwelling's revaluations,
    the co-op's reserve transfers) appended to `out`: `generate` here and benchmarks/generate.py `federation`."""
    value = rng.randrange(120_000, 260_000) * 100
    clt = rng.randrange(150, 260)
    deposit = value * 4 // 100
    debt = value * (1000 - clt) // 1000 - deposit
    _env(f"dwelling-{dwelling}", "DwellingRegistered", START - timedelta(days=30),
         {"dwelling_id": dwelling, "coop_id": coop, "value": _p(value), "units": "1000", "clt_units": str(clt)},
         f"dw-{dwelling}", out)
    _env(f"dwelling-{dwelling}", "ChargesBudgetSet", START - timedelta(days=30),
         {"dwelling_id": dwelling, "management": "150.00", "maintenance": "60.00", "insurance": "60.00",
          "services": "110.00", "sinking_fund": "95.00"}, f"ch-{dwelling}", out)
    salary = rng.randrange(16_000, 30_000)
    annual = salary * 32  # pence: 32% of net salary in pounds
    _env(f"member-{member}", "MemberAdmitted", on,
         {"member_id": member, "coop_id": coop, "dwelling_id": dwelling, "net_salary": f"{salary}.00",
          "payment_rate": "0.32", "deposit": _p(deposit), "debt_share": _p(debt), "mortgage_id": None},
         f"adm-{member}", out)
    _env(f"member-{member}", "ShareCapitalBought", on,
         {"member_id": member, "society_id": coop, "amount": "1"}, f"sh-{member}", out)
    mortgage_payment = debt * 5 // 100
    for year in range(1, YEARS + 1):
        year_start = on.replace(year=on.year + year - 1)
        if year > 1:
            annual = annual * 1035 // 1000
            _env(f"member-{member}", "PaymentIndexed", year_start,
                 {"member_id": member, "period": str(year_start.year), "index_change": "0.03",
                  "annual_payment": _p(annual)}, f"pi-{member}-{year}", out)
            value = value * 1035 // 1000
            _env(f"dwelling-{dwelling}", "DwellingRevalued", year_start,
                 {"dwelling_id": dwelling, "value": _p(value), "basis": "valuation", "index_series": None},
                 f"rv-{dwelling}-{year}", out)
        for month in range(12):
            due_on = add_months(year_start, month)
            part = annual * (month + 1) // 12 - annual * month // 12
            period = f"{due_on.year}-{due_on.month:02d}"
            _env(f"member-{member}", "PaymentDue", due_on,
                 {"member_id": member, "period": period, "amount": _p(part), "charges": "39.58"},
                 f"due-{member}-{year}-{month}", out)
            paid = part if rng.random() > 0.03 else part // 2
            _env(f"member-{member}", "PaymentReceived", due_on + timedelta(days=rng.randrange(0, 5)),
                 {"member_id": member, "amount": _p(max(paid, 1)), "period": period,
                  "bank_reference": f"BACS-{member}-{year}-{month}"}, f"rcv-{member}-{year}-{month}", out)
        year_end = on.replace(year=on.year + year) - timedelta(days=1)
        interest = debt * 2 // 100
        pay = min(mortgage_payment, debt + interest)
        indexation = (debt + interest - pay) * 3 // 100
        closing = debt + interest - pay + indexation
        _env(f"member-{member}", "MortgageYearPosted", year_end,
             {"year": year, "opening_debt": _p(debt), "interest": _p(interest), "payment": _p(pay),
              "indexation": _p(indexation), "closing_debt": _p(closing), "index_rate": "0.03", "equity_stake": "0"},
             f"my-{member}-{year}", out)
        reserve = _p(max(annual - pay - 47500, 0)) if annual > pay + 47500 else "-" + _p(pay + 47500 - annual)
        _env(f"society-{coop}", "ReserveTransferred", year_end,
             {"coop_id": coop, "amount": reserve, "purpose": f"member {member} year {year}"},
             f"rt-{member}-{year}", out)
        debt = closing
        mortgage_payment = mortgage_payment * 103 // 100


def generate(events: int, seed: int = 11) -> tuple[list[bytes], list[tuple[str, date]]]:
    """Envelopes of the secondary co-op, and (member, admission date) for every member."""
    rng = random.Random(seed)
    members = max(1, min(MAX_MEMBERS, events // PER_MEMBER))
    coops = max(1, (members + MEMBERS_PER_COOP - 1) // MEMBERS_PER_COOP)
    out: list[bytes] = []
    admitted: list[tuple[str, date]] = []
    opening(coops, out)
    for m in range(members):
        coop = f"c{m // MEMBERS_PER_COOP:03d}"
        member, dwelling = f"m{m:05d}", f"d{m:05d}"
        on = START + timedelta(days=rng.randrange(0, 365))
        admitted.append((member, on))
        member_years(rng, coop, member, dwelling, on, out)
    return out, admitted


@click.command()
@click.option("--events", default=1_000_000, show_default=True, help="About how many events to generate.")
@click.option("--queries", default=500, show_default=True, help="How many member queries to time.")
@click.option("--db", default=None,
              help="A PostgreSQL URL (a schema is created and dropped); default: a temporary SQLite file.")
@click.option("--seed", default=11, show_default=True)
def main(events: int, queries: int, db: str | None, seed: int) -> None:
    from ledger.coop.member import admission_of, member_position
    from projections.coop import member_show
    from projections.view import LedgerView

    lines, admitted = generate(events, seed)
    rng = random.Random(seed)
    with fresh_store(db) as (store, _where):
        with timed() as imported:
            result = store.import_lines(lines, default_actor="bench")
        del lines
        # Query as a fresh `mutual` process would: a new connection on the ledger just written.
        gc.collect()
        if store.engine.dialect.name == "sqlite":
            url = store.engine.url.render_as_string(hide_password=False)
            store.engine.dispose()
            store = EventStore(make_engine(url))
        samples = []
        checked = []
        for _ in range(queries):
            member, on = rng.choice(admitted)
            as_of = on + timedelta(days=rng.randrange(0, YEARS * 365))
            start = time.perf_counter()
            answer = member_show(LedgerView(store), member, as_of)
            samples.append((time.perf_counter() - start) * 1000)
            if len(checked) < 20:
                checked.append((member, as_of, answer))
        samples.sort()
        # Rebuild: one pass over the whole log, every member's position folded at the end date.
        with timed() as rebuild:
            streams: dict[str, list] = defaultdict(list)
            count = 0
            for event in store.read():
                streams[event.stream].append(event)
                count += 1
            end = START + timedelta(days=(YEARS + 2) * 365)
            for member, _ in admitted:
                mev = streams[f"member-{member}"]
                adm = admission_of(mev)
                member_position(mev, streams[f"dwelling-{adm.dwelling_id}"], streams[f"society-{adm.coop_id}"], end)
        same = all(
            member_position(streams[f"member-{m}"], streams[f"dwelling-d{m[1:]}"],
                              streams[f"society-{admission_of(streams[f'member-{m}']).coop_id}"], d).to_json() == a
            for m, d, a in checked)
        report = {
            "engine": "sqlite" if db is None or db.startswith("sqlite") else "postgresql",
            "events": result.written,
            "members": len(admitted),
            "coops": len({admission_of(streams[f"member-{m}"]).coop_id for m, _ in admitted}),
            "events_per_member_stream": round(statistics.mean(len(streams[f"member-{m}"]) for m, _ in admitted)),
            "import_s": round(imported["seconds"], 2),
            "queries": queries,
            "p50_ms": round(samples[len(samples) // 2], 2),
            "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 2),
            "max_ms": round(samples[-1], 2),
            "rebuild_s": round(rebuild["seconds"], 2),
            "rebuild_per_s": round(count / rebuild["seconds"]),
            "rebuild_matches_queries": same,
        }
        if store.engine.dialect.name == "sqlite":
            store.engine.dispose()
    click.echo(orjson.dumps(report, option=orjson.OPT_SORT_KEYS).decode())


if __name__ == "__main__":
    main()
