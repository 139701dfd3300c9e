"""The savings-and-loans fund: `mutual savings`, `mutual loan`, `mutual fund`, `mutual points` (and
`mutual jak settle`, the old name of `mutual fund releases`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import click

from cli.output import current, emit_json, table
from cli.params import (
    DECIMAL,
    ID,
    ISO_DATE,
    KNOWN_HELP,
    MONEY,
    TIMESTAMP,
    actor,
    books,
    output_options,
    query_options,
    write_options,
)

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.commands.fund import Written
    from ledger.rules.loans import LoanContract

HolderKind = Literal["member", "coop"]

REFERENCE_HELP = "The bank reference or statement line: tells two equal payments on one day apart."


_view = books
_actor = actor


def _today(value: date | None) -> date:
    return value or date.today()


def _written(result: Written, as_json: bool, what: str) -> None:
    """What a write command did; a retry of what the log holds already says so, writing nothing (exit 0)."""
    key = getattr(result, "key", None)
    summary = {"written": result.written, "positions": result.positions, "head_position": result.head.position,
               "head_hash": result.head.hash, "already_recorded": not result.written}
    if key is not None:
        summary["key"] = key
    if as_json:
        emit_json(summary)
    elif not result.written:
        found = f"key {key}, " if key else ""
        click.echo(f"{what}: already recorded ({found}position {', '.join(map(str, result.positions))}); "
                   "nothing written")
    else:
        click.echo(f"{what}: {result.written} event(s) written; head {result.head.position} {result.head.hash}")


# --- savings ---------------------------------------------------------------------------------------


@click.group()
def savings() -> None:
    """Savings accounts and savings points of members and co-ops."""


@savings.command("show")
@click.argument("holder", type=ID)
@query_options
@click.pass_obj
def savings_show(obj: Context, holder: str, as_of: date | None, as_known_at: datetime | None, as_json: bool) -> None:
    """HOLDER's balances per account, locked after-savings, loans and points on a date."""
    from projections.fund import holder as read

    state = read(_view(obj, as_known_at), holder, _today(as_of))
    data = state.to_json()
    if as_json:
        emit_json(data)
        return
    table(f"savings of {holder} on {data['as_of']}",
          ["account", "fund", "kind", "factor", "balance", "free", "locked after-savings", "points"],
          [(a["account_id"], a["fund_id"], a["kind"], a["factor"], a["balance"], a["free_balance"],
            a["locked_after_savings"], a["points"]) for a in data["accounts"]])
    if data["loans"]:
        table("loans", ["loan", "status", "outstanding", "points consumed"],
              [(x["loan_id"], x["status"], x["outstanding"], x["points_consumed"]) for x in data["loans"]])
    click.echo(f"savings {data['savings']}  locked_after_savings {data['locked_after_savings']}  "
               f"gifted in {data['points_gifted_in']} out {data['points_gifted_out']}  points {data['points']}")


@savings.command("open")
@click.argument("account", type=ID)
@click.option("--fund", required=True, type=ID, help="The fund id.")
@click.option("--holder", required=True, type=ID, help="The member or co-op id.")
@click.option("--holder-kind", type=click.Choice(["member", "coop"]), default="member", show_default=True)
@click.option("--kind", type=ID, required=True, help="An account kind of the fund's policy.")
@click.option("--on", "on", type=ISO_DATE, required=True, help="Effective date.")
@write_options
@click.pass_obj
def savings_open(obj: Context, account: str, fund: str, holder: str, holder_kind: HolderKind, kind: str, on: date,
                 actor: str | None, as_json: bool) -> None:
    """Open savings ACCOUNT for a holder, of a kind the fund's policy offers."""
    from ledger.commands import fund as commands

    _written(commands.open_account(obj.store, account, fund=fund, holder=holder, holder_kind=holder_kind, kind=kind,
                              on=on, actor=_actor(actor)), as_json, f"account {account} opened")


