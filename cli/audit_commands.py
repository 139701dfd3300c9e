"""Commands for auditors: the digest to write down (signed, and kept in a witness file outside the database),
and the proof that the log still matches it."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json, table
from cli.params import ISO_DATE, POSITION, TIMESTAMP, output_options
from ledger.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    from cli.main import Context
    from ledger.store.digests import WitnessLine


@click.group(invoke_without_command=True)
@click.option("--as-known-at", type=TIMESTAMP, default=None, help="Audit the books as they stood at this UTC time.")
@click.option("--as-of", type=ISO_DATE, default=None, help="Totals on this effective date (default: the log's last).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=None,
              help="Processes the replay folds in (default: one per core).")
@click.option("--witness", "witness_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A witness file of signed digests: every one must still hold (needs --public-key).")
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The society's public key (PEM) the witness's digests are signed with.")
@click.option("--timings", is_flag=True, help="Also report each phase's seconds (verify, replay, checkpoints, live).")
@output_options
@click.pass_context
def audit(ctx: click.Context, as_known_at: datetime | None, as_of: date | None, as_json: bool, workers: int | None,
          witness_file: str | None, public_key_file: str | None, timings: bool) -> None:
    """Verify the chain, check every event's schema, replay every projection, compare.

    One walk over the log checks the chain and every event (as an import
    would check it); the replayed books are compared with the live read side and with every
    checkpoint (its books replayed from the log up to its position). With
    --witness, every signed digest in the file must still hold: a cut tail or
    a rewritten history names the first one that no longer does.
    Exits non-zero if anything differs. Subcommands: digest, prove, checkpoint, checkpoints, keygen.
    """
    if ctx.invoked_subcommand is not None:
        return
    from projections.audit import run_audit

    witness, key = _witness_and_key(witness_file, public_key_file)
    store = ctx.obj.store
    if sys.stderr.isatty() and not as_json:
        from rich.progress import Progress, TaskID

        with Progress(transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(stage: str, n: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=None)
                bar.advance(tasks[stage], n)

            report = run_audit(store, as_known_at=as_known_at, as_of=as_of, on_progress=advance, workers=workers,
                               witness=witness, public_key=key)
    else:
        report = run_audit(store, as_known_at=as_known_at, as_of=as_of, workers=workers, witness=witness,
                           public_key=key)
    phases = report.pop("timings", {})
    if as_json:
        emit_json({**report, "timings": phases} if timings else report)
    else:
        _print_report(report)
        if timings:
            click.echo("phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items()))
    if report["discrepancies"]:
        sys.exit(1)


def _print_report(report: Mapping[str, Any]) -> None:
    chain = report["chain"]
    click.echo(f"audit of {report['events']} events, totals on {report['as_of']}"
               + (f", as known at {report['as_known_at']}" if report["as_known_at"] else ""))
    click.echo(f"chain: {'intact' if chain['intact'] else 'BROKEN'}, "
               f"head {chain['head_position']} {chain['head_hash']}")
    table("events by type", ["type", "count"], sorted(report["events_by_type"].items()))
    coops = report["totals"]["coops"]
    table("co-ops", ["co-op", "debt", "reserve", "members", "units clt", "units member", "units financed"],
          [(c, t["debt"], t["reserve"], t["members"], t["units"]["clt"], t["units"]["member"], t["units"]["financed"])
           for c, t in coops.items()])
    funds = report["totals"]["funds"]
    table("funds", ["fund", "savings", "points", "loans outstanding", "liquidity"],
          [(f, t["savings"], t["points"], t["loans_outstanding"], t["liquidity"]) for f, t in funds.items()])
    for checkpoint in report.get("checkpoints", []):
        click.echo(f"checkpoint {checkpoint['checkpoint']}: position {checkpoint['position']}, as of "
                   f"{checkpoint['as_of']}, taken {_when(checkpoint['recorded_at'])} by {checkpoint['actor']}"
                   + (f" (MALFORMED: {checkpoint['malformed']})" if checkpoint.get("malformed") else ""))
    if report.get("witness") is not None:
        click.echo(f"witness: {report['witness']['digests']} signed digests checked")
    if report["discrepancies"]:
        table("DISCREPANCIES", ["figure", "live (or checkpoint)", "replay"],
              [(d["figure"], d["live"], d["replay"]) for d in report["discrepancies"]])
    else:
        click.echo("no discrepancies: the books follow from the log")


def _when(recorded: datetime | None) -> str:
    from ledger.clock import format_recorded_at

    return format_recorded_at(recorded) if recorded is not None else "at an unreadable time"


@audit.command()
@click.option("--sign", "key_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Sign the digest with the society's private key (PEM, made by `mutual audit keygen`).")
@click.option("--witness", "witness_file", type=click.Path(dir_okay=False), default=None,
              help="Append the signed digest as one JSON line to this file, kept outside the database.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def digest(obj: Context, key_file: str | None, witness_file: str | None, as_json: bool) -> None:
    """The head position and hash an auditor writes down (after checking the chain is intact).

    With --sign, the position, hash and time signed with the society's key; with --witness, also appended to a
    witness file, once every digest already in it is shown to still hold (nothing is signed over a cut tail).
    """
    from ledger.store.digests import holds, positions, read_witness, sign
    from ledger.store.verify import verify

    if witness_file is not None and key_file is None:
        raise click.BadParameter("needs --sign KEYFILE: a witness keeps signed digests only", param_hint="--witness")
    key = _private_key(key_file) if key_file is not None else None
    witness = read_witness(_read(witness_file, "--witness").splitlines()) \
        if witness_file is not None and os.path.exists(witness_file) else []
    report = verify(obj.store, collect=positions(witness))
    if not report.intact:
        click.echo(f"error: the log is broken at position {report.first_bad_position}: {report.problem}", err=True)
        sys.exit(1)
    if key is None:
        if as_json:
            emit_json({"position": report.head_position, "hash": report.head_hash, "events": report.events})
        else:
            click.echo(f"{report.head_position} {report.head_hash}")
        return
    for line in witness:
        problem = line.problem if line.digest is None else holds(line.digest, report.head_position, None,
                                                                 report.hashes or {})
        if problem:
            where = f"line {line.number}" + (f" ({line.digest.describe()})" if line.digest else "")
            raise ValidationFailed([FieldError("--witness", f"{where}: {problem}; nothing was signed or appended "
                                                            "(`mutual audit --witness` shows what no longer holds)")])
    signed = sign(key, report.head_position, report.head_hash, obj.store.clock())
    if witness_file is not None:
        _append_line(witness_file, signed.line())
    if as_json:
        emit_json(signed.to_json())
    else:
        click.echo(signed.line())


@audit.command()
@click.option("-o", "--output", "path", type=click.Path(dir_okay=False), required=True,
              help="Where to write the private key (mode 0600; an existing file is never overwritten).")
def keygen(path: str) -> None:
    """Make the society's signing key: the private key to a file only its owner reads, the public key on stdout.

    Keep the private key with whoever signs digests (the treasurer), away from the database; give the public key
    to the auditors: `mutual audit prove` and `mutual audit --witness` check signatures against it.
    """
    from ledger.store.digests import new_key

    private, public = new_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValidationFailed([FieldError("--output", f"{path} exists: a key is never overwritten")]) from None
    except OSError as exc:
        raise ValidationFailed([FieldError("--output", f"cannot write {path}: {exc.strerror}")]) from None
    with os.fdopen(fd, "wb") as out:
        if hasattr(os, "fchmod"):
            os.fchmod(out.fileno(), 0o600)  # exactly: the umask may only have taken bits away
        out.write(private)
        out.flush()
        os.fsync(out.fileno())
    click.echo(public.decode(), nl=False)
    click.echo(f"private key written to {path} (mode 0600); the public key above is for the auditors", err=True)


@audit.command()
@click.argument("position", type=POSITION, required=False)
@click.argument("hash_", metavar="HASH", required=False)
@click.option("--signed", "signed_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True), default=None,
              help="A signed digest (as `audit digest --sign` printed it; - for stdin) to prove.")
@click.option("--witness", "witness_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A witness file: prove every signed digest in it.")
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The society's public key (PEM) the digests must be signed with.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def prove(obj: Context, position: int | None, hash_: str | None, signed_file: str | None, witness_file: str | None,
          public_key_file: str | None, as_json: bool) -> None:
    """Show that the log up to POSITION is still the one whose digest was HASH.

    Or, with --public-key: that a signed digest (--signed FILE), or every one in a witness file (--witness FILE),
    was signed with the society's key and still holds.
    """
    if signed_file is not None or witness_file is not None:
        if position is not None or hash_ is not None:
            raise click.UsageError("give POSITION HASH, or --signed / --witness with --public-key, not both")
        _prove_signed(obj, signed_file, witness_file, public_key_file, as_json)
        return
    if position is None or hash_ is None:
        raise click.UsageError("POSITION and HASH are required (or --signed FILE / --witness FILE with --public-key)")
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


def _prove_signed(obj: Context, signed_file: str | None, witness_file: str | None, public_key_file: str | None,
                  as_json: bool) -> None:
    """Every digest given: signed with the key, and kept by the log (one verify pass for all of them)."""
    from ledger.store.digests import WitnessLine, check_witness, parse, positions, public_key, read_witness
    from ledger.store.verify import verify

    if witness_file is not None and signed_file is not None:
        raise click.UsageError("give --signed or --witness, not both")
    if public_key_file is None:
        raise click.BadParameter("is required to check signed digests: the society's public key",
                                 param_hint="--public-key")
    key = public_key(_read(public_key_file, "--public-key"), "--public-key")
    if witness_file is not None:
        lines = read_witness(_read(witness_file, "--witness").splitlines())
    else:
        assert signed_file is not None, "prove passes --signed or --witness"
        try:
            lines = [WitnessLine(1, parse(_read(signed_file, "--signed")))]
        except ValueError as exc:
            raise ValidationFailed([FieldError("--signed", f"{signed_file} {exc}")]) from None
    report = verify(obj.store, collect=positions(lines))
    problems = check_witness(lines, key, report.head_position, report.first_bad_position, report.hashes or {})
    last = max((line.digest for line in lines if line.digest is not None), key=lambda d: d.position, default=None)
    if as_json:
        emit_json({"proven": not problems, "digests": len(lines), "problems": problems,
                   "head_position": report.head_position})
    elif not problems and witness_file is None:
        assert last is not None, "the signed digest given, which holds"
        click.echo(f"proven: the log up to position {last.position} is the one signed as {last.hash} at "
                   f"{last.signed_at} by key {last.key}")
    elif not problems:
        click.echo(f"proven: all {len(lines)} signed digests of {witness_file} still hold"
                   + (f" (the last at position {last.position})" if last else ""))
    if problems:
        if not as_json:
            for problem in problems:
                click.echo(f"NOT PROVEN: {problem['figure']}: {problem['replay']}", err=True)
        sys.exit(1)


def _read(path: str, field: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise ValidationFailed([FieldError(field, f"cannot read {path}: {exc.strerror}")]) from None


def _private_key(path: str) -> Ed25519PrivateKey:
    """The society's private key; refused if others may read the file (as ssh does)."""
    from ledger.store.digests import private_key

    if os.name == "posix":
        mode = os.stat(path).st_mode & 0o777
        if mode & 0o077:
            raise ValidationFailed([FieldError("--sign", f"{path} may be read by others (mode {mode:04o}): "
                                                         f"`chmod 600 {path}` first")])
    return private_key(_read(path, "--sign"), "--sign")


