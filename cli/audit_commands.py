"""Commands for auditors: the digest to write down, and the proof that the log still matches it."""

from __future__ import annotations

import re
import sys

import click

from cli.output import emit_json, table
from cli.params import ISO_DATE, POSITION, TIMESTAMP


@click.group(invoke_without_command=True)
@click.option("--as-known-at", type=TIMESTAMP, default=None, help="Audit the books as they stood at this UTC time.")
@click.option("--as-of", type=ISO_DATE, default=None, help="Totals on this effective date (default: the log's last).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=None,
              help="Processes the replay folds in (default: one per core).")
@click.pass_context
def audit(ctx, as_known_at, as_of, as_json: bool, workers: int | None) -> None:
    """Replay the whole log in a scratch store, rebuild every projection, compare, verify the chain.

    The replayed books are compared with the live read side and with the
    latest checkpoint (its books replayed from the log up to its position).
    Exits non-zero if anything differs. Subcommands: digest, prove, checkpoint, checkpoints.
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

            report = run_audit(store, as_known_at=as_known_at, as_of=as_of, on_progress=advance, workers=workers)
    else:
        report = run_audit(store, as_known_at=as_known_at, as_of=as_of, workers=workers)
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
    checkpoint = report.get("checkpoint")
    if checkpoint:
        from ledger.clock import format_recorded_at

        click.echo(f"checkpoint {checkpoint['checkpoint']}: position {checkpoint['position']}, as of "
                   f"{checkpoint['as_of']}, taken {format_recorded_at(checkpoint['recorded_at'])} "
                   f"by {checkpoint['actor']}")
    if report["discrepancies"]:
        table("DISCREPANCIES", ["figure", "live (or checkpoint)", "replay"],
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
@click.argument("position", type=POSITION)
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


@audit.command()
@click.option("--as-of", type=ISO_DATE, default=None, help="The books on this effective date (default: the log's last).")
@click.option("--actor", default=None, help="Who takes it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=None,
              help="Processes the books are folded in (default: one per core).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def checkpoint(obj, as_of, actor, workers, as_json: bool) -> None:
    """Keep the books folded at the head of the log (after checking the chain): later audits replay against them."""
    from cli.store_commands import _actor
    from projections.audit import take_checkpoint

    taken = take_checkpoint(obj.store, actor=_actor(actor), as_of=as_of, workers=workers)
    if as_json:
        emit_json(dict(taken.to_json(), books=taken.books))
    else:
        click.echo(f"checkpoint {taken.checkpoint_id}: position {taken.position} {taken.head_hash}, "
                   f"books as of {taken.as_of.isoformat()}, sha256 {taken.books_hash}")


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def checkpoints(obj, as_json: bool) -> None:
    """The checkpoints taken so far, oldest first."""
    from ledger.store.checkpoints import checkpoints as taken

    found = taken(obj.store)
    if as_json:
        emit_json([c.to_json() for c in found])
        return
    table("checkpoints", ["checkpoint", "position", "as of", "taken", "by", "books sha256"],
          [(c.checkpoint_id, c.position, c.as_of, c.recorded_at, c.actor, c.books_hash) for c in found])


COMMANDS = [audit]
