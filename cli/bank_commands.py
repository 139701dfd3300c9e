"""`mutual bank`: statements in, the unmatched queue, matching rules, reconciliation (docs/bank.md)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from cli.output import emit_json, table
from cli.params import ID, ISO_DATE, output_options, prior_period_option
from cli.params import actor as _actor

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.commands.bank import Outcome


class _Balance(click.ParamType):
    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]{1,2})?", value):
            self.fail(f"{value!r} is not an amount with at most 2 decimal places (negative when overdrawn)",
                      param, ctx)
        return Decimal(value)


BALANCE = _Balance()
FORMAT = click.Choice(["auto", "csv", "ofx", "camt053", "mt940"])
PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _names(obj: Context) -> Any:
    from ledger.commands.bank import line_names

    def names(line_ids: Sequence[str]) -> Mapping[str, tuple[str, str]]:
        return line_names(obj.store, line_ids)

    return names


def _source(obj: Context) -> Any:
    from ledger.source import StoreSource

    return StoreSource(obj.store)


def _outcome(outcome: Outcome, as_json: bool, what: str) -> None:
    data = outcome.to_json()
    if as_json:
        emit_json(data)
        return
    if not outcome.written:
        click.echo(f"{what}: nothing new (already recorded); nothing written")
    else:
        click.echo(f"{what}: {outcome.written} event(s) written; head {data['head_position']} {data['head_hash']}")
    if outcome.lines_read:
        click.echo(f"  lines read {outcome.lines_read}, new {outcome.lines_new}, already recorded "
                   f"{outcome.lines_read - outcome.lines_new}; balances stated {outcome.balances_new}")
    for m in outcome.matched:
        click.echo(f"  matched {m['line_id']} {m['amount']:f} to {m['member_id']} for {m['period']} ({m['rule']})")
    for r in outcome.returned:
        paid = f", payment at {r['reversed_position']} reversed" if r["reversed_position"] else ""
        click.echo(f"  returned {r['line_id']} settles {r['returns']}{paid}")
    for n in outcome.not_matched:
        click.echo(f"  not matched {n['line_id']}: {n['reason']}")
    click.echo(f"  unmatched lines left on the account: {outcome.unmatched_left}")


@click.group()
def bank() -> None:
    """Bank statements: import, the unmatched queue, match and ignore, rules, reconcile.

    \b
    A clerk's month:
      mutual bank rules set so --account riverside-current --pattern 'SO-(?P<member>[a-z0-9]+)-.*'
      mutual bank import march.xml --account riverside-current
      mutual bank unmatched --account riverside-current
      mutual bank match bl-3f2a... carol
      mutual bank ignore bl-9c1e... --reason "bank charges"
      mutual bank reconcile --account riverside-current --as-of 2025-03-31
    """


@bank.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--account", required=True, type=ID, help="The ledger's id of the bank account (e.g. riverside-current).")
@click.option("--format", "format_", type=FORMAT, default="auto", show_default=True,
              help="The statement's format; auto sniffs it.")
@click.option("--profile", default=None, help="The CSV profile (barclays, hsbc, lloyds, nationwide; docs/bank.md).")
@click.option("--no-match", is_flag=True, help="Record the lines only; leave every credit in the queue.")
@click.option("--actor", default=None, help="Who records it (default: $MUTUAL_ACTOR or your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@prior_period_option
@click.pass_obj
def import_(obj: Context, file: str, account: str, format_: str, profile: str | None, no_match: bool,
            actor: str | None, as_json: bool) -> None:
    """Record each line of a statement once (overlaps and re-imports write nothing twice), the balances it
    states, the returned direct debits it settles, and the credits the rules match.

    \b
    Example:
      mutual bank import examples/bank/riverside-2025-03.camt053.xml --account riverside-current
    """
    from ledger.commands.bank import import_statement
    from ledger.errors import LedgerError

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise LedgerError(f"FILE: cannot read {file} ({exc.strerror})") from None
    outcome = import_statement(obj.store, data, account, actor=_actor(actor), format=format_, profile=profile,
                               auto_match=not no_match)
    _outcome(outcome, as_json, f"bank import {Path(file).name}")


@bank.command("unmatched")
@click.option("--account", type=ID, default=None, help="One account (default: every account).")
@click.option("--as-of", type=ISO_DATE, default=None, help="Only lines booked on or before this date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def unmatched(obj: Context, account: str | None, as_of: date | None, as_json: bool) -> None:
    """The queue: lines neither matched, ignored nor settled by a return."""
    from projections.bank import unmatched as read

    rows = read(_source(obj), account, _names(obj), as_of)
    if as_json:
        emit_json(rows)
        return
    table(f"unmatched bank lines ({len(rows)})", ["line", "account", "booked", "amount", "kind", "reference", "payer"],
          [(r["line_id"], r["account_id"], r["booked_date"], r["amount"], r["kind"], r["reference"],
            r["counterparty"]) for r in rows])


@bank.command("match")
@click.argument("line")
@click.argument("member", type=ID)
@click.option("--account", type=ID, default=None, help="The line's account (default: found from the line).")
@click.option("--period", default=None, help="The month it pays, YYYY-MM (default: the earliest unpaid due month).")
@click.option("--no-learn", is_flag=True, help="Do not remember the payer's name for the next statements.")
@click.option("--actor", default=None, help="Who records it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@prior_period_option
@click.pass_obj
def match(obj: Context, line: str, member: str, account: str | None, period: str | None, no_learn: bool,
          actor: str | None, as_json: bool) -> None:
    """Match the credit LINE to MEMBER: recorded as MEMBER's PaymentReceived, checked as `mutual record` checks it.

    \b
    Example:
      mutual bank match bl-3f2a9c01 carol --period 2025-03
    """
    from ledger.commands.bank import account_of, match_line

    if period is not None and not PERIOD.fullmatch(period):
        raise click.BadParameter(f"{period!r} is not a month YYYY-MM", param_hint="--period")
    outcome = match_line(obj.store, account or account_of(obj.store, line), line, member, actor=_actor(actor),
                         period=period, learn=not no_learn)
    _outcome(outcome, as_json, "bank match")


def _line_decision(name: str, reason_help: str) -> Callable[[F], click.Command]:
    """`bank NAME LINE --reason R [--account A] [--actor] [--json] [--prior-period]`: a decision about one line."""
    decorators = (bank.command(name), click.argument("line"), click.option("--reason", required=True, help=reason_help),
                  click.option("--account", type=ID, default=None,
                               help="The line's account (default: found from the line)."),
                  click.option("--actor", default=None, help="Who records it."),
                  click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
                  prior_period_option, click.pass_obj)

    def wrap(f: F) -> click.Command:
        made: Any = f
        for decorator in reversed(decorators):
            made = decorator(made)
        return cast(click.Command, made)

    return wrap


@_line_decision("ignore", "Why the line is not a member's payment (kept with it).")
def ignore(obj: Context, line: str, reason: str, account: str | None, actor: str | None, as_json: bool) -> None:
    """Take LINE off the queue: it is not a member's payment (bank charges, a transfer between accounts ...)."""
    from ledger.commands.bank import account_of, ignore_line

    outcome = ignore_line(obj.store, account or account_of(obj.store, line), line, reason, actor=_actor(actor))
    _outcome(outcome, as_json, "bank ignore")