def _witness_and_key(witness_file: str | None,
                     public_key_file: str | None) -> tuple[list[WitnessLine] | None, Ed25519PublicKey | None]:
    """The witness's lines and the public key its digests are checked with (both or neither)."""
    from ledger.store.digests import public_key, read_witness

    if witness_file is None and public_key_file is None:
        return None, None
    if public_key_file is None:
        raise click.BadParameter("is required with --witness: the society's public key the digests are signed "
                                 "with", param_hint="--public-key")
    if witness_file is None:
        raise click.BadParameter("is needed with --public-key: the file of signed digests to check",
                                 param_hint="--witness")
    key = public_key(_read(public_key_file, "--public-key"), "--public-key")
    return read_witness(_read(witness_file, "--witness").splitlines()), key


def _append_line(path: str, line: str) -> None:
    """Append one line to a witness file and make it durable (the file is only ever appended to)."""
    try:
        ends_a_line = not os.path.exists(path) or Path(path).read_bytes()[-1:] in (b"", b"\n")
        with open(path, "ab") as out:
            out.write((b"" if ends_a_line else b"\n") + line.encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise ValidationFailed([FieldError("--witness", f"cannot append to {path}: {exc.strerror}")]) from None


@audit.command()
@click.option("--as-of", type=ISO_DATE, default=None,
              help="The books on this effective date (default: the log's last).")
@click.option("--actor", default=None, help="Who takes it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=None,
              help="Processes the books are folded in (default: one per core).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def checkpoint(obj: Context, as_of: date | None, actor: str | None, workers: int | None, as_json: bool) -> None:
    """Keep the books folded at the head of the log (after checking the chain): later audits replay against them."""
    from cli.params import actor as _actor
    from projections.audit import take_checkpoint

    taken = take_checkpoint(obj.store, actor=_actor(actor), as_of=as_of, workers=workers)
    if as_json:
        emit_json(dict(taken.to_json(), books=taken.books))
    else:
        assert taken.as_of is not None, "a checkpoint just taken has its date"
        click.echo(f"checkpoint {taken.checkpoint_id}: position {taken.position} {taken.head_hash}, "
                   f"books as of {taken.as_of.isoformat()}, sha256 {taken.books_hash}")


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def checkpoints(obj: Context, as_json: bool) -> None:
    """The checkpoints taken so far, oldest first."""
    from ledger.store.checkpoints import checkpoints as taken

    found = taken(obj.store)
    if as_json:
        emit_json([c.to_json() for c in found])
        return
    table("checkpoints", ["checkpoint", "position", "as of", "taken", "by", "books sha256", "malformed"],
          [(c.checkpoint_id, c.position, c.as_of, c.recorded_at, c.actor, c.books_hash, c.malformed or "")
           for c in found])


COMMANDS = [audit]
