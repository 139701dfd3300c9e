"""Member statements benchmark: every member's statement of a co-op of N members for a year, as PDF.

    python -m benchmarks.statements [--members 2000] [--format pdf] [--engine chromium|weasyprint] [--workers N]
                                    [--db URL]

Sets up one co-op of N members (each admitted to a dwelling on 2024-01-01, with 2025's twelve dues and twelve
payments, one in ten paying short), then times `mutual statements`' own path (projections/documents/statement.py
`write_statements`: the books read once, the charts and PDFs rendered by worker processes) for 2025.
Prints one JSON object; `statements_per_second` is what benchmarks/outputs.py reports (wall clock), with the CPU
seconds each statement took (main process, workers and, with `--engine chromium`, the browser's processes, all
counted once they have ended: `RUSAGE_CHILDREN`) and the rate that gives on free cores. Target on the project's
machine: 2,000 PDFs in <= 120 s.

With `--engine chromium` the statements are printed twelve to a document and each document split into one PDF per
member (projections/documents/chromium.py `batch_html`, `split`). Measured on the project's 2-core machine, shared,
`flock /tmp/bench.lock nice -n 0 python -m benchmarks.statements --members 2000 --engine chromium`: 88.4 s and
94.4 s at load average 4.1 and 3.8, 0.077 and 0.082 CPU-s a statement (about 80 s on two free cores); 123.4 s and
120.6 s at load 4.9 and 5.0 (another test suite running). Before the batches: 0.138 CPU-s a statement, 155 s.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import date
from typing import Any

import click
import orjson

from benchmarks.common import fresh_store

COOP = "bench-coop"


def _env(stream: str, type_: str, on: str, payload: dict[str, object]) -> bytes:
    return orjson.dumps({"stream": stream, "type": type_, "effective_date": on, "payload": payload,
                         "metadata": {"actor": "bench"}})


def coop_of(members: int) -> list[bytes]:
    lines = [_env("society-bench-clt", "SocietyRegistered", "2020-01-01",
                  {"society_id": "bench-clt", "kind": "clt", "name": "Bench CLT", "clt_id": None}),
             _env(f"society-{COOP}", "SocietyRegistered", "2020-01-01",
                  {"society_id": COOP, "kind": "coop", "name": "Bench Co-op", "clt_id": "bench-clt"}),
             _env(f"society-{COOP}", "ResaleFormulaSet", "2020-01-01",
                  {"coop_id": COOP, "deduction": "0.10", "appreciation_cap": None, "minimum_tenure_years": 3,
                   "valuation_basis": "valuation", "index_series": None})]
    for m in range(members):
        member, dwelling = f"m{m:05d}", f"d{m:05d}"
        lines.append(_env(f"dwelling-{dwelling}", "DwellingRegistered", "2020-01-01",
                          {"dwelling_id": dwelling, "coop_id": COOP, "value": "150000", "units": "1000",
                           "clt_units": "200"}))
        lines.append(_env(f"member-{member}", "MemberAdmitted", "2024-01-01",
                          {"member_id": member, "coop_id": COOP, "dwelling_id": dwelling, "net_salary": "24000",
                           "payment_rate": "0.33", "deposit": "6000", "debt_share": "110000"}))
        for month in range(1, 13):
            period = f"2025-{month:02d}"
            lines.append(_env(f"member-{member}", "PaymentDue", f"{period}-01",
                              {"member_id": member, "period": period, "amount": "660.00", "charges": "40.00"}))
            paid = "600.00" if m % 10 == 0 else "660.00"
            lines.append(_env(f"member-{member}", "PaymentReceived", f"{period}-03",
                              {"member_id": member, "period": period, "amount": paid,
                               "bank_reference": f"SO-{member}-{period}"}))
    return lines


def statements_per_second(members: int = 2000, fmt: str = "pdf", workers: int | None = None,
                          url: str | None = None, engine: str = "weasyprint") -> dict[str, Any]:
    """Time every member's statement of a co-op of `members` for 2025 (the store set up first, not timed)."""
    from projections.documents.statement import StatementBooks, write_statements

    cores = os.cpu_count() or 1
    workers = workers or cores
    with fresh_store(url) as (store, _), tempfile.TemporaryDirectory() as folder:
        store.import_lines(coop_of(members))
        cpu_before = _cpu()
        before = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before_self = before.ru_utime + before.ru_stime
        descendants = Descendants()
        start = time.perf_counter()
        with descendants:
            books = StatementBooks.open(store, None)
            ids = books.members_of(COOP, date(2025, 1, 1), date(2025, 12, 31))
            paths = write_statements(books, ids, date(2025, 1, 1), date(2025, 12, 31), fmt, folder,
                                     workers=workers, engine=engine)
        seconds = time.perf_counter() - start
        me = resource.getrusage(resource.RUSAGE_SELF)
        cpu_rusage = _cpu() - cpu_before
        cpu_main = me.ru_utime + me.ru_stime - cpu_before_self
        cpu = cpu_main + descendants.seconds()
        size = sum(os.path.getsize(p) for p in paths)
    return {"statements": len(paths), "format": fmt, "engine": engine if fmt == "pdf" else None, "workers": workers,
            "seconds": round(seconds, 2),
            "statements_per_second": round(len(paths) / seconds, 2), "mean_bytes": size // max(len(paths), 1),
            "cpu_seconds_per_statement": round(cpu / max(len(paths), 1), 3),
            "cpu_seconds_per_statement_main_process": round(cpu_main / max(len(paths), 1), 3),
            "cpu_seconds_per_statement_rusage": round(cpu_rusage / max(len(paths), 1), 3),
            "per_second_on_free_cores": round(cores * len(paths) / cpu, 2) if cpu else None,
            "load_average_1m": round(os.getloadavg()[0], 2), "cores": os.cpu_count(),
            "target_2000_pdf_s": 120}


