"""Commands for auditors: the digest to write down, and the proof that the log still matches it."""

from __future__ import annotations

import re
import sys

import click

from cli.output import emit_json, table
from cli.params import ISO_DATE, TIMESTAMP


@click.group(invoke_without_command=True)
@click.option("--as-known-at", type=TIMESTAMP, default=None, help="Audit the books as they stood at this UTC time.")
@click.option("--as-of", type=ISO_DATE, default=None, help="Totals on this effective date (default: the log's last).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def audit(ctx, as_known_at, as_of, as_json: bool) -> None:
    """Replay the whole log in a scratch store, rebuild every projection, compare, verify the chain.

    Exits non-zero if anything differs. Subcommands: digest, prove.
    """
    if ctx.invoked_subcommand is not None:
        return
    from projections.audit import run_audit

    store = ctx.obj.store
    if sys.stderr.isatty() and not as_json:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            tasks: dict[str, int] = {}

            def advance(stage: str, n: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=None)
                bar.advance(tasks[stage], n)

            report = run_audit(store, as_known_at=as_known_at, as_of=as_of, on_progress=advance)
    else:
        report = run_audit(store, as_known_at=as_known_at, as_of=as_of)
    if as_json:
        emit_json(report)
    else:
        _print_report(report)
    if report["discrepancies"]:
        sys.exit(1)


def _print_report(report: dict) -> None:
    chain = report["chain"]
    click.echo(f"audit of {report['events']} events, totals on {report['as_of']}"
               + (f", as known at {report['as_known_at']}" if report["as_known_at"] else ""))
    click.echo(f"chain: {'intact' if chain['intact'] else 'BROKEN'}, head {chain['head_position']} {chain['head_hash']}")
    table("events by type", ["type", "count"], sorted(report["events_by_type"].items()))
    coops = report["totals"]["coops"]
    table("co-ops", ["co-op", "debt", "reserve", "members", "units clt", "units member", "units financed"],
          [(c, t["debt"], t["reserve"], t["members"], t["units"]["clt"], t["units"]["member"], t["units"]["financed"])
           for c, t in coops.items()])
    funds = report["totals"]["funds"]
    table("funds", ["fund", "savings", "points", "loans outstanding", "liquidity"],
          [(f, t["savings"], t["points"], t["loans_outstanding"], t["liquidity"]) for f, t in funds.items()])
    if report["discrepancies"]:
        table("DISCREPANCIES", ["figure", "live", "replay"],
              [(d["figure"], d["live"], d["replay"]) for d in report["discrepancies"]])
    else:
        click.echo("no discrepancies: the books follow from the log")


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def digest(obj, as_json: bool) -> None:
    """The head position and hash an auditor writes down (after checking the chain is intact)."""
    from ledger.store.verify import verify

    report = verify(obj.store)
    if not report.intact:
        click.echo(f"error: the log is broken at position {report.first_bad_position}: {report.problem}", err=True)
        sys.exit(1)
    if as_json:
        emit_json({"position": report.head_position, "hash": report.head_hash, "events": report.events})
    else:
        click.echo(f"{report.head_position} {report.head_hash}")


@audit.command()
@click.argument("position", type=click.IntRange(min=1))
@click.argument("hash_", metavar="HASH")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def prove(obj, position: int, hash_: str, as_json: bool) -> None:
    """Show that the log up to POSITION is still the one whose digest was HASH."""
    from ledger.store.verify import verify

    if not re.fullmatch(r"[0-9a-fA-F]{64}", hash_):
        raise click.BadParameter("must be the 64 hex digits of a digest", param_hint="HASH")
    report = verify(obj.store, up_to=position)
    proven = report.intact and report.head_position == position and report.head_hash == hash_.lower()
    if not report.intact:
        reason = f"the log is broken at position {report.first_bad_position}: {report.problem}"
    elif report.head_position < position:
        reason = f"the log holds only {report.head_position} events, not {position}"
    elif not proven:
        reason = f"the hash at position {position} is {report.head_hash}, not {hash_}: the log was rewritten"
    else:
        reason = ""
    if as_json:
        emit_json({"proven": proven, "position": position, "hash": hash_, "found_hash": report.head_hash,
                   "reason": reason or None})
    elif proven:
        click.echo(f"proven: the log up to position {position} is the one digested as {hash_}")
    if not proven:
        if not as_json:
            click.echo(f"NOT PROVEN: {reason}", err=True)
        sys.exit(1)


COMMANDS = [audit]
