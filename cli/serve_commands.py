"""`mutual serve`: the web back office under uvicorn, on the ledger `--db` names (SQLite by default, PostgreSQL in
production), or with `--demo` on a fresh ledger holding the examples and one demo user per role (docs/web.md).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import uvicorn

    from cli.main import Context

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DEMO_FILES = ("coop-ten-years.jsonl", "appendix6.jsonl")
DEMO_USERS = (("clerk", "clerk", None), ("treasurer", "treasurer", None), ("auditor", "auditor", None),
              ("board", "board", None), ("alice", "member", "alice"), ("admin", "admin", None))
SECRET_ENV = "MUTUAL_SECRET_KEY"
HEALTH_CHECK_S = 120  # how long a worker may take to answer uvicorn's health check before it is restarted
URL_ENV = "MUTUAL_SERVE_URL"  # the ledger each worker process serves (set by `mutual serve --workers N`)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str
    member: str | None = None


@dataclass(frozen=True)
class Demo:
    url: str
    directory: Path
    users: tuple[DemoUser, ...]

    def describe(self, address: str) -> str:
        lines = [f"demo ledger: {self.directory} (the ten-year co-op example and Appendix 6's fund)",
                 f"open {address}/login and log in as any of these (passwords are new each run):", ""]
        lines += [f"  {u.role:<10} user {u.username:<10} password {u.password}"
                  + (f"   (member {u.member})" if u.member else "") for u in self.users]
        return "\n".join(lines)


def prepare_demo(directory: Path | None = None) -> Demo:
    """A fresh SQLite ledger in `directory` (a new temporary one when None): migrated, holding the examples, with
    one user per role and a random password each (the member user is alice)."""
    from ledger.commands.users import add_user
    from ledger.store import EventStore, migrate
    from ledger.store.engine import make_engine

    where = Path(directory or tempfile.mkdtemp(prefix="mutual-demo-"))
    where.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{where / 'demo-ledger.db'}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        store = EventStore(engine)
        for name in DEMO_FILES:
            store.import_lines((EXAMPLES / name).read_bytes().splitlines())
        users = []
        for username, role, member in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            add_user(store, username, role, password, actor="demo", member=member)
            users.append(DemoUser(username, role, password, member))
    finally:
        engine.dispose()
    return Demo(url, where, tuple(users))


def secret_key() -> tuple[bytes, bool]:
    """The sessions' signing secret: $MUTUAL_SECRET_KEY (so sessions survive a restart and are shared by every
    worker), else a new random one (sessions end when the server stops). Returns (secret, from_environment)."""
    given = os.environ.get(SECRET_ENV, "")
    if given:
        if len(given) < 32:
            raise click.BadParameter(f"${SECRET_ENV} must be at least 32 characters (e.g. `python -c "
                                     "'import secrets; print(secrets.token_hex(32))'`)", param_hint=SECRET_ENV)
        return given.encode(), True
    return secrets.token_bytes(32), False


def server(app: Any, host: str, port: int, **options: Any) -> uvicorn.Server:
    """A uvicorn server for `app` (proxy headers trusted from 127.0.0.1 only, so Secure cookies follow https at a
    local reverse proxy)."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, proxy_headers=True, log_level="info",
                                         access_log=False, **options))


def worker_app() -> Any:
    """The app of one worker process of `mutual serve --workers N` (uvicorn imports it by name in each worker): the
    ledger and the sessions' secret from the environment the parent set, so every worker shares both."""
    from web.app import create_app, for_serving

    app = create_app(os.environ[URL_ENV], secret=os.environ[SECRET_ENV].encode())
    for_serving(app)
    return app


def serve_workers(url: str, host: str, port: int, workers: int) -> None:
    """Run `workers` uvicorn worker processes on one socket (uvicorn's own supervisor), each with its own app and
    connections to the same ledger; sessions live in the ledger's database and every worker signs with the same
    secret ($MUTUAL_SECRET_KEY, or one made for this run), so any worker serves any request."""
    import uvicorn

    from projections.shared_books import WORKERS_ENV

    os.environ[URL_ENV] = url
    os.environ.setdefault(SECRET_ENV, secrets.token_hex(32))
    os.environ[WORKERS_ENV] = str(workers)  # each worker keeps its share of the memory the server may use
    # A worker answers the supervisor's health check from a Python thread, which waits for the interpreter lock
    # while pages are folded: uvicorn's 5 seconds would kill a busy (not hung) worker and cut its connections.
    uvicorn.run("cli.serve_commands:worker_app", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, log_level="info", access_log=False, timeout_worker_healthcheck=HEALTH_CHECK_S)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--demo", is_flag=True,
              help="Serve a fresh demo ledger (the examples) with one user per role; prints their passwords.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (each answers requests on its own core; sessions are shared in the ledger).")
@click.pass_obj
def serve(obj: Context, host: str, port: int, demo: bool, workers: int) -> None:
    """Run the web back office (docs/web.md).

    \b
    Examples:
      mutual serve --demo                                   # try it: the examples, a user per role
      mutual --db postgresql://mutual@db/books serve --host 0.0.0.0 --port 8000
      mutual --db postgresql://mutual@db/books serve --workers 2         # one process a core
    """
    from web.app import create_app, for_serving

    secret, kept = secret_key()
    if demo:
        prepared = prepare_demo()
        url = prepared.url
        click.echo(prepared.describe(f"http://{host}:{port}"))
    else:
        url = obj.url
        obj.store  # noqa: B018 - refuses a SQLite file that does not exist, naming --db
        from ledger.commands.users import list_users

        if not list_users(obj.store):
            click.echo("no users yet: add one with `mutual user add NAME --role admin` (or clerk, treasurer, ...)",
                       err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host} over plain http: passwords and session cookies cross the network "
                   "unencrypted; put an https reverse proxy on this machine in front of it and listen on "
                   "127.0.0.1 (docs/web.md)", err=True)
    if not kept:
        click.echo(f"(sessions end when the server stops: set ${SECRET_ENV} to keep them across restarts)", err=True)
    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    if workers > 1:
        serve_workers(url, host, port, workers)
        return
    app = create_app(url, secret=secret)
    for_serving(app)
    server(app, host, port).run()


COMMANDS = [serve]
