"""Commands on the log itself: init, import, export, log, verify."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, BinaryIO

import click
import orjson

from cli.output import dumps, emit_json, fail, table
from cli.params import ISO_DATE, TIMESTAMP
from cli.params import actor as _actor
from ledger.store.mapper import to_envelope

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.store import EventStore




@click.command()
@click.pass_obj
def init(obj: Context) -> None:
    """Create or upgrade the ledger's tables (Alembic migrations to head)."""
    from ledger.store import migrate
    from ledger.store.engine import make_engine

    engine = make_engine(obj.url)
    migrate.upgrade(engine)
    click.echo(f"ledger ready at {engine.url.render_as_string(hide_password=True)} "
               f"(schema {migrate.current_revision(engine)})")


@click.command(name="import")
@click.argument("source", metavar="FILE|-")
@click.option("--actor", default=None,
              help="Recorded as the actor of events that name none (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def import_(obj: Context, source: str, actor: str | None, as_json: bool) -> None:
    """Import JSON-lines event envelopes from SOURCE (a file, or - for stdin). All or nothing."""
    lines = _read_source(source).splitlines()
    store = obj.store
    interactive = sys.stderr.isatty() and not as_json
    if interactive:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=len(lines))
            result = store.import_lines(lines, default_actor=_actor(actor),
                                        on_progress=lambda n: progress.advance(task, n))
    else:
        result = store.import_lines(lines, default_actor=_actor(actor))
    summary = {"read": result.read, "written": result.written, "already_recorded": result.already_recorded,
               "head_position": result.head.position, "head_hash": result.head.hash}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"read {result.read} events: {result.written} written, "
                   f"{result.already_recorded} already recorded; head {result.head.position} {result.head.hash}")


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except (OSError, ValueError) as exc:  # missing, a directory, unreadable, a NUL in the name
        raise click.BadParameter(f"cannot read {source!r}: {getattr(exc, 'strerror', None) or exc}",
                                 param_hint="FILE") from None


@click.command()
@click.option("--output", "-o", default="-", metavar="FILE", help="Write to a file instead of stdout.")
@click.pass_obj
def export(obj: Context, output: str) -> None:
    """Write the whole log as JSON lines; `import` into an empty ledger reproduces it, chain and all."""
    store = obj.store  # (a ledger that is not there is said before any file is made)
    if output == "-":
        _export(store, sys.stdout.buffer)
        return
    try:
        handle = open(output, "wb")  # noqa: SIM115 (opened apart from the writes: a failure to open is said apart)
    except (OSError, ValueError) as exc:  # a missing folder, no permission, a directory, a NUL in the name, ...
        fail(f"--output: cannot write {output!r}: {getattr(exc, 'strerror', None) or exc}; nothing was exported")
    try:
        with handle:
            _export(store, handle)
    except OSError as exc:  # a full disk, a device that refuses, ...
        fail(f"--output: cannot write {output!r}: {exc.strerror or exc}; the file holds an incomplete export")


def _export(store: EventStore, handle: BinaryIO) -> None:
    write = handle.write
    for event in store.read():
        write(orjson.dumps(to_envelope(event)))
        write(b"\n")


@click.command()
@click.option("--stream", default=None, help="Only this stream, e.g. member-m1.")
@click.option("--type", "type_", default=None, help="Only this event type.")
@click.option("--from", "date_from", type=ISO_DATE, default=None, help="Effective on or after this date.")
@click.option("--to", "date_to", type=ISO_DATE, default=None, help="Effective on or before this date.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many events.")
@click.option("--as-known-at", type=TIMESTAMP, default=None, help="Only events recorded by this UTC time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of envelopes).")
@click.pass_obj
def log(obj: Context, stream: str | None, type_: str | None, date_from: date | None, date_to: date | None,
        limit: int | None, as_known_at: datetime | None, as_json: bool) -> None:
    """List events in position order."""
    events = []
    for event in obj.store.read(stream=stream, type=type_, date_from=date_from, date_to=date_to,
                                recorded_to=as_known_at):
        events.append(event)
        if limit and len(events) >= limit:
            break
    if as_json:
        emit_json([to_envelope(e) for e in events])
        return
    table("events", ["position", "effective", "stream", "version", "type", "actor", "payload"],
          [(e.position, e.effective_date, e.stream, e.version, e.type, e.metadata.get("actor"),
            dumps(e.payload, indent=False)) for e in events])


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def verify(obj: Context, as_json: bool) -> None:
    """Recompute the hash chain, positions and stream versions; exit non-zero if anything was altered."""
    from ledger.store.verify import verify as run

    report = run(obj.store)
    if as_json:
        emit_json(report.to_json())
    elif report.intact:
        click.echo(f"intact: {report.events} events, head position {report.head_position} hash {report.head_hash}")
    else:
        click.echo(f"BROKEN at position {report.first_bad_position}: {report.problem} "
                   f"(intact up to position {report.head_position}, hash {report.head_hash})", err=True)
    if not report.intact:
        sys.exit(1)


COMMANDS = [init, import_, export, log, verify]
