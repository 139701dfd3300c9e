"""`mutual propose …`, `mutual proposal list|show|approve|reject` and `mutual policy set approval-limit`: four-eyes
approval at the command line (docs/approvals.md). Each calls one handler of ledger/commands/approvals.py.

At the command line the user is the database's owner (role `owner`: may approve what a treasurer may); the rule
that the approver differs from the proposer holds here as in the web.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

import click

from cli.coop_entry_commands import entry_options, policy_set
from cli.output import emit_json, table
from cli.params import ID, MONEY
from cli.params import actor as _actor

if TYPE_CHECKING:
    from cli.main import Context

OWNER = "owner"


def _runner(url: str) -> Any:
    from cli.invoke import run

    return lambda argv: run(url, argv)


@click.command("propose", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--actor", default=None, help="Who proposes it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the proposal as JSON.")
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_obj
def propose(obj: Context, actor: Optional[str], as_json: bool, argv: tuple[str, ...]) -> None:
    """Propose a command that needs a second user's approval (member leave, loan grant|disburse|write-off, correct,
    period close, reserve spend); it takes effect when a different user approves it.

    \b
    Example:
      mutual propose --actor clerk1 member leave bob --funding top-up --on 2026-10-01
    """
    from cli.invoke import usage_error
    from ledger.approvals.argv import option
    from ledger.commands import approvals

    proposer = _actor(actor or option(list(argv), "--actor"))
    problem = usage_error(list(argv))
    if problem is not None:
        raise click.UsageError(f"the proposed command line: {problem}")
    found = approvals.propose(obj.store, list(argv), proposer, OWNER, runner=_runner(obj.url),
                              need=approvals.need_of(obj.store, list(argv)))
    if as_json:
        emit_json(found.to_json(with_argv=False))
        return
    click.echo(f"proposed {found.proposal_id}: {found.summary} ({found.needs}); awaiting another user's approval")


@click.group("proposal")
def proposal() -> None:
    """Four-eyes proposals: list, show, approve, reject."""


@proposal.command("list")
@click.option("--all", "everything", is_flag=True, help="Every proposal, not only the pending ones.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def proposal_list(obj: Context, everything: bool, as_json: bool) -> None:
    """The pending proposals (newest first), or with --all every one and how it was decided."""
    from ledger.commands import approvals

    found = approvals.listed(obj.store, None if everything else "pending")
    if as_json:
        emit_json([p.to_json(with_argv=False) for p in found])
        return
    table("proposals", ["id", "status", "command", "summary", "proposer", "decided by", "reason"],
          [(p.proposal_id, p.status, p.command, p.summary, p.proposer, p.decided_by or "", p.reason or "")
           for p in found])


@proposal.command("show")
@click.argument("proposal_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def proposal_show(obj: Context, proposal_id: str, as_json: bool) -> None:
    """A proposal: its command line (kept off the chain), its digest on the chain, and where it stands."""
    from ledger.commands import approvals

    found = approvals.find(obj.store, proposal_id)
    if as_json:
        emit_json(found.to_json())
        return
    data = found.to_json()
    data["argv"] = " ".join(found.argv)
    table(f"proposal {proposal_id}", ["field", "value"], [(k, "" if v is None else v) for k, v in data.items()])


@proposal.command("approve")
@click.argument("proposal_id", metavar="ID")
@click.option("--actor", default=None, help="Who approves it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def proposal_approve(obj: Context, proposal_id: str, actor: Optional[str], as_json: bool) -> None:
    """Approve proposal ID: its command runs now, as you, against the books as they stand; if they no longer allow
    it the proposal is refused with the command's reason and nothing of the command is written."""
    from ledger.commands import approvals

    approver = _actor(actor)
    decision = approvals.approve(obj.store, proposal_id, approver, _role_of(obj, approver), _runner(obj.url))
    _decided(decision, as_json)


@proposal.command("reject")
@click.argument("proposal_id", metavar="ID")
@click.option("--reason", required=True, help="Why (one line, kept on the chain).")
@click.option("--actor", default=None, help="Who rejects it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def proposal_reject(obj: Context, proposal_id: str, reason: str, actor: Optional[str], as_json: bool) -> None:
    """Reject proposal ID (its proposer may withdraw it the same way): its command never runs."""
    from ledger.commands import approvals

    by = _actor(actor)
    _decided(approvals.reject(obj.store, proposal_id, by, _role_of(obj, by), reason), as_json)


def _role_of(obj: Context, actor: str) -> str:
    """The role a decision at the command line is made in: the database owner's, unless the actor is a web user's
    name, when it is that user's (the record would show them deciding) and a disabled user decides nothing."""
    from ledger.errors import FieldError, ValidationFailed
    from ledger.store.users import UserTable

    user = UserTable(obj.store.engine).get(actor.strip().lower())  # `Clerk2` on the record reads as clerk2
    if user is None:
        return OWNER
    if not user.active:
        raise ValidationFailed([FieldError("actor", f"{actor} is a disabled user: they decide nothing")],
                               where="decision refused, nothing written")
    return user.role


def _decided(decision: Any, as_json: bool) -> None:
    if as_json:
        emit_json(decision.to_json())
    else:
        why = f": {decision.reason}" if decision.reason else ""
        where = f" (events at positions {', '.join(map(str, decision.positions))})" if decision.positions else ""
        click.echo(f"{decision.proposal_id} {decision.status} by {decision.by}{why}{where}")
    if decision.status == "refused":
        raise SystemExit(1)


@policy_set.command("approval-limit")
@click.argument("coop", type=ID)
@click.option("--reserve-spending-limit", "limit", type=MONEY, required=True,
              help="Reserve spending above this needs a second user's approval.")
@entry_options
@click.pass_obj
def policy_approval_limit(obj: Context, coop: str, limit: Decimal, on: date, dry_run: bool, key: Optional[str],
                          actor: Optional[str], as_json: bool) -> None:
    """From a date, COOP's reserve spending above the limit needs a second user's approval (without a limit, all
    of it does: docs/approvals.md).

    \b
    Example:
      mutual policy set approval-limit riverside --reserve-spending-limit 2500 --on 2026-01-01
    """
    from ledger.commands import approvals

    result = approvals.set_approval_limit(obj.store, coop, limit, on, _actor(actor), key=key, dry_run=dry_run)
    if isinstance(result, dict):
        if as_json:
            emit_json(result)
        else:
            click.echo(f"dry run: approval limit of {coop} set to {limit} from {on.isoformat()} (nothing written)")
        return
    if as_json:
        emit_json({"written": result.written, "positions": result.positions, "head_position": result.head.position,
                   "head_hash": result.head.hash})
    else:
        click.echo(f"approval limit of {coop} set ({result.written} written); head {result.head.position}")


COMMANDS = [propose, proposal]
