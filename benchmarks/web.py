"""The web back office under load: 20 people at once on a ledger of a million events.

    python -m benchmarks.web --events 1000000 --users 20 [--db URL] [--keep PATH] [--workers 2]
                             [--requests 60] [--seconds 120] [--think 2]

Builds the secondary co-op of `benchmarks.queries` (about 780 events a member, 20 members a co-op, 30 years; co-ops
`c000`…, members `m00000`…), adds a login for each simulated user (half of them members, each of their own page;
half board members), starts `mutual serve` in its own process on a loopback port (as a deployment runs it), and
lets USERS clients, each in its own thread with its own session, log in through the login form and then ask for
pages at random effective dates: a member their own page, a board member a co-op's dashboard or a member's page.

Warm. The server reads the books ahead into memory when it starts (projections/warm.py, as much as a process keeps:
SharedBooks.EVENTS); the clock starts once `/health` says every process has (`read_ahead_s`), as a load balancer
waits for a new process. The server's CPU includes that reading.

Think time. Each person waits a uniform 0..2×THINK seconds between pages (mean THINK, default 2 s): a person reads
a page before asking for the next, and a closed loop with no think time measures the server's queue, not a page.
Twenty people each opening a page every two seconds (about ten pages a second) is already far busier than a co-op
office; `--think 0` is there to find the saturation point. The clock starts once every person has logged in (a
login's password hash is not a page), and each person's first page comes after a random wait in 0..2×THINK so the
twenty do not all ask at the same instant. Each stops after REQUESTS pages or when SECONDS have passed (bounded in
count and time).

`--keep PATH` keeps the ledger for the next run (generating a million events and importing them takes minutes):
for SQLite PATH is the database file, for PostgreSQL a schema name; when it already holds the books they are reused.
Prints one JSON object: the latency of each kind of page (p50, p95, max, in ms), how many of each, errors, pages
per second, the machine's load average and the server's CPU seconds (in all, and a page on average, logins and
start-up included): on a shared machine the latency says how busy the machine was, the CPU what a page costs.
"""

from __future__ import annotations

import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import IO

import click
import httpx
import orjson
from sqlalchemy import text

from benchmarks.common import fresh_store
from benchmarks.queries import YEARS, generate
from ledger.store import EventStore, migrate
from ledger.store.engine import make_engine, source_url

PASSWORD = "bench-password-not-secret-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str, server: subprocess.Popen[bytes], log: IO[bytes], seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if server.poll() is not None:
            log.seek(0)
            raise SystemExit(f"the server stopped: {log.read().decode(errors='replace')[-4000:]}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /login within {seconds:.0f} s")


def _read_ahead(base: str, seconds: float = 300) -> float:
    """Wait until the server's processes have read the books ahead (`/health`, asked until twenty answers in a row
    say so: any process may answer), as a load balancer waits before it sends a process pages; the seconds waited."""
    started = time.monotonic()
    in_a_row = 0
    while in_a_row < 20 and time.monotonic() - started < seconds:
        health = httpx.get(f"{base}/health", timeout=5).json()
        if health.get("read_ahead") == "failed":
            raise SystemExit("the server could not read its books ahead: see its log")
        ready = health.get("books_read_ahead")
        in_a_row = in_a_row + 1 if ready else 0
        if not ready:
            time.sleep(0.5)
    return time.monotonic() - started


def _log_in(client: httpx.Client, username: str) -> None:
    form = client.get("/login")
    token = form.text.partition('name="csrf" value="')[2].partition('"')[0]  # the login form's CSRF field
    data = {"username": username, "password": PASSWORD, "csrf": token}
    answer = client.post("/login", data=data)
    if answer.status_code >= 400 or answer.url.path == "/login":
        raise RuntimeError(f"{username} could not log in: {answer.status_code}")


