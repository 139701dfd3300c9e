"""`mutual arrears` (a co-op's arrears by member and month, aged) and `mutual arrangement` (repayment arrangements:
agree one, show a member's). docs/arrears.md says how payments are allocated to months and when an arrangement is
broken."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json, money_for_people, table
from cli.params import ID, ISO_DATE, MONEY, TIMESTAMP, books, output_options, query_options, write_options
from cli.params import actor as actor_of

if TYPE_CHECKING:
    from cli.main import Context


class MonthParam(click.ParamType):
    """A month as YYYY-MM."""

    name = "month"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
            self.fail(f"{value!r} is not a month YYYY-MM", param, ctx)
        return value


MONTH = MonthParam()
BUCKET_COLUMNS = ("0-30 days", "31-60 days", "61-90 days", "90+ days")


def _pounds(value: Any) -> str:
    """An amount in a sentence, for people (en_GB: £1,234.56); in a table the column's kind formats it."""
    return money_for_people(Decimal(str(value)))


@click.command("arrears")
@click.option("--coop", "coop_id", type=ID, required=True, help="The co-op.")
@click.option("--as-of", type=ISO_DATE, default=None, help="Effective date of the figures (default: today).")
@click.option("--as-known-at", type=TIMESTAMP, default=None,
              help="Show the books as they stood at this recorded time (what an earlier audit saw).")
@click.option("--broken", "broken_only", is_flag=True, help="Only members whose latest arrangement is broken.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (amounts as strings).")
@output_options
@click.pass_obj
def arrears(obj: Context, coop_id: str, as_of: date | None, as_known_at: datetime | None, broken_only: bool,
            as_json: bool) -> None:
    """The members of a co-op in arrears on a date: the months unpaid or part-paid, what is outstanding, aged by
    days past each month's due date, and the state of their repayment arrangements.

    \b
    Example:
      mutual arrears --coop riverside --as-of 2025-06-30
      mutual arrears --coop riverside --as-of 2025-06-30 --broken --json
    """
    from projections.arrears import coop_arrears

    as_of = as_of or date.today()
    data = coop_arrears(books(obj, as_known_at), coop_id, as_of, broken_only=broken_only)
    if as_json:
        emit_json(data)
        return
    which = "broken arrangements" if broken_only else "arrears"
    table(f"{which} of co-op {coop_id} on {as_of.isoformat()}",
          ["member", "months in arrears", "outstanding", *BUCKET_COLUMNS, "arrangement"],
          [(r["member"] + (f" (left {r['left_on'].isoformat()})" if r["left_on"] else ""),
            r["months_in_arrears"] or "-", r["outstanding"],
            *r["buckets"].values(), r["arrangement"] or "-") for r in data["members"]])
    click.echo(f"{data['members_in_arrears']} member(s) in arrears, {_pounds(data['outstanding'])} outstanding ("
               + ", ".join(f"{k} days {_pounds(v)}" for k, v in data["buckets"].items())
               + f"); {data['broken_arrangements']} broken arrangement(s)")


@click.group()
def arrangement() -> None:
    """Repayment arrangements: a member pays an agreed amount a month on top of the normal payment to clear arrears."""


@arrangement.command("agree")
@click.argument("member_id", metavar="MEMBER", type=ID)
@click.option("--amount", type=MONEY, required=True, help="The monthly instalment on top of the normal payment.")
@click.option("--from", "start_month", type=MONTH, required=True, help="The first month, YYYY-MM.")
@click.option("--months", type=click.IntRange(1, 600), required=True, help="How many months.")
@click.option("--on", "on", type=ISO_DATE, default=None, help="The day it was agreed (default: today).")
@click.option("--reason", default=None, help="Why (kept with the arrangement).")
@click.option("--key", default=None, help="Idempotency key (default: derived from the arrangement itself).")
@write_options
@click.pass_obj
def arrangement_agree(obj: Context, member_id: str, amount: Decimal, start_month: str, months: int, on: date | None,
                      reason: str | None, key: str | None, actor: str | None, as_json: bool) -> None:
    """Agree a repayment arrangement with MEMBER: AMOUNT a month on top of the normal payment, for MONTHS months from
    a month, to clear their arrears. Refused for a member with no arrears, a start before the month it is agreed in,
    or months overlapping an arrangement still on track. Checked and recorded as `mutual record` records.

    \b
    Example:
      mutual arrangement agree alice --amount 50.00 --from 2025-07 --months 6 --on 2025-06-20 --reason "hardship"
    """
    from ledger import streams
    from ledger.commands.coop import record
    from ledger.money import money_text
    from ledger.periods import adjustment_metadata

    on = on or date.today()
    payload: dict[str, Any] = {"member_id": member_id, "amount": money_text(amount), "start_month": start_month,
                               "months": months}
    if reason is not None:
        payload["reason"] = reason
    envelope: dict[str, Any] = {"stream": streams.member(member_id), "type": "ArrangementAgreed",
                                "effective_date": on.isoformat(), "payload": payload}
    if key is not None:
        envelope["idempotency_key"] = key
    if adjustment_metadata():  # (--prior-period REASON: into a closed period, said so)
        envelope["metadata"] = adjustment_metadata()
    result = record(obj.store, [envelope], actor=actor_of(actor))
    summary = {"written": result.written, "already_recorded": bool(result.already_recorded),
               "head_position": result.head_position, "head_hash": result.head_hash}
    if as_json:
        emit_json(summary)
    elif not result.written:
        click.echo(f"arrangement for {member_id}: already recorded; nothing written")
    else:
        click.echo(f"arrangement for {member_id} agreed: {money_text(amount)} a month for {months} month(s) from "
                   f"{start_month}; head {result.head_position} {result.head_hash}")


@arrangement.command("show")
@click.argument("member_id", metavar="MEMBER", type=ID)
@query_options
@click.pass_obj
def arrangement_show(obj: Context, member_id: str, as_of: date | None, as_known_at: datetime | None,
                     as_json: bool) -> None:
    """MEMBER's arrangements and their state on a date (on track, completed, broken, ended early), with the
    months in arrears.

    \b
    Example:
      mutual arrangement show alice --as-of 2025-09-30
    """
    from projections.arrears import member_arrears_show

    as_of = as_of or date.today()
    data = member_arrears_show(books(obj, as_known_at), member_id, as_of)
    if as_json:
        emit_json(data)
        return
    if not data["arrangements"]:
        click.echo(f"no arrangements agreed with {member_id} by {as_of.isoformat()}")
    else:
        table(f"arrangements of {member_id} on {as_of.isoformat()}",
              ["agreed on", "from", "to", "amount", "state", "required", "paid"],
              [(a["agreed_on"], a["start_month"], a["last_month"], a["amount"], a["summary"],
                a["required"], a["paid"]) for a in data["arrangements"]])
    click.echo(f"arrears {_pounds(data['outstanding'])}: {data['months_in_arrears'] or 'none'}")


COMMANDS = [arrears, arrangement]
