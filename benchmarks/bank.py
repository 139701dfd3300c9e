"""Bank statement benchmark: a secondary co-op's month at the bank.

    python -m benchmarks.bank [--lines 10000] [--members 2000] [--db URL]

Sets up a secondary co-op of 100 primary co-ops and 2,000 members (each admitted to a dwelling, with April's due),
and a matching rule on the account. Then times, on the store as a clerk runs it:
  * import_match_s: a --lines camt.053.001.02 statement (standing orders `SO-<member>-2025-04`, every 50th line
    a payment no rule matches, every 200th a debit) parsed, every line recorded once and every credit matched as
    its member's PaymentReceived through the record checks, in one transaction;
  * reconcile_s: the reconciliation on the statement's last day;
  * reimport_s: the same statement imported again (nothing is written).
Prints one JSON object. Targets on SQLite on the project's machine: import, match and reconcile <= 10 s,
re-import <= 2 s.
"""

from __future__ import annotations

import time
from datetime import date

import click
import orjson

from benchmarks.common import fresh_store
from ledger.bank import samples
from ledger.commands import bank
from ledger.source import StoreSource
from projections.bank import reconcile

ACCOUNT = "secondary-current"
RULE = r"SO-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}"
COOPS = 100


def _env(stream: str, type_: str, on: str, payload: dict[str, object]) -> bytes:
    return orjson.dumps({"stream": stream, "type": type_, "effective_date": on, "payload": payload,
                         "metadata": {"actor": "bench"}})


def secondary_coop(members: int) -> tuple[list[bytes], list[str]]:
    """The envelopes of a secondary co-op's members (admitted 2024-01-01, April 2025 due), and their ids."""
    lines = [_env("society-clt", "SocietyRegistered", "2020-01-01",
                  {"society_id": "clt", "kind": "clt", "name": "Bench CLT", "clt_id": None})]
    for c in range(COOPS):
        lines.append(_env(f"society-c{c:03d}", "SocietyRegistered", "2020-01-01",
                          {"society_id": f"c{c:03d}", "kind": "coop", "name": f"Co-op {c}", "clt_id": "clt"}))
    ids = []
    for m in range(members):
        member, dwelling, coop = f"m{m:05d}", f"d{m:05d}", f"c{m % COOPS:03d}"
        ids.append(member)
        lines.append(_env(f"dwelling-{dwelling}", "DwellingRegistered", "2020-01-01",
                          {"dwelling_id": dwelling, "coop_id": coop, "value": "150000", "units": "1000",
                           "clt_units": "200"}))
        lines.append(_env(f"member-{member}", "MemberAdmitted", "2024-01-01",
                          {"member_id": member, "coop_id": coop, "dwelling_id": dwelling, "net_salary": "24000",
                           "payment_rate": "0.33", "deposit": "6000", "debt_share": "110000"}))
        lines.append(_env(f"member-{member}", "PaymentDue", "2025-04-01",
                          {"member_id": member, "period": "2025-04", "amount": "660.00", "charges": "40.00"}))
    return lines, ids


def run_once(url: str | None, lines: int, members: int) -> dict[str, object]:
    envelopes, ids = secondary_coop(members)
    statement = samples.large_statement(lines, ids)
    data = samples.camt053(statement)
    with fresh_store(url) as (store, _):
        store.import_lines(envelopes)
        bank.set_rule(store, ACCOUNT, "standing-orders", RULE, None, actor="bench")
        head = store.head().position
        start = time.perf_counter()
        first = bank.import_statement(store, data, ACCOUNT, actor="bench")
        imported = time.perf_counter()
        report = reconcile(StoreSource(store), ACCOUNT, statement.end, lambda ids: bank.line_names(store, ids))
        reconciled = time.perf_counter()
        before = store.head()
        again = bank.import_statement(store, data, ACCOUNT, actor="bench")
        reimported = time.perf_counter()
        assert store.head() == before and again.written == 0
        return {
            "lines": lines, "members": members, "bytes": len(data), "setup_events": head,
            "events_written": first.written, "matched": len(first.matched),
            "unmatched_left": first.unmatched_left, "differences": len(report["differences"]),
            "balance_gap": next((str(d["amount"]) for d in report["differences"] if d["kind"] == "balance-gap"), "0"),
            "import_match_s": round(imported - start, 3), "reconcile_s": round(reconciled - imported, 3),
            "import_match_reconcile_s": round(reconciled - start, 3), "reimport_s": round(reimported - reconciled, 3),
            "reimport_written": again.written,
        }


@click.command()
@click.option("--lines", default=10_000, show_default=True, help="Lines on the statement.")
@click.option("--members", default=2_000, show_default=True, help="Members of the secondary co-op.")
@click.option("--db", default=None, help="A PostgreSQL URL (default: a temporary SQLite file).")
def main(lines: int, members: int, db: str | None) -> None:
    result = run_once(db, lines, members)
    result["engine"] = "postgresql" if db and db.startswith("postgres") else "sqlite"
    result["as_of"] = date.today().isoformat()
    click.echo(orjson.dumps(result, option=orjson.OPT_SORT_KEYS).decode())


if __name__ == "__main__":
    main()