@savings.command("deposit")
@click.argument("account", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--on", "on", type=ISO_DATE, required=True, help="Effective date.")
@click.option("--key", default=None,
              help="Idempotency key (default: derived from the deposit: account, date, amount, reference).")
@click.option("--reference", default=None, help=REFERENCE_HELP)
@write_options
@click.pass_obj
def savings_deposit(obj: Context, account: str, amount: Decimal, on: date, key: str | None, reference: str | None,
                    actor: str | None, as_json: bool) -> None:
    """Deposit into savings ACCOUNT. Entered again (by anyone) it is already recorded: tell two equal deposits on one
    day apart with --reference or --key."""
    from ledger.commands import fund as commands

    _written(commands.deposit(obj.store, account, amount, on=on, actor=_actor(actor), key=key, reference=reference),
             as_json, "deposit")


@savings.command("withdraw")
@click.argument("account", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--on", "on", type=ISO_DATE, required=True, help="Effective date.")
@click.option("--notice-given-on", type=ISO_DATE, default=None, help="When notice was given (notice accounts).")
@click.option("--key", default=None, help="Idempotency key (default: derived from the withdrawal).")
@click.option("--reference", default=None, help=REFERENCE_HELP)
@write_options
@click.pass_obj
def savings_withdraw(obj: Context, account: str, amount: Decimal, on: date, notice_given_on: date | None,
                     key: str | None, reference: str | None, actor: str | None, as_json: bool) -> None:
    """Withdraw from ACCOUNT: refused beyond the free balance, the notice rule or the fund's liquidity."""
    from ledger.commands import fund as commands

    _written(commands.withdraw(obj.store, account, amount, on=on, notice_given_on=notice_given_on,
                          actor=_actor(actor), key=key, reference=reference), as_json, "withdrawal")


# --- points ----------------------------------------------------------------------------------------


@click.group()
def points() -> None:
    """Savings points given between members."""


@points.command("gift")
@click.option("--from", "giver", required=True, type=ID, help="The giving member.")
@click.option("--to", "receiver", required=True, type=ID, help="The receiving member.")
@click.option("--points", "amount", type=DECIMAL, required=True, help="Points, at most 4 decimal places.")
@click.option("--on", "on", type=ISO_DATE, required=True, help="Effective date.")
@click.option("--key", default=None, help="Idempotency key.")
@write_options
@click.pass_obj
def points_gift(obj: Context, giver: str, receiver: str, amount: Decimal, on: date, key: str | None, actor: str | None,
                as_json: bool) -> None:
    """Give points from one member to another (never more than the giver holds)."""
    from ledger.commands import fund as commands

    _written(commands.gift_points(obj.store, giver, receiver, amount, on=on, actor=_actor(actor), key=key),
             as_json, "gift")


# --- loans -----------------------------------------------------------------------------------------


@click.group()
def loan() -> None:
    """Interest-free loans: quotes, contracts, instalments."""


def _loan_rows(data: dict[str, Any]) -> list[tuple[str, object]]:
    return [(k, data[k]) for k in sorted(data) if not isinstance(data[k], (list, dict))]


@loan.command("show")
@click.argument("loan_id", metavar="LOAN", type=ID)
@query_options
@click.pass_obj
def loan_show(obj: Context, loan_id: str, as_of: date | None, as_known_at: datetime | None, as_json: bool) -> None:
    """LOAN on a date: outstanding, instalments due and received, arrears, fees, points consumed."""
    from projections.fund import loan as read
    from projections.fund import loan_corrections

    view = _view(obj, as_known_at)
    data = read(view, loan_id, _today(as_of)).to_json()
    corrections = loan_corrections(view, loan_id)
    if corrections:  # as member show: listed when the loan's history has any
        data["corrections"] = corrections
    if as_json:
        emit_json(data)
    else:
        table(f"loan {loan_id} on {data['as_of']}", ["field", "value"], _loan_rows(data))
        if corrections:
            table("corrections", ["reversed position", "reversal position", "reason", "actor", "replacement"],
                  [(c["reversed_position"], c["reversal_position"], c["reason"], c["actor"], c["replacement_type"])
                   for c in corrections])


def quote_json(contract: LoanContract, policy_source: str) -> dict[str, Any]:
    from ledger.fund.common import money
    from ledger.rules.points import to_points

    return {
        "amount": money(contract.amount),
        "months": contract.months,
        "available_points": to_points(contract.available_points),
        "instalment": contract.instalment,
        "final_instalment": contract.final_instalment,
        "after_saving": contract.after_saving,
        "first_after_saving": contract.first_after_saving,
        "final_after_saving": contract.final_after_saving,
        "after_savings_total": contract.after_savings_total,
        "points_consumed": to_points(contract.points_consumed),
        "setup_fee": contract.setup_fee,
        "annual_fee": contract.annual_fee,
        "annual_fee_count": contract.annual_fee_count,
        "fees_total": contract.fees_total,
        "share_deposit": contract.share_deposit,
        "monthly_total": contract.monthly_total,
        "closing_points": to_points(contract.closing_points),
        "policy": policy_source,
        "points_curve": [{"month": m.month, "opening": to_points(m.opening), "consumed": to_points(m.consumed),
                          "earned": to_points(m.earned), "closing": to_points(m.closing)}
                         for m in contract.points_curve],
    }


@loan.command("quote")
@click.option("--amount", type=MONEY, required=True, help="The loan, e.g. 1200.00.")
@click.option("--months", type=click.IntRange(1, 600), required=True, help="The term in months.")
@click.option("--points", "points_", type=DECIMAL, default=None,
              help="Points available (default 0; not with --holder).")
@click.option("--holder", default=None, type=ID, help="Use this holder's points, savings and fund policy.")
@click.option("--fund", default=None, type=ID, help="Use this fund's policy in force (default: the holder's fund).")
@click.option("--on", "on", type=ISO_DATE, default=None, help="The payout date (default: today).")
@click.option("--as-known-at", type=TIMESTAMP, default=None, help=KNOWN_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def loan_quote(obj: Context, amount: Decimal, months: int, points_: Decimal | None, holder: str | None,
               fund: str | None, on: date, as_known_at: datetime | None, as_json: bool) -> None:
    """Show the whole contract for a loan; writes nothing."""
    from ledger.commands.fund import contract_terms

    if holder is not None and points_ is not None:
        raise click.UsageError("give either --points or --holder, not both")

    reader = None
    if holder is not None or fund is not None:
        reader = _view(obj, as_known_at)
    contract, source = contract_terms(reader, amount, months, points=points_, holder=holder, fund=fund,
                                      on=_today(on))
    data = quote_json(contract, source)
    if as_json:
        emit_json(data)
        return
    table(f"quote: {amount} over {months} months", ["field", "value"], _loan_rows(data))
    table("points curve", ["month", "opening", "consumed", "earned", "closing"],
          [(m["month"], m["opening"], m["consumed"], m["earned"], m["closing"]) for m in data["points_curve"]])


@loan.command("grant")
@click.argument("loan_id", metavar="LOAN", type=ID)
@click.option("--holder", required=True, type=ID)
@click.option("--account", required=True, type=ID, help="The holder's account that takes the after-savings.")
@click.option("--amount", type=MONEY, required=True)
@click.option("--months", type=click.IntRange(1, 600), required=True)
@click.option("--on", "on", type=ISO_DATE, required=True, help="Effective date.")
@write_options
@click.pass_obj
def loan_grant(obj: Context, loan_id: str, holder: str, account: str, amount: Decimal, months: int, on: date,
               actor: str | None, as_json: bool) -> None:
    """Grant LOAN: the ledger computes the contract, or refuses it with the reasons."""
    from ledger.commands import fund as commands

    _written(commands.grant_loan(obj.store, loan_id, holder=holder, account=account, amount=amount, months=months,
                            on=on, actor=_actor(actor)), as_json, f"loan {loan_id} granted")


@loan.command("shares")
@click.argument("loan_id", metavar="LOAN", type=ID)
@click.option("--on", "on", type=ISO_DATE, required=True)
@write_options
@click.pass_obj
def loan_shares(obj: Context, loan_id: str, on: date, actor: str | None, as_json: bool) -> None:
    """Record LOAN's share deposit as bought (the whole amount of the contract)."""
    from ledger.commands import fund as commands

    _written(commands.buy_share_deposit(obj.store, loan_id, on=on, actor=_actor(actor)), as_json, "share deposit")


@loan.command("disburse")
@click.argument("loan_id", metavar="LOAN", type=ID)
@click.option("--on", "on", type=ISO_DATE, required=True)
@write_options
@click.pass_obj
def loan_disburse(obj: Context, loan_id: str, on: date, actor: str | None, as_json: bool) -> None:
    """Pay LOAN out with its set-up and first annual fee; refused if the share deposit is unpaid or the fund cannot
    fund it."""
    from ledger.commands import fund as commands

    _written(commands.disburse(obj.store, loan_id, on=on, actor=_actor(actor)), as_json, f"loan {loan_id} disbursed")


@loan.command("pay")
@click.argument("loan_id", metavar="LOAN", type=ID)
@click.option("--amount", type=MONEY, required=True, help="What the borrower paid.")
@click.option("--on", "on", type=ISO_DATE, required=True)
@click.option("--key", default=None, help="Idempotency key (default: derived from the loan, date, amount, reference).")
@click.option("--reference", default=None, help=REFERENCE_HELP)
@write_options
@click.pass_obj
def loan_pay(obj: Context, loan_id: str, amount: Decimal, on: date, key: str | None, reference: str | None,
             actor: str | None, as_json: bool) -> None:
    """Receive a payment on LOAN: split into fee, repayment and after-saving (any surplus repays early)."""
    from ledger.commands import fund as commands

    _written(commands.receive_instalment(obj.store, loan_id, amount, on=on, actor=_actor(actor), key=key,
                                    reference=reference), as_json, "instalment")


@loan.command("shares-back")
@click.argument("loan_id", metavar="LOAN", type=ID)
@click.option("--on", "on", type=ISO_DATE, required=True)
@write_options
@click.pass_obj
def loan_shares_back(obj: Context, loan_id: str, on: date, actor: str | None, as_json: bool) -> None:
    """Pay a repaid LOAN's share deposit back; refused while the loan runs, or beyond the fund's liquidity."""
    from ledger.commands import fund as commands

    _written(commands.release_share_deposit(obj.store, loan_id, on=on, actor=_actor(actor)), as_json,
             "share deposit paid back")


@loan.command("write-off")
@click.argument("loan_id", metavar="LOAN", type=ID)
@click.option("--amount", type=MONEY, required=True, help="At most what is outstanding on the day.")
@click.option("--on", "on", type=ISO_DATE, required=True)
@click.option("--reason", required=True, help="Why the fund gives the amount up (kept with the event).")
@write_options
@click.pass_obj
def loan_write_off(obj: Context, loan_id: str, amount: Decimal, on: date, reason: str, actor: str | None,
                   as_json: bool) -> None:
    """Write off part or all of LOAN's outstanding balance: the fund bears the loss."""
    from ledger.commands import fund as commands

    _written(commands.write_off(obj.store, loan_id, amount, on=on, reason=reason, actor=_actor(actor)), as_json,
             f"loan {loan_id} written off")


# --- fund ------------------------------------------------------------------------------------------


@click.group()
def fund() -> None:
    """The JAK fund: liquidity, totals and the forecast."""


@fund.command("show")
@click.argument("fund_id", metavar="FUND", type=ID)
@query_options
@click.pass_obj
def fund_show(obj: Context, fund_id: str, as_of: date | None, as_known_at: datetime | None, as_json: bool) -> None:
    """FUND's liquidity (savings + share capital + fees - loans outstanding - expenses) and totals on a date."""
    from projections.fund import fund as read

    data = read(_view(obj, as_known_at), fund_id, _today(as_of))
    if as_json:
        emit_json(data)
    else:
        table(f"fund {fund_id} on {data['as_of']}", ["field", "value"], _loan_rows(data))


class AccountKindParam(click.ParamType):
    """NAME:FACTOR[:NOTICE_DAYS], e.g. notice:0.8:30 (the factor a decimal between 0 and 1)."""

    name = "kind"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = str(value).split(":")
        if len(parts) not in (2, 3):
            self.fail(f"{value!r} is not NAME:FACTOR[:NOTICE_DAYS], e.g. notice:0.8:30", param, ctx)
        name = ID.convert(parts[0], param, ctx)
        factor = DECIMAL.convert(parts[1], param, ctx)
        if not parts[2:]:
            return name, factor, 0
        if not parts[2].isascii() or not parts[2].isdigit():
            self.fail(f"{parts[2]!r}: notice days must be a whole number of days", param, ctx)
        return name, factor, int(parts[2])


@fund.command("policy")
@click.argument("fund_id", metavar="FUND", type=ID)
@click.option("--on", "on", type=ISO_DATE, required=True, help="In force from this date.")
@click.option("--kind", "kinds", type=AccountKindParam(), multiple=True, metavar="NAME:FACTOR[:DAYS]",
              help="An account kind, its savings factor and notice days; repeat for each (default: jak:1).")
@click.option("--setup-fee", type=DECIMAL, default="0.035", show_default=True, help="Fraction of the loan.")
@click.option("--annual-fee", type=DECIMAL, default="0.01", show_default=True,
              help="Fraction of the amount borrowed, a year.")
@click.option("--share-deposit", type=DECIMAL, default="0.06", show_default=True,
              help="Fraction of the loan bought in fund shares.")
@click.option("--minimum-presaving-months", type=click.IntRange(0, 600), default=0, show_default=True)
@click.option("--maximum-loan-multiple", type=DECIMAL, default=None, help="A loan at most this multiple of savings.")
@click.option("--key", default=None, help="Idempotency key.")
@write_options
@click.pass_obj
def fund_policy(obj: Context, fund_id: str, on: date, kinds: tuple[tuple[str, Decimal, int], ...], setup_fee: Decimal,
                annual_fee: Decimal, share_deposit: Decimal, minimum_presaving_months: int,
                maximum_loan_multiple: Decimal | None, key: str | None, actor: str | None, as_json: bool) -> None:
    """Set FUND's product policy from a date: fees, share deposit, loan limits and account kinds."""
    from decimal import Decimal

    from ledger.commands import fund as commands

    result = commands.set_policy(obj.store, fund_id, on=on, actor=_actor(actor), setup_fee=setup_fee,
                            annual_fee=annual_fee,
                            share_deposit=share_deposit, minimum_presaving_months=minimum_presaving_months,
                            maximum_loan_multiple=maximum_loan_multiple,
                            kinds=tuple(kinds) or (("jak", Decimal(1), 0),), key=key)
    _written(result, as_json, f"fund {fund_id} policy")


@fund.command("expense")
@click.argument("fund_id", metavar="FUND", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--on", "on", type=ISO_DATE, required=True)
@click.option("--purpose", required=True, help="What the money was spent on.")
@click.option("--key", default=None, help="Idempotency key.")
@write_options
@click.pass_obj
def fund_expense(obj: Context, fund_id: str, amount: Decimal, on: date, purpose: str, key: str | None,
                 actor: str | None, as_json: bool) -> None:
    """Record an expense of FUND; refused if it would take the fund's liquidity below zero on any later day."""
    from ledger.commands import fund as commands

    _written(commands.record_expense(obj.store, fund_id, amount, on=on, purpose=purpose, actor=_actor(actor), key=key),
             as_json, f"fund {fund_id} expense")


@fund.command("forecast")
@click.argument("fund_id", metavar="FUND", type=ID)
@click.option("--years", type=click.IntRange(1, 100), required=True)
@click.option("--from", "start", type=ISO_DATE, default=None,
              help="First day of year 1 (default: the fund's first event).")
@click.option("--as-of", type=ISO_DATE, default=None,
              help="Recorded flows up to this date, contracts after it (default: the fund's last event).")
@click.option("--as-known-at", type=TIMESTAMP, default=None, help=KNOWN_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def fund_forecast(obj: Context, fund_id: str, years: int, start: date | None, as_of: date | None,
                  as_known_at: datetime | None, as_json: bool) -> None:
    """FUND's balance year by year under the contracts in force."""
    from ledger.fund.forecast import FORECAST_COLUMNS
    from projections.fund import forecast

    data = forecast(_view(obj, as_known_at), fund_id, years, start, as_of)
    if as_json:
        emit_json(data)
        return
    rows = data["years"]
    labels = ("opening_balance", *FORECAST_COLUMNS, "written_off", "fund_balance", "lowest_balance")
    table(f"fund {fund_id}: forecast from {data['from']} (recorded through {data['recorded_through']})",
          ["row"] + [f"year {r['year']}" + (" *" if r["projected"] else "") for r in rows],
          [(label, *(r[label] for r in rows)) for label in labels])


# --- releases of after-savings --------------------------------------------------------------------------------------


@fund.command("releases")
@click.option("--through", type=ISO_DATE, required=True, help="Report the releases on or before this date.")
@click.option("--fund", default=None, type=ID, help="Only this fund.")
@click.option("--as-known-at", type=TIMESTAMP, default=None, help=KNOWN_HELP)
@click.option("--actor", default=None, hidden=True, help="Accepted for old scripts; nothing is written.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def fund_releases(obj: Context, through: date, fund: str | None, as_known_at: datetime | None, actor: str | None,
                  as_json: bool) -> None:
    """Report the releases of after-savings the books show through --through, writing nothing.

    A repaid loan's after-savings are released the day after the holder's
    points are first back to zero or above: the books compute it from the
    facts on every read (docs/fund-projections.md), so nothing is appended.
    """
    from ledger.commands import fund as commands
    released = commands.releases(obj.store, through=through, fund=fund, reader=_view(obj, as_known_at))
    if as_json:
        emit_json({"released": released})
    elif current().captures:  # --format csv / xlsx: a row a release
        table(f"releases through {through.isoformat()}", ["loan", "account", "on", "amount"],
              [(r["loan_id"], r["account_id"], r["on"], r["amount"]) for r in released])
    else:
        for r in released:
            click.echo(f"released {r['amount']} of loan {r['loan_id']} in account {r['account_id']} on {r['on']}")
        click.echo(f"{len(released)} release(s)")


@click.group()
def jak() -> None:
    """Old names, kept for scripts: `mutual jak settle` is `mutual fund releases`."""


jak.add_command(fund_releases, name="settle")

COMMANDS = [savings, points, loan, fund, jak]