class Descendants:
    """The CPU seconds of this process's descendants, read from /proc every `every` seconds while the block runs:
    Chromium's processes are not all reaped up the chain (`RUSAGE_CHILDREN` saw a quarter of their CPU), so each
    descendant's own user and system time is taken at its last reading (the CPU of its last fraction of a second,
    and of a process that lived less than `every`, is missed: a slight undercount)."""

    def __init__(self, every: float = 0.5) -> None:
        import threading

        self.every = every
        self.last: dict[tuple[int, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Descendants:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self) -> None:
        parent: dict[int, int] = {}
        own: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry)
            parent[pid] = int(fields[1])
            own[pid] = (int(fields[19]), (int(fields[11]) + int(fields[12])) / self._tick)  # start time, utime+stime
        me = os.getpid()
        for pid, (started, seconds) in own.items():
            ancestor = parent.get(pid)
            while ancestor not in (None, 0, 1, me):
                ancestor = parent.get(ancestor)
            if ancestor == me:
                self.last[(pid, started)] = seconds

    def seconds(self) -> float:
        return sum(self.last.values())


def _cpu() -> float:
    """CPU seconds used by this process and its finished worker processes: on a machine other work shares, the
    wall-clock rate understates what the path does on free cores."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


@click.command()
@click.option("--members", type=int, default=2000, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True)
@click.option("--engine", type=click.Choice(["weasyprint", "chromium"]), default="weasyprint", show_default=True,
              help="The PDF engine (chromium: Debian's /usr/bin/chromium or $MUTUAL_CHROMIUM).")
@click.option("--workers", type=int, default=None, help="Rendering processes (default: one per core).")
@click.option("--db", "url", default=None, help="A PostgreSQL URL (default: a temporary SQLite file).")
def main(members: int, fmt: str, engine: str, workers: int | None, url: str | None) -> None:
    click.echo(orjson.dumps(statements_per_second(members, fmt, workers, url, engine)).decode())


if __name__ == "__main__":
    main()
