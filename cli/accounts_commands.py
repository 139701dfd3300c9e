"""`mutual accounts journal | trial-balance | balance-sheet | income` (the general ledger, docs/accounts.md) and
`mutual export beancount | hledger | xero | csv` (the journal for accounting tools).

`mutual export` with no format still writes the whole log as JSON lines (cli/store_commands.py's `export`, which
this group calls): this module is registered after cli.store_commands, so its `export` group takes the name and
keeps the old command as what the group does on its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json, fail, table
from cli.params import ID, ISO_DATE, TIMESTAMP, output_options, write_options
from cli.params import actor as actor_of
from cli.store_commands import export as log_export

if TYPE_CHECKING:
    from cli.main import Context
    from projections.accounts import Period
    from projections.head import ChainHead

Report = Callable[..., dict[str, Any]]


def _options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--society, --as-of | --from --to, --as-known-at, --json: what every output of the general ledger takes."""
    for option in reversed((
        click.option("--society", "society", type=ID, default=None, help="One society's books (default: all)."),
        click.option("--as-of", "as_of", type=ISO_DATE, default=None, help="Balances on this date (default: today)."),
        click.option("--from", "start", type=ISO_DATE, default=None, help="The period's first day."),
        click.option("--to", "end", type=ISO_DATE, default=None, help="The period's last day (default: today)."),
        click.option("--as-known-at", "as_known_at", type=TIMESTAMP, default=None,
                     help="The books as they stood at this recorded time (the chain head named is the one then)."),
    )):
        f = option(f)
    return f


def _drawn(obj: Context, society: str | None, as_of: date | None, start: date | None, end: date | None,
           as_known_at: datetime | None, *, balances: bool = False) -> tuple[Any, Period, ChainHead]:
    """The books a report reads: the whole log (a journal, an export), or (`balances`) `Books`, which answer a
    balance from a balance checkpoint when one holds and read the whole log only when it does not."""
    from projections.accounts import Books, Period, chain_head, whole_log
    from projections.books import societies

    try:
        period = Period.of(as_of, start, end, date.today())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    head = chain_head(obj.store, as_known_at)
    view: Any = Books(obj.store, as_known_at, head) if balances else whole_log(obj.store, as_known_at, head)
    named = societies(view.source if balances else view)
    if society is not None and not any(society in found for found in named.values()):
        known = f" as known at {as_known_at.isoformat()}" if as_known_at else ""
        fail(f"--society: {society} is not a society in the books{known}")
    return view, period, head


def _query(report: str) -> Callable[..., Any]:
    def run(obj: Context, society: str | None, as_of: date | None, start: date | None, end: date | None,
            as_known_at: datetime | None, as_json: bool) -> None:
        import projections.accounts as accounts

        view, period, head = _drawn(obj, society, as_of, start, end, as_known_at, balances=report != "journal")
        make: Report = getattr(accounts, report.replace("-", "_"))
        data = make(view, period, society, head, as_known_at)
        if as_json:
            emit_json(data)
            return
        PRINTERS[report](data)  # (the chain head is named under the tables: cli/output.py)
    return run


def _print_journal(data: dict[str, Any]) -> None:
    rows = [(e["date"], e["society"], e["position"] or "derived", e["narration"], p["account"], p["amount"])
            for e in data["entries"] for p in e["postings"]]
    table(f"journal {data['from'] or 'from the start'} to {data['to']}",
          ["date", "society", "position", "narration", "account", "amount"], rows)


def _print_trial_balance(data: dict[str, Any]) -> None:
    rows = [(r["code"], r["account"], r["debit"] or "", r["credit"] or "") for r in data["accounts"]]
    rows.append(("", "total", data["total_debit"], data["total_credit"]))
    table(f"trial balance on {data['to']}", ["code", "account", "debit", "credit"], rows)
    click.echo("balanced" if data["balanced"] else f"NOT BALANCED: difference {data['difference']}")


def _print_statement(title: str, types: tuple[str, ...]) -> Callable[[dict[str, Any]], None]:
    def show(data: dict[str, Any]) -> None:
        rows: list[tuple[Any, ...]] = []
        for t in types:
            rows += [(r["code"], r["account"], r["amount"]) for r in data[t]["accounts"]]
            rows.append(("", f"total {t.lower()}", data[t]["total"]))
        rows.append(("", "surplus", data["surplus"]))
        table(f"{title} {data['from'] or ''} to {data['to']}".replace("  ", " "), ["code", "account", "amount"], rows)
    return show


PRINTERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "journal": _print_journal,
    "trial-balance": _print_trial_balance,
    "balance-sheet": _print_statement("balance sheet", ("Assets", "Liabilities", "Equity")),
    "income": _print_statement("income and expenditure", ("Income", "Expenses")),
}

HELP = {
    "journal": "Every posting: each event's (in effective order, position named) and the folds' (a closed "
               "member-year's reserve movement, a loan's after-savings released).",
    "trial-balance": "Each account's debit or credit balance; the debits equal the credits.",
    "balance-sheet": "Assets, liabilities and equity on a date, and the surplus not yet closed to equity.",
    "income": "Income and expenses over a period (--from --to; since the books began with --as-of).",
}


@click.group()
def accounts() -> None:
    """The general ledger: every event's balanced postings in a chart of accounts per society (docs/accounts.md).

    \b
    Example:
      mutual accounts trial-balance --society riverside --as-of 2025-03-31
      mutual accounts income --society riverside --from 2024-04-01 --to 2025-03-31 --json
    """


