"""`mutual statement` and `mutual statements`: members' statements as HTML or PDF (projections/documents/)."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import click

from cli.params import ID, ISO_DATE, KNOWN_HELP, TIMESTAMP

if TYPE_CHECKING:
    from cli.main import Context

FORMATS = click.Choice(["html", "pdf"])
ENGINES = click.Choice(["chromium", "weasyprint"])


def _format(given: Optional[str], path: str) -> str:
    """--format, else the output file's suffix (.html / .htm), else pdf."""
    if given:
        return given
    return "html" if path.lower().endswith((".html", ".htm")) else "pdf"


def write_file(path: str, content: bytes) -> None:
    """Write a document, or refuse naming -o and the reason (nothing half-written is left behind)."""
    from ledger.errors import FieldError, ValidationFailed

    try:
        with open(path, "wb") as out:
            out.write(content)
    except OSError as exc:
        if os.path.exists(path) and os.path.getsize(path) != len(content):
            os.remove(path)
        raise ValidationFailed([FieldError("--output", f"cannot write {path}: {exc.strerror}")]) from None


def _period(start: date, end: date) -> None:
    if end < start:
        raise click.BadParameter(f"{end.isoformat()} is before --from {start.isoformat()}", param_hint="--to")


@click.command("statement")
@click.argument("member_id", type=ID)
@click.option("--from", "start", type=ISO_DATE, required=True, help="First day of the statement's period.")
@click.option("--to", "end", type=ISO_DATE, required=True, help="Last day of the statement's period.")
@click.option("--format", "fmt", type=FORMATS, default=None, help="html or pdf (default: from -o's suffix, else pdf).")
@click.option("--as-known-at", "as_known_at", type=TIMESTAMP, default=None, help=KNOWN_HELP)
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write.")
@click.pass_obj
def statement(obj: Context, member_id: str, start: date, end: date, fmt: Optional[str],
              as_known_at: Optional[datetime], path: str) -> None:
    """MEMBER_ID's statement for a period: dues, payments and their allocation, arrears, units, equity, payout if
    leaving, savings; with a chart. Names the chain head it was drawn from."""
    from projections.documents.statement import StatementBooks, render_statement, statement_data

    _period(start, end)
    books = StatementBooks.open(obj.store, as_known_at)
    data = statement_data(books, member_id, start, end)
    write_file(path, render_statement(data, _format(fmt, path)))
    click.echo(f"statement of {member_id} for {start.isoformat()} to {end.isoformat()} written to {path}; "
               f"drawn from chain head {books.head.position} {books.head.hash} (as known at {books.head.known_at})")


@click.command("statements")
@click.option("--coop", "coop_id", type=ID, required=True, help="The co-op whose members get a statement.")
@click.option("--from", "start", type=ISO_DATE, required=True, help="First day of the statements' period.")
@click.option("--to", "end", type=ISO_DATE, required=True, help="Last day of the statements' period.")
@click.option("--format", "fmt", type=FORMATS, default="pdf", show_default=True)
@click.option("--as-known-at", "as_known_at", type=TIMESTAMP, default=None, help=KNOWN_HELP)
@click.option("--engine", type=ENGINES, default=None,
              help="The PDF engine: chromium (about three times as fast; a rerun with --as-known-at is byte for "
                   "byte the same with the same Chromium and --workers) or weasyprint (byte for byte on any "
                   "machine). Default: chromium when /usr/bin/chromium or $MUTUAL_CHROMIUM exists, else weasyprint.")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=None,
              help="Processes rendering the documents (default: one per core).")
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False), required=True,
              help="The folder to write one file per member into (made if missing).")
@click.pass_obj
def statements(obj: Context, coop_id: str, start: date, end: date, fmt: str, as_known_at: Optional[datetime],
               engine: Optional[str], workers: Optional[int], folder: str) -> None:
    """Every member's statement of COOP for a period, one file per member, with a progress bar.

    The books are read once (one source, as known at one time, the same chain head for every statement).
    PDFs are printed by Chromium when it is installed (one browser, a page per worker), else by WeasyPrint.
    """
    from projections.documents import chromium
    from projections.documents.statement import StatementBooks, write_statements

    _period(start, end)
    if engine is None:
        engine = "chromium" if chromium.available() else "weasyprint"
    elif engine == "chromium" and not chromium.available():
        raise click.BadParameter("no Chromium here: neither $MUTUAL_CHROMIUM nor /usr/bin/chromium is an executable "
                                 "file (or Playwright is not installed)", param_hint="--engine")
    books = StatementBooks.open(obj.store, as_known_at)
    members = books.members_of(coop_id, start, end)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        from ledger.errors import FieldError, ValidationFailed

        raise ValidationFailed([FieldError("--output", f"cannot make the folder {folder}: {exc.strerror}")]) from None
    workers = workers or os.cpu_count() or 1
    try:
        if sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=False) as bar:
                task = bar.add_task(f"statements of {coop_id}", total=len(members))
                paths = write_statements(books, members, start, end, fmt, folder, workers=workers, engine=engine,
                                         on_done=lambda _: bar.advance(task))
        else:
            paths = write_statements(books, members, start, end, fmt, folder, workers=workers, engine=engine)
    except Exception as exc:
        if engine != "chromium" or type(exc).__module__.split(".")[0] != "playwright":
            raise
        from ledger.errors import FieldError, ValidationFailed

        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValidationFailed([FieldError("--engine", f"Chromium failed: {reason} (--engine weasyprint prints "
                                                       "without it)")]) from None
    click.echo(f"{len(paths)} statement(s) of co-op {coop_id} for {start.isoformat()} to {end.isoformat()} written "
               f"to {folder}; drawn from chain head {books.head.position} {books.head.hash} "
               f"(as known at {books.head.known_at})")


COMMANDS = [statement, statements]