@_line_decision("unmatch", "Why the match or the ignoring was wrong (kept with the reversal).")
def unmatch(obj: Context, line: str, reason: str, account: str | None, actor: str | None, as_json: bool) -> None:
    """Put LINE back in the queue: its match and the member's payment made from it (or its ignoring) reversed.

    \b
    Example:
      mutual bank unmatch bl-3f2a9c01 --reason "R BROWN is not carol: a gift to the co-op"
    """
    from ledger.commands.bank import account_of, unmatch_line

    outcome = unmatch_line(obj.store, account or account_of(obj.store, line), line, reason, actor=_actor(actor))
    _outcome(outcome, as_json, "bank unmatch")


@bank.command("auto")
@click.option("--account", required=True, type=ID)
@click.option("--actor", default=None, help="Who records it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@prior_period_option
@click.pass_obj
def auto(obj: Context, account: str, actor: str | None, as_json: bool) -> None:
    """Run the rules and learned payer names over the queue again (after a rule was set)."""
    from ledger.commands.bank import auto_match

    _outcome(auto_match(obj.store, account, actor=_actor(actor)), as_json, "bank auto")


@bank.command("opening")
@click.option("--account", required=True, type=ID)
@click.option("--amount", required=True, type=BALANCE, help="The balance at the end of --on.")
@click.option("--on", "on", required=True, type=ISO_DATE)
@click.option("--actor", default=None, help="Who records it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def opening(obj: Context, account: str, amount: Decimal, on: date, actor: str | None, as_json: bool) -> None:
    """State the account's opening balance (where reconciliation starts when no statement stated one)."""
    from ledger.commands.bank import state_opening_balance

    _outcome(state_opening_balance(obj.store, account, amount, on, actor=_actor(actor)), as_json, "bank opening")


@bank.command("reconcile")
@click.option("--account", required=True, type=ID)
@click.option("--as-of", required=True, type=ISO_DATE)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def reconcile(obj: Context, account: str, as_of: date, as_json: bool) -> None:
    """The bank's closing balance against the ledger's view of the account, and every difference."""
    from projections.bank import reconcile as read

    data = read(_source(obj), account, as_of, _names(obj))
    if as_json:
        emit_json(data)
        return
    click.echo(f"{account} on {as_of.isoformat()}: the bank says {data['statement_balance']} "
               f"(on {data['statement_balance_date']}), the ledger {data['ledger_balance']} "
               f"(opening {data['opening_balance']} on {data['opening_balance_date']})")
    click.echo(f"lines {data['lines']}, matched {data['matched']}, ignored {data['ignored']}; "
               + ("reconciled" if data["reconciled"] else f"{len(data['differences'])} difference(s)"))
    if data["differences"]:
        table("differences", ["kind", "line", "amount", "detail"],
              [(d["kind"], d.get("line_id", ""), d.get("amount", ""),
                d.get("detail") or f"{d.get('booked_date')} {d.get('reference', '')} {d.get('counterparty', '')}")
               for d in data["differences"]])


@bank.group("rules", invoke_without_command=True)
@click.option("--account", type=ID, default=None, help="The account whose rules to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_context
def rules(ctx: click.Context, account: str | None, as_json: bool) -> None:
    """The matching rules of an account, in the order they are tried (`rules set`, `rules remove`); payer names
    learned from confirmed matches (`rules payees`, `rules forget`)."""
    if ctx.invoked_subcommand is not None:
        return
    if account is None:
        raise click.UsageError("give --account to show its rules, or a subcommand (set, remove, payees, forget)")
    from projections.bank import rules as read

    rows = read(_source(ctx.obj), account)
    if as_json:
        emit_json(rows)
        return
    table(f"matching rules of {account}", ["order", "rule", "pattern", "member"],
          [(r["order"], r["rule_id"], r["pattern"], r["member_id"] or "(?P<member>)") for r in rows])


@rules.command("set")
@click.argument("rule_id", type=ID)
@click.option("--account", required=True, type=ID)
@click.option("--pattern", required=True,
              help="A regular expression the whole reference must match (case ignored), e.g. "
                   "'SO-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}'.")
@click.option("--member", type=ID, default=None, help="The member it pays (default: the pattern's group `member`).")
@click.option("--actor", default=None, help="Who records it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def rules_set(obj: Context, rule_id: str, account: str, pattern: str, member: str | None, actor: str | None,
              as_json: bool) -> None:
    """Set (or replace) a matching rule; then `mutual bank auto` runs it over the queue.

    \b
    Example:
      mutual bank rules set standing-orders --account riverside-current --pattern 'SO-(?P<member>[a-z0-9]+)-.*'
    """
    from ledger.commands.bank import set_rule

    _outcome(set_rule(obj.store, account, rule_id, pattern, member, actor=_actor(actor)), as_json, "bank rules set")


@rules.command("remove")
@click.argument("rule_id", type=ID)
@click.option("--account", required=True, type=ID)
@click.option("--actor", default=None, help="Who records it.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def rules_remove(obj: Context, rule_id: str, account: str, actor: str | None, as_json: bool) -> None:
    """Remove a matching rule (its history stays in the chain)."""
    from ledger.commands.bank import remove_rule

    _outcome(remove_rule(obj.store, account, rule_id, actor=_actor(actor)), as_json, "bank rules remove")


@rules.command("payees")
@click.option("--account", required=True, type=ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def rules_payees(obj: Context, account: str, as_json: bool) -> None:
    """Payer names learned from confirmed matches (personal data, kept off the chain)."""
    from ledger.commands.bank import learned_payees

    found = learned_payees(obj.store, account)
    if as_json:
        emit_json(found)
        return
    table(f"learned payer names of {account}", ["payer", "member"], sorted(found.items()))


@rules.command("forget")
@click.argument("name")
@click.option("--account", required=True, type=ID)
@click.pass_obj
def rules_forget(obj: Context, name: str, account: str) -> None:
    """Forget a learned payer name (erased from the off-chain table)."""
    from ledger.commands.bank import forget_payee
    from ledger.errors import NotFound

    if not forget_payee(obj.store, account, name):
        raise NotFound(f"NAME: {name!r} is not a learned payer name of {account}")
    click.echo(f"forgot {name!r}")


@bank.command("erase")
@click.argument("line")
@click.pass_obj
def erase(obj: Context, line: str) -> None:
    """Erase a line's payer name and account number (kept off the chain; the chain and its hashes are untouched)."""
    from ledger.commands.bank import erase_line_details
    from ledger.errors import NotFound

    if not erase_line_details(obj.store, line):
        raise NotFound(f"LINE: {line} has no personal details kept")
    click.echo(f"erased the personal details of {line}")


COMMANDS = [bank]