for _name in PRINTERS:
    _cmd = output_options(click.option("--json", "as_json", is_flag=True, help="Print JSON (amounts as strings).")(
        _options(_query(_name))))
    accounts.command(_name, help=HELP[_name] + "\n\nNames the chain head it was drawn from.")(
        click.pass_obj(_cmd))


@accounts.command("chart")
@click.option("--society", "society", type=ID, required=True, help="The society whose chart it is.")
@click.option("--from", "on", type=ISO_DATE, required=True, help="The date the names take effect.")
@click.option("--account", "named", type=(str, str, str), multiple=True, required=True,
              metavar="ROLE NAME CODE", help="A role of the chart, its account name and its code ('-': the default "
                                             "code). Repeat for more roles.")
@write_options
@click.pass_obj
def chart(obj: Context, society: str, on: date, named: tuple[tuple[str, str, str], ...], actor: str | None,
          as_json: bool) -> None:
    """Name a society's accounts from a date: the roles given take these names (and codes); the others keep theirs.
    The chart in force on a report's last day names every posting in it (docs/accounts.md lists the roles).

    \b
    Example:
      mutual accounts chart --society riverside --from 2025-04-01 \\
        --account bank Assets:Riverside:Barclays-current 1010
    """
    from ledger.commands.accounts import set_chart

    result = set_chart(obj.store, society, [(r, n, None if c == "-" else c) for r, n, c in named], on=on,
                       actor=actor_of(actor))
    data = {"written": result.written, "positions": result.positions,
            "head": {"position": result.head.position, "hash": result.head.hash}}
    if as_json:
        emit_json(data)
    elif result.written:
        click.echo(f"chart of accounts of {society} from {on.isoformat()} recorded at position {result.positions[0]}")
    else:
        click.echo(f"already recorded (position {result.positions[0]}): nothing written")


@accounts.command("checkpoint")
@click.option("--as-of", "as_of", type=ISO_DATE, required=True, help="The date whose balances are kept (a year end).")
@click.option("--actor", default=None, help="Who takes it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def checkpoint(obj: Context, as_of: date, actor: str | None, as_json: bool) -> None:
    """Keep the general ledger's balances on a date, folded from the whole log at its head: later trial balances,
    balance sheets and income statements on that date start from them and fold only the member events appended
    since (anything else since, or --as-known-at before it: the whole log, as without one). docs/accounts.md.
    On PostgreSQL the auditor role or the owner takes one, not the writer.

    \b
    Example:
      mutual accounts checkpoint --as-of 2025-03-31
    """
    from projections.accounts import take_balance_checkpoint

    data = take_balance_checkpoint(obj.store, as_of, actor_of(actor))
    if as_json:
        emit_json(data)
        return
    click.echo(f"balance checkpoint {data['checkpoint']} on {as_of.isoformat()} kept: {data['sums']} sums of the "
               f"events' postings, {data['members']} members' derived years")


@click.group(invoke_without_command=True)
@click.option("--output", "-o", default="-", metavar="FILE", help="Write to a file instead of stdout.")
@click.pass_context
def export(ctx: click.Context, output: str) -> None:
    """Write the whole log as JSON lines (`import` into an empty ledger reproduces it, chain and all); or, with a
    format, the general ledger for an accounting tool: beancount, hledger, xero (manual-journal CSV), csv."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(log_export, output=output)


def _exporter(fmt: str) -> Callable[..., Any]:
    def run(obj: Context, society: str | None, as_of: date | None, start: date | None, end: date | None,
            as_known_at: datetime | None, output: str) -> None:
        from projections import exports
        from projections.accounts import general_ledger

        view, period, head = _drawn(obj, society, as_of, start, end, as_known_at)
        entries = [e for e in general_ledger(view, period.end, society)
                   if period.start is None or e.on >= period.start]
        if fmt == "beancount":
            text = exports.beancount(entries, head, as_known_at, period.end)
        elif fmt == "hledger":
            text = exports.hledger(entries, head, as_known_at, period.end)
        elif fmt == "xero":
            text = exports.xero(entries)
        else:
            text = exports.journal_csv(entries)
        if output == "-":
            sys.stdout.write(text)
        else:
            try:
                with open(output, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            except (OSError, ValueError) as exc:
                fail(f"--output: cannot write {output!r}: {getattr(exc, 'strerror', None) or exc}")
        known = f", as known at {as_known_at.isoformat()}" if as_known_at else ""
        click.echo(f"{fmt}: {len(entries)} entries, drawn from chain head {head.position} {head.hash}{known}",
                   err=True)
    return run


EXPORT_HELP = {
    "beancount": "The general ledger as a beancount file (bean-check accepts it).",
    "hledger": "The general ledger as an hledger journal (`hledger check` accepts it).",
    "xero": "Xero's manual-journal import CSV (Narration, Date, Description, AccountCode, TaxRate, Amount, "
            "tracking by society and member).",
    "csv": "The journal as a plain CSV, one row per posting.",
}

for _fmt in EXPORT_HELP:
    _cmd = click.option("--output", "-o", default="-", metavar="FILE", help="Write to a file instead of stdout.")(
        _options(_exporter(_fmt)))
    export.command(_fmt, help=EXPORT_HELP[_fmt] + " The chain head it was drawn from is named (in the file for "
                                                  "beancount and hledger, and on stderr).")(click.pass_obj(_cmd))


COMMANDS = [accounts, export]