def _person(base: str, username: str, asks: list[tuple[str, str]], requests: int, seconds: float, think: float,
            rng: random.Random, ready: threading.Barrier, out: list[tuple[str, float, int]]) -> None:
    with httpx.Client(base_url=base, timeout=120, follow_redirects=True) as client:
        try:
            _log_in(client, username)
        finally:
            ready.wait()  # everyone logged in (or failed to): the clock starts for all at once
        deadline = time.monotonic() + seconds
        time.sleep(rng.uniform(0, 2 * think))
        for _ in range(requests):
            if time.monotonic() >= deadline:
                return
            kind, path = rng.choice(asks)
            start = time.perf_counter()
            status = _get(client, path)
            out.append((kind, (time.perf_counter() - start) * 1000, status))
            if think:
                time.sleep(rng.uniform(0, 2 * think))


def _get(client: httpx.Client, path: str) -> int:
    """A page's status; 0 when no answer came. A kept-alive connection the server closed as the request went out is
    tried once more, as a browser does (the time of both counts)."""
    for attempt in (1, 2):
        try:
            return client.get(path).status_code
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            if attempt == 2:
                return 0
        except httpx.HTTPError:
            return 0
    return 0


def _summary(samples: list[float]) -> dict[str, float | int]:
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0}
    return {"count": len(ordered), "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
            "max_ms": round(ordered[-1], 1)}


def _is_sqlite(db: str | None) -> bool:
    return db is None or db.startswith("sqlite")


@contextmanager
def _kept_store(db: str | None, keep: str) -> Iterator[tuple[EventStore, bool]]:
    """The ledger kept at `keep` (a SQLite file, or a PostgreSQL schema): (store, whether it already has books)."""
    if _is_sqlite(db):
        url = f"sqlite:///{os.path.abspath(keep)}"
        engine = make_engine(url)
    else:
        assert db is not None
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", keep):
            raise click.BadParameter("a PostgreSQL schema name: lower-case letters, digits and _", param_hint="--keep")
        admin = make_engine(db)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {keep}"))
        admin.dispose()
        sep = "&" if "?" in db else "?"
        engine = make_engine(f"{db}{sep}options=-csearch_path%3D{keep}")
    migrate.upgrade(engine)
    store = EventStore(engine)
    with engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
    try:
        yield store, bool(held)
    finally:
        engine.dispose()


@contextmanager
def _books(db: str | None, keep: str | None, events: int, seed: int) -> Iterator[tuple[EventStore, int]]:
    """A ledger holding the generated books: kept (and reused) at `keep`, or fresh and dropped afterwards."""
    if keep is not None:
        with _kept_store(db, keep) as (store, held):
            written = held
            if not held:
                lines, _ = generate(events, seed)
                written = store.import_lines(lines, default_actor="bench").written
                del lines
            with store.engine.connect() as conn:
                written = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
            yield store, int(written)
        return
    with fresh_store(db) as (store, _):
        lines, _ = generate(events, seed)
        written = store.import_lines(lines, default_actor="bench").written
        del lines
        yield store, written


def _admitted(store: EventStore) -> list[tuple[str, date]]:
    """Every member and their admission date, as the books have them."""
    from ledger.coop.member import admission_of
    from ledger.source import StoreSource

    found = []
    for e in StoreSource(store).of_type("MemberAdmitted"):
        adm = admission_of([e])
        if adm is not None:
            found.append((adm.member_id, adm.admitted_on))
    return sorted(found)


