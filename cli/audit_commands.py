"""Commands for auditors: the digest to write down, and the proof that the log still matches it."""

from __future__ import annotations

import re
import sys

import click

from cli.output import emit_json


@click.group()
def audit() -> None:
    """Digests and proofs of the log (and, with the read side, a full replay)."""


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
