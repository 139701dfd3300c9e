"""Corrections and period closes: `mutual correct`, `mutual period close|list` (docs/audit.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Optional

import click
import orjson

from cli.output import emit_json, table
from cli.params import ISO_DATE, POSITION, TIMESTAMP, output_options
from cli.params import actor as _actor

if TYPE_CHECKING:
    from cli.main import Context


class JsonObject(click.ParamType):
    name = "json"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        try:
            parsed = orjson.loads(value)
        except (orjson.JSONDecodeError, TypeError) as exc:
            self.fail(f"is not valid JSON ({exc})", param, ctx)
        if not isinstance(parsed, dict):
            self.fail("must be a JSON object such as '{\"member_id\": \"m1\", ...}'", param, ctx)
        return parsed


class SocietyId(click.ParamType):
    name = "society"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> str:
        import re

        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}", value):
            self.fail(f"{value!r} is not an id (letters, digits and _ . : -, starting with a letter or digit)",
                      param, ctx)
        return value


@click.command("correct")
@click.argument("position", type=POSITION)
@click.option("--reason", required=True, help="Why the event is reversed (recorded with the correction).")
@click.option("--replacement-type", default=None, help="The event type that takes the reversed event's place.")
@click.option("--replacement-payload", type=JsonObject(), default=None, help="Its payload, as a JSON object.")
@click.option("--on", "on", type=ISO_DATE, default=None,
              help="Effective date of the correction and its replacement (default: the reversed event's).")
@click.option("--prior-period", is_flag=True,
              help="Record it as a prior-period adjustment (needed when a date falls inside a closed period).")
@click.option("--actor", default=None, help="Who records it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def correct(obj: Context, position: int, reason: str, replacement_type: str | None,
            replacement_payload: dict[str, Any] | None, on: date | None, prior_period: bool, actor: str | None,
            as_json: bool) -> None:
    """Reverse the event at POSITION, optionally putting a replacement in its place.

    Writes a new event; edits nothing."""
    from ledger.commands.audit import reverse_event

    result = reverse_event(obj.store, position, reason, _actor(actor), replacement_type=replacement_type,
                           replacement_payload=replacement_payload, effective_date=on,
                           prior_period_adjustment=prior_period)
    if as_json:
        emit_json(result.to_json())
        return
    replaced = f", replaced by a {result.replacement_type}" if result.replacement_type else ""
    if result.written:
        click.echo(f"position {position} on {result.stream} reversed at position {result.reversal_position}{replaced}; "
                   f"head {result.head_position} {result.head_hash}")
    else:
        click.echo(f"already recorded: position {position} was reversed at position {result.reversal_position}")


@click.group()
def period() -> None:
    """Closed financial periods of a co-op, CLT or fund."""


@period.command("close")
@click.argument("society", type=SocietyId())
@click.option("--start", type=ISO_DATE, required=True, help="First day of the period.")
@click.option("--end", type=ISO_DATE, required=True, help="Last day of the period.")
@click.option("--actor", default=None, help="Who records it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def period_close(obj: Context, society: str, start: date, end: date, actor: str | None, as_json: bool) -> None:
    """Close SOCIETY's period START..END: later events dated inside it need a prior-period adjustment."""
    from ledger.commands.audit import close_period

    result = close_period(obj.store, society, start, end, _actor(actor))
    if as_json:
        emit_json({"society": society, "start": start, "end": end, "written": result.written,
                   "positions": result.positions, "head_position": result.head.position,
                   "head_hash": result.head.hash})
    else:
        click.echo(f"closed {start.isoformat()} to {end.isoformat()} of {society}; "
                   f"head {result.head.position} {result.head.hash}")


@period.command("list")
@click.argument("society", type=SocietyId())
@click.option("--as-known-at", type=TIMESTAMP, default=None,
              help="The closes as the books stood at this recorded time.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def period_list(obj: Context, society: str, as_known_at: datetime | None, as_json: bool) -> None:
    """SOCIETY's closed periods."""
    from ledger.commands.audit import closed_periods
    from projections.view import LedgerView

    rows = closed_periods(LedgerView(obj.store, as_known_at), society)
    if as_json:
        emit_json(rows)
        return
    table(f"closed periods of {society}", ["start", "end", "position", "actor", "recorded at"],
          [(r["start"], r["end"], r["position"], r["actor"], r["recorded_at"]) for r in rows])


COMMANDS = [correct, period]