def _people(store: EventStore, users: int, rng: random.Random) -> list[tuple[str, list[tuple[str, str]]]]:
    """A login for each simulated person (added unless it is there already) and the pages they will ask for."""
    from ledger.commands.users import add_user
    from ledger.coop.member import admission_of
    from ledger.source import StoreSource
    from ledger.store.users import UserTable

    admitted = _admitted(store)
    source = StoreSource(store)
    coop_of = {m: admission_of(source.stream(f"member-{m}")).coop_id for m, _ in admitted}  # type: ignore[union-attr]
    coops = sorted(set(coop_of.values()))
    table = UserTable(store.engine)
    people: list[tuple[str, list[tuple[str, str]]]] = []
    for number in range(users):
        member, on = rng.choice(admitted)
        dates = [(on + timedelta(days=rng.randrange(0, YEARS * 365))).isoformat() for _ in range(8)]
        if number % 2 == 0:
            name = f"member{number}-{member}"
            if table.get(name) is None:
                add_user(store, name, "member", PASSWORD, actor="bench", member=member)
            asks = [("member_page", f"/members/{member}?as_of={d}") for d in dates]
        else:
            name = f"board{number}"
            if table.get(name) is None:
                add_user(store, name, "board", PASSWORD, actor="bench")
            asks = [("coop_dashboard", f"/coops/{rng.choice(coops)}?as_of={d}") for d in dates]
            for d in dates:
                other, since = rng.choice(admitted)
                asks.append(("member_page", f"/members/{other}?as_of={max(date.fromisoformat(d), since)}"))
        people.append((name, asks))
    return people


@click.command()
@click.option("--events", default=1_000_000, show_default=True, help="About how many events the ledger holds.")
@click.option("--users", default=20, show_default=True, help="Simulated people at once.")
@click.option("--requests", default=60, show_default=True, help="Most pages each person asks for.")
@click.option("--seconds", default=120.0, show_default=True, help="Most seconds the load runs.")
@click.option("--think", default=2.0, show_default=True,
              help="Mean seconds a person reads a page before the next (uniform 0..2×THINK).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="`mutual serve --workers`: server processes.")
@click.option("--db", default=None, help="A PostgreSQL URL (a schema is created and dropped); default: SQLite.")
@click.option("--keep", default=None,
              help="Keep the ledger for the next run and reuse it if there: a SQLite file, or a PostgreSQL schema.")
@click.option("--seed", default=11, show_default=True)
def main(events: int, users: int, requests: int, seconds: float, think: float, workers: int, db: str | None,
         keep: str | None, seed: int) -> None:
    rng = random.Random(seed)
    with _books(db, keep, events, seed) as (store, written):
        people = _people(store, users, rng)
        members = len(_admitted(store))
        url = source_url(store.engine)  # options kept: a PostgreSQL schema is in the URL's search_path
        store.engine.dispose()

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MUTUAL_SECRET_KEY": "b" * 64}
        log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's log, read back if it stops or a page fails; closed below
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "--db", url, "serve", "--port", str(port),
                                   "--workers", str(workers)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait(base, server, log)
            read_ahead_s = _read_ahead(base)
            out: list[tuple[str, float, int]] = []
            ready = threading.Barrier(len(people))
            threads = [threading.Thread(target=_person, args=(base, name, asks, requests, seconds, think,
                                                              random.Random(seed + i), ready, out))
                       for i, (name, asks) in enumerate(people)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        # The server's own CPU (its worker processes included, once they have ended): what a page costs whatever
        # else the machine is running, unlike its latency.
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = used.ru_utime + used.ru_stime
        if any(status != 200 for _, _, status in out):
            log.seek(0)
            click.echo(f"pages failed; the server's log ends:\n{log.read().decode(errors='replace')[-4000:]}", err=True)
        log.close()
    report = {
        "engine": "sqlite" if _is_sqlite(db) else "postgresql",
        "events": written, "members": members, "users": users, "think_s": think, "workers": workers,
        "member_page": _summary([ms for kind, ms, status in out if kind == "member_page" and status == 200]),
        "coop_dashboard": _summary([ms for kind, ms, status in out if kind == "coop_dashboard" and status == 200]),
        "errors": sum(1 for _, _, status in out if status != 200),
        "errors_by_status": dict(Counter(str(status) for _, _, status in out if status != 200)),
        "pages_per_s": round(len(out) / wall, 1), "wall_s": round(wall, 1), "read_ahead_s": round(read_ahead_s, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2), "cores": os.cpu_count(),
        "server_cpu_s": round(server_cpu, 1), "server_cpu_ms_per_page": round(server_cpu * 1000 / max(len(out), 1)),
    }
    click.echo(orjson.dumps(report, option=orjson.OPT_SORT_KEYS).decode())


if __name__ == "__main__":
    main()
