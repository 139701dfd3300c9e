"""Commands on the log itself: init, import, export, log, verify."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, BinaryIO

import click
import orjson

from cli.output import current, emit_json, fail, table
from cli.params import ID, ISO_DATE, TIMESTAMP, output_options
from cli.params import actor as _actor
from ledger.store.mapper import to_envelope

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.store import EventStore, StoredEvent




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
    handle = _open_source(source)
    with nullcontext(handle) if source == "-" else handle:
        store = obj.store
        lines = _lines(handle)
        interactive = sys.stderr.isatty() and not as_json
        if interactive:
            from rich.progress import Progress

            size = _size(handle)  # the bar moves by the bytes read (the lines are not counted ahead: never all held)
            with Progress(transient=True) as progress:
                task = progress.add_task("importing", total=size)
                result = store.import_lines(lines, default_actor=_actor(actor), on_progress=(
                    (lambda _n: progress.update(task, completed=handle.tell())) if size else
                    (lambda n: progress.advance(task, n))))
        else:
            result = store.import_lines(lines, default_actor=_actor(actor))
    summary = {"read": result.read, "written": result.written, "already_recorded": result.already_recorded,
               "head_position": result.head.position, "head_hash": result.head.hash}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"read {result.read} events: {result.written} written, "
                   f"{result.already_recorded} already recorded; head {result.head.position} {result.head.hash}")


READ_SIZE = 1 << 20  # bytes read at a time: the lines of one read are all that is held of the file


def _open_source(source: str) -> BinaryIO:
    if source == "-":
        return sys.stdin.buffer
    try:
        return open(source, "rb")
    except (OSError, ValueError) as exc:  # missing, a directory, unreadable, a NUL in the name
        raise click.BadParameter(f"cannot read {source!r}: {getattr(exc, 'strerror', None) or exc}",
                                 param_hint="FILE") from None


def _size(handle: BinaryIO) -> int | None:
    """The file's size if it is a regular file (not a pipe): what the progress bar counts to."""
    try:
        if handle.seekable():
            size = os.fstat(handle.fileno()).st_size
            return size or None
    except (OSError, ValueError):
        pass
    return None


def _lines(handle: BinaryIO, size: int = READ_SIZE) -> Iterator[bytes]:
    """The file's lines, read `size` bytes at a time: the same lines `handle.read().splitlines()` gives (split at
    \\n, \\r\\n and \\r, so line numbers in errors are the same), without holding the whole file."""
    rest = b""
    while True:
        try:
            data = handle.read(size)
        except OSError as exc:  # a read error half-way (the import is then refused: nothing is written)
            raise click.BadParameter(f"cannot read the file: {exc.strerror or exc}", param_hint="FILE") from None
        if not data:
            break
        data = rest + data if rest else data
        # The last line ending that is surely complete: a \\n, or a \\r that is not the last byte read (a \\r
        # last might be the first half of a \\r\\n split between two reads).
        cut = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1))
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1:]
        yield from data[:cut + 1].splitlines()
    if rest:
        yield from rest.splitlines()


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


class EventTypeParam(click.ParamType):
    """An event type the ledger knows; an unknown one is refused naming every known type."""

    name = "type"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ledger.events import REGISTRY

        if value not in REGISTRY:
            self.fail(f"{value!r} is not a known event type; the known types are: {', '.join(sorted(REGISTRY))}",
                      param, ctx)
        return value


@click.command()
@click.option("--stream", default=None, help="Only this stream, e.g. member-m1.")
@click.option("--type", "type_", type=EventTypeParam(), default=None, help="Only this event type.")
@click.option("--member", type=ID, default=None, metavar="MEMBER",
              help="Only this member's events: their stream, the accounts and loans they hold, and events naming "
                   "them.")
@click.option("--from", "date_from", type=ISO_DATE, default=None, help="Effective on or after this date.")
@click.option("--to", "date_to", type=ISO_DATE, default=None, help="Effective on or before this date.")
@click.option("--tail", type=click.IntRange(min=1, max=10**12), default=None,
              help="Only the last N events (of those chosen).")
@click.option("--reverse", is_flag=True, help="Newest first.")
@click.option("--limit", type=click.IntRange(min=1, max=10**12), default=None,
              help="At most this many events (as shown).")
@click.option("--as-known-at", type=TIMESTAMP, default=None, help="Only events recorded by this UTC time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of envelopes).")
@output_options
@click.pass_obj
def log(obj: Context, stream: str | None, type_: str | None, member: str | None, date_from: date | None,
        date_to: date | None, tail: int | None, reverse: bool, limit: int | None, as_known_at: datetime | None,
        as_json: bool) -> None:
    """List events in position order, one line each in 80 columns: position, effective date, type, stream, and
    what happened in the event's own words.

    \b
    Examples:
      mutual log --member alice --tail 12          a member's last twelve events
      mutual log --type PaymentReceived --reverse --limit 20
    """
    events = _chosen(obj.store, stream, type_, member, date_from, date_to, tail, reverse, limit, as_known_at)
    if as_json:
        emit_json([to_envelope(e) for e in events])
        return
    from projections.log import lines

    if current().captures:  # --format csv / xlsx: one row an event, the summary in the event's own words
        from projections.log import summary

        table("events", ["position", "effective date", "recorded at", "type", "stream", "summary", "hash"],
              [(e.position, e.effective_date, e.recorded_at, e.type, e.stream, summary(e), e.hash) for e in events])
        return
    for line in lines(events):
        click.echo(line)


def _chosen(store: EventStore, stream: str | None, type_: str | None, member: str | None, date_from: date | None,
            date_to: date | None, tail: int | None, reverse: bool, limit: int | None,
            as_known_at: datetime | None) -> list[StoredEvent]:
    """The events filtered, then the last `tail` of them, then newest first if asked, then the first `limit`
    (projections/log.py `chosen`, which the web's /log pages through too)."""
    from projections.log import Filters, chosen

    return chosen(store, Filters(stream, type_, member, date_from, date_to, as_known_at), tail, reverse, limit)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@output_options
@click.pass_obj
def verify(obj: Context, as_json: bool) -> None:
    """Recompute the hash chain, positions and stream versions; exit non-zero if anything was altered."""
    from ledger.store.verify import verify as run

    report = run(obj.store)
    if as_json:
        emit_json(report.to_json())
    elif current().captures:  # --format csv / xlsx: the report's figures
        table("verify", ["figure", "value"], sorted(report.to_json().items()))
    elif report.intact:
        click.echo(f"intact: {report.events} events, head position {report.head_position} hash {report.head_hash}")
    else:
        click.echo(f"BROKEN at position {report.first_bad_position}: {report.problem} "
                   f"(intact up to position {report.head_position}, hash {report.head_hash})", err=True)
    if not report.intact:
        sys.exit(1)


COMMANDS = [init, import_, export, log, verify]
