"""`mutual report board`: the board pack of a co-op for a period, as PDF or XLSX (projections/documents/)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import click

from cli.params import ID, ISO_DATE, KNOWN_HELP, TIMESTAMP

if TYPE_CHECKING:
    from cli.main import Context


@click.group()
def report() -> None:
    """Reports for the board."""


@report.command("board")
@click.option("--coop", "coop_id", type=ID, required=True, help="The co-op the pack is for.")
@click.option("--from", "start", type=ISO_DATE, required=True, help="First day of the period.")
@click.option("--to", "end", type=ISO_DATE, required=True, help="Last day of the period.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "html"]), default=None,
              help="pdf, xlsx or html (default: from -o's suffix, else pdf).")
@click.option("--as-known-at", "as_known_at", type=TIMESTAMP, default=None, help=KNOWN_HELP)
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False), required=True, help="The file to write.")
@click.pass_obj
def board(obj: Context, coop_id: str, start: date, end: date, fmt: Optional[str], as_known_at: Optional[datetime],
          path: str) -> None:
    """The board pack of COOP for a period: debt and reserve with a chart, arrears aged, members joined and left,
    units held by each party, payouts, the fund's liquidity forecast. Names the chain head it was drawn from."""
    from cli.statement_commands import write_file
    from projections.documents.board import board_data, board_html, board_pdf
    from projections.documents.board_xlsx import board_xlsx
    from projections.documents.statement import StatementBooks

    if end < start:
        raise click.BadParameter(f"{end.isoformat()} is before --from {start.isoformat()}", param_hint="--to")
    fmt = fmt or next((f for f in ("xlsx", "html") if path.lower().endswith("." + f)), "pdf")
    books = StatementBooks.open(obj.store, as_known_at)
    data = board_data(books, coop_id, start, end)
    content = board_pdf(data) if fmt == "pdf" else board_xlsx(data) if fmt == "xlsx" else board_html(data).encode()
    write_file(path, content)
    click.echo(f"board pack of {coop_id} for {start.isoformat()} to {end.isoformat()} written to {path}; drawn from "
               f"chain head {books.head.position} {books.head.hash} (as known at {books.head.known_at})")


COMMANDS = [report]
