"""Commands of the shared-equity co-op: member/dwelling/coop show, register, accrue, record."""

from __future__ import annotations

from datetime import date, datetime
from typing import IO, TYPE_CHECKING, Optional

import click
import orjson

from cli.output import emit_json, table
from cli.params import ISO_DATE, books, query_options
from cli.params import actor as _actor

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.source import StoreSource

def _view(obj: Context, as_known_at: Optional[datetime]) -> StoreSource:
    return books(obj, as_known_at)


def _flat(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for key in sorted(data):
        value = data[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flat(value, name + ".")
        elif isinstance(value, list):
            rows.append((name, ", ".join(str(v if not isinstance(v, dict) else orjson.dumps(v, default=str).decode())
                                         for v in value)))
        else:
            rows.append((name, value))
    return rows


def _show(title: str, data: dict, as_json: bool) -> None:
    if as_json:
        emit_json(data)
    else:
        table(title, ["figure", "value"], _flat(data))


@click.group()
def member() -> None:
    """A member's position."""


@member.command("show")
@click.argument("member_id")
@query_options
@click.pass_obj
def member_show(obj: Context, member_id: str, as_of: Optional[date], as_known_at: Optional[datetime],
                as_json: bool) -> None:
    """Units, debt share, equity, payout if leaving, arrears and share capital of MEMBER_ID on a date."""
    from projections.coop import member_show as show

    as_of = as_of or date.today()
    _show(f"member {member_id} on {as_of.isoformat()}", show(_view(obj, as_known_at), member_id, as_of), as_json)


@click.group()
def dwelling() -> None:
    """A dwelling: units by holder, value, occupant."""


@dwelling.command("show")
@click.argument("dwelling_id")
@query_options
@click.pass_obj
def dwelling_show(obj: Context, dwelling_id: str, as_of: Optional[date], as_known_at: Optional[datetime],
                  as_json: bool) -> None:
    """Units by holder, value and occupant of DWELLING_ID on a date."""
    from projections.coop import dwelling_show as show

    as_of = as_of or date.today()
    _show(f"dwelling {dwelling_id} on {as_of.isoformat()}", show(_view(obj, as_known_at), dwelling_id, as_of), as_json)


@click.group()
def coop() -> None:
    """A co-op: debt, reserve, charges, members."""


@coop.command("show")
@click.argument("coop_id")
@query_options
@click.pass_obj
def coop_show(obj: Context, coop_id: str, as_of: Optional[date], as_known_at: Optional[datetime],
              as_json: bool) -> None:
    """Debt, reserve, charges collected and budgeted, and members of COOP_ID on a date."""
    from projections.coop import coop_show as show

    as_of = as_of or date.today()
    _show(f"co-op {coop_id} on {as_of.isoformat()}", show(_view(obj, as_known_at), coop_id, as_of), as_json)


@click.command("register")
@click.argument("society_id")
@query_options
@click.pass_obj
def register(obj: Context, society_id: str, as_of: Optional[date], as_known_at: Optional[datetime],
             as_json: bool) -> None:
    """The register of members and shares of SOCIETY_ID on a date, and who may vote."""
    from projections.coop import register_show

    as_of = as_of or date.today()
    data = register_show(_view(obj, as_known_at), society_id, as_of)
    if as_json:
        emit_json(data)
        return
    table(f"register of {society_id} on {as_of.isoformat()}", ["member", "shares", "admitted", "left", "may vote"],
          [(r["member"], r["shares"], r["admitted_on"], r["left_on"], "yes" if r["may_vote"] else "no")
           for r in data["members"]])


@click.command("accrue")
@click.option("--through", type=ISO_DATE, required=True, help="Accrue everything due up to and including this date.")
@click.option("--actor", default=None, help="Recorded as the actor (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def accrue(obj: Context, through: date, actor: Optional[str], as_json: bool) -> None:
    """Post the lender's mortgage years, payment indexation and dues through a date (idempotent).

    The members' debt-share years and the reserve are not posted: the books compute them on read.
    """
    from ledger.commands.coop import accrue as run

    result = run(obj.store, through, actor=_actor(actor))
    summary = {"through": result.through, "planned": result.planned, "written": result.written,
               "by_type": result.by_type}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"accrued through {through.isoformat()}: {result.written} events written "
                   + (", ".join(f"{k} {v}" for k, v in result.by_type.items()) or "(nothing new)"))


@click.command("record")
@click.argument("source", type=click.File("rb"))
@click.option("--actor", default=None, help="Recorded as the actor of events that name none.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def record(obj: Context, source: IO[bytes], actor: Optional[str], as_json: bool) -> None:
    """Record JSON-lines events from SOURCE (- for stdin), checking the co-op's invariants. All or nothing.

    The fund's events, corrections and period closes are refused here: each has its own command, which checks it
    (the error names it).
    """
    from ledger.commands.coop import record as run
    from ledger.errors import FieldError, ValidationFailed

    envelopes = []
    for number, line in enumerate(source.read().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            envelopes.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise ValidationFailed([FieldError("line", f"{number} is not JSON ({exc})")],
                                   where="nothing written") from exc
    result = run(obj.store, envelopes, actor=_actor(actor))
    summary = {"checked": result.checked, "written": result.written, "already_recorded": result.already_recorded,
               "head_position": result.head_position, "head_hash": result.head_hash}
    if as_json:
        emit_json(summary)
    else:
        already = f"; {result.already_recorded} already recorded, not written again" if result.already_recorded else ""
        click.echo(f"recorded {result.written} of {result.checked} events{already}; "
                   f"head {result.head_position} {result.head_hash}")


COMMANDS = [member, dwelling, coop, register, accrue, record]
