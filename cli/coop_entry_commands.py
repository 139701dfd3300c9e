"""Typed commands for every co-op fact, so a treasurer never writes JSON (docs/clerk.md).

`society register`, `dwelling register / revalue`, `index publish`, `mortgage draw / top-up / prepay`,
`policy set ...`, `member admit / leave`, `payment receive / extra / reduce`, `units transfer`,
`share buy / withdraw`, `dividend pay`, `reserve spend / transfer`. Each builds its events in
ledger/commands/coop_entry.py and goes through `record`'s checks; each takes the same options
(`entry_options`) and runs the same way (`run`): `--dry-run` shows the events and the figures they change and
writes nothing. `mutual record` stays for bulk and programmatic entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli.coop_commands import dwelling, member
from cli.output import dumps, emit_json, table
from cli.params import AMOUNT, ID, ISO_DATE, MONEY, MONTH, NUMBER, SIGNED_AMOUNT, write_options

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.commands.coop_entry import JoiningTerms, Plan

F = TypeVar("F", bound=Callable[..., Any])


PERIOD = MONTH
HOLDERS = click.Choice(["clt", "member", "financed"])


def entry_options(f: F) -> F:
    """The options every typed co-op command takes: --on, --dry-run, --key, and --actor, --json, --prior-period."""
    f = write_options(f)
    f = click.option("--key", default=None,
                     help="Idempotency key (default: the fact itself, so the same fact entered again is recorded "
                          "once); a batch of several events is keyed KEY:1, KEY:2, ...")(f)
    f = click.option("--dry-run", is_flag=True,
                     help="Show the events it would write and the figures they change; write nothing.")(f)
    f = click.option("--on", "on", type=ISO_DATE, required=True, help="Effective date (YYYY-MM-DD).")(f)
    return f


# payload fields the commands call by other names (otherwise `payload.bank_reference` is `--bank-reference`)
OPTION_OF = {"index_series": "--series", "from_holder": "--from", "to_holder": "--to", "coop_id": "--coop",
             "dwelling_id": "--dwelling", "clt_id": "--clt", "society_id": "--society", "mortgage_id": "--mortgage",
             "valuation_basis": "--basis", "effective_date": "--on", "units": "--units"}


def _in_our_words(exc: Any) -> Any:
    """A refusal naming the command's option as well as the event's field (`--amount (payload.amount): ...`)."""
    from ledger.errors import FieldError, ValidationFailed

    ctx = click.get_current_context(silent=True)
    options = {p.name: p.opts[0] for p in (ctx.command.params if ctx else []) if p.opts and p.opts[0].startswith("--")}
    renamed = []
    for error in exc.errors:
        name = error.field.removeprefix("payload.")
        option = OPTION_OF.get(name) or options.get(name)
        renamed.append(FieldError(f"{option} ({error.field})", error.reason) if option and option != error.field
                       else error)
    return ValidationFailed(renamed, where=exc.where)


def run(obj: Context, plan: Plan | Callable[[str], Plan], *, dry_run: bool, key: str | None, actor: str | None,
        as_json: bool) -> None:
    """Build the events, then show them with the figures they change (--dry-run) or record them; print the result."""
    from cli.params import actor as _actor
    from ledger.commands import coop_entry
    from ledger.errors import ValidationFailed

    who = _actor(actor)
    try:
        if callable(plan) and not dry_run:  # a plan that reads the books: read and recorded under the writers' lock
            build = plan
            built, result = coop_entry.enter_read(obj.store, lambda: build(who), actor=who, key=key)
        else:
            built = plan(who) if callable(plan) else plan
            if dry_run:
                _show_preview(built, coop_entry.preview(obj.store, built, actor=who, key=key), as_json)
                return
            result = coop_entry.enter(obj.store, built, actor=who, key=key)
    except ValidationFailed as exc:
        raise _in_our_words(exc) from None
    summary: dict[str, Any] = {"checked": result.checked, "written": result.written,
                               "already_recorded": result.already_recorded, "head_position": result.head_position,
                               "head_hash": result.head_hash}
    if key is not None:
        summary["key"] = key
    if as_json:
        emit_json(summary)
    elif not result.written:
        click.echo(f"{built.what}: already recorded; nothing written (head {result.head_position})")
    else:
        again = f", {result.already_recorded} already recorded" if result.already_recorded else ""
        click.echo(f"{built.what}: {result.written} event(s) written{again}; "
                   f"head {result.head_position} {result.head_hash}")


def _cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return dumps(value, indent=False)
    return value


def _fields(payload: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(payload.items()) if v is not None)


def _rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """A dict as rows, a nested one a row a part (the formula in force: its deduction, its cap, ...)."""
    rows: list[tuple[str, Any]] = []
    for k, v in data.items():
        if isinstance(v, dict):
            rows += [(f"{k}.{part}", _cell(x)) for part, x in v.items() if x is not None]
        else:
            rows.append((k, _cell(v)))
    return rows


def _show_preview(plan: Plan, preview: Any, as_json: bool) -> None:
    if as_json:
        emit_json({"dry_run": True, "what": plan.what, "events": preview.events, "figures": preview.figures,
                   "detail": preview.detail, "already_recorded": preview.already_recorded})
        return
    click.echo(f"dry run: {plan.what} (nothing written)")
    click.echo(f"events it would write ({len(preview.events)}):")
    for n, e in enumerate(preview.events, start=1):
        note = "  (already recorded)" if e["already_recorded"] else ""
        click.echo(f"  {n}. {e['type']} on {e['stream']}, {e['effective_date']}: {_fields(e['payload'])}{note}")
    if preview.detail:
        table("computed", ["figure", "result"], _rows(preview.detail))
    if preview.figures:
        table(f"figures on {plan.on.isoformat()}", ["figure", "before", "after"],
              [(k, _cell(v["before"]), _cell(v["after"])) for k, v in preview.figures.items()])


def _entry() -> Any:
    from ledger.commands import coop_entry

    return coop_entry


COMMON = ("dry_run", "key", "actor", "as_json")


def _command(group: click.Group, name: str, build: str, argument: str, metavar: str,
             *options: Callable[[F], F], doc: tuple[str, str]) -> click.Command:
    """A command whose options are its builder's keyword arguments as they are (`share buy`, `reserve spend`, ...):
    declared once here instead of one function each. `doc` is its summary and its worked example."""

    def command(obj: Context, **given: Any) -> None:
        common = {k: given.pop(k) for k in COMMON}
        run(obj, getattr(_entry(), build)(given.pop(argument), **given), **common)

    summary, example = doc
    command.__doc__ = f"{summary}\n\n\b\nExample:\n  {example}\n"
    decorated: Any = click.pass_obj(command)
    decorated = entry_options(decorated)
    for option in reversed(options):
        decorated = option(decorated)
    decorated = click.argument(argument, metavar=metavar, type=ID)(decorated)
    return group.command(name)(decorated)


# --- societies --------------------------------------------------------------------------------------------------


@click.group()
def society() -> None:
    """Societies: a Community Land Trust, a co-op, a fund."""


@society.command("register")
@click.argument("society_id", metavar="ID", type=ID)
@click.option("--kind", type=click.Choice(["clt", "coop", "fund"]), required=True)
@click.option("--name", required=True, help="The society's registered name.")
@click.option("--clt", type=ID, default=None, help="The CLT a co-op leases its land from (co-ops only).")
@entry_options
@click.pass_obj
def society_register(obj: Context, society_id: str, kind: str, name: str, clt: str | None, on: date,
                     **common: Any) -> None:
    """Register society ID (a CLT, a co-op or a savings fund) from a date.

    \b
    Example:
      mutual society register riverside --kind coop --name "Riverside Housing Co-operative" --clt leaside-clt \\
          --on 2025-04-01
    """
    run(obj, _entry().register_society(society_id, kind=kind, name=name, clt=clt, on=on), **common)


# --- dwellings --------------------------------------------------------------------------------------------------


@dwelling.command("register")
@click.argument("dwelling_id", metavar="ID", type=ID)
@click.option("--coop", required=True, type=ID, help="The co-op the dwelling belongs to.")
@click.option("--value", type=MONEY, required=True, help="The dwelling's value.")
@click.option("--units", type=NUMBER, required=True, help="Equity units the value is divided into.")
@click.option("--clt-units", type=NUMBER, required=True, help="Of those, the units the CLT holds.")
@entry_options
@click.pass_obj
def dwelling_register(obj: Context, dwelling_id: str, coop: str, value: Decimal, units: Decimal, clt_units: Decimal,
                      on: date, **common: Any) -> None:
    """Register dwelling ID of a co-op, its value divided into units (unit value = value / units).

    \b
    Example:
      mutual dwelling register flat1 --coop riverside --value 180000 --units 1000 --clt-units 300 --on 2025-04-01
    """
    run(obj, _entry().register_dwelling(dwelling_id, coop=coop, value=value, units=units, clt_units=clt_units,
                                        on=on), **common)


@dwelling.command("revalue")
@click.argument("dwelling_id", metavar="ID", type=ID)
@click.option("--value", type=MONEY, required=True, help="The new value.")
@click.option("--basis", type=click.Choice(["valuation", "index"]), default="valuation", show_default=True)
@click.option("--series", type=ID, default=None, help="The index applied (with --basis index).")
@entry_options
@click.pass_obj
def dwelling_revalue(obj: Context, dwelling_id: str, value: Decimal, basis: str, series: str | None, on: date,
                     **common: Any) -> None:
    """Revalue dwelling ID from a valuation or an agreed index; --dry-run shows the unit value before and after.

    \b
    Example:
      mutual dwelling revalue flat1 --value 189000 --on 2026-04-01
    """
    run(obj, _entry().revalue_dwelling(dwelling_id, value=value, basis=basis, series=series, on=on), **common)


# --- index ------------------------------------------------------------------------------------------------------


@click.group()
def index() -> None:
    """Published index values (RPI, a house-price index)."""


@index.command("publish")
@click.argument("series", type=ID)
@click.option("--period", required=True, help="The period: a year YYYY or a month YYYY-MM.")
@click.option("--value", type=NUMBER, required=True, help="The published value.")
@entry_options
@click.pass_obj
def index_publish(obj: Context, series: str, period: str, value: Decimal, on: date, **common: Any) -> None:
    """Record SERIES's published value for a period (one value per period).

    \b
    Example:
      mutual index publish RPI --period 2025-04 --value 402.2 --on 2025-05-21
    """
    run(obj, _entry().publish_index(series, period=period, value=value, on=on), **common)


# --- mortgages --------------------------------------------------------------------------------------------------


@click.group()
def mortgage() -> None:
    """The co-op's collective mortgage: drawn, topped up, prepaid."""


@mortgage.command("draw")
@click.argument("mortgage_id", metavar="ID", type=ID)
@click.option("--coop", required=True, type=ID)
@click.option("--kind", type=click.Choice(["index-linked", "conventional", "tilted"]), required=True)
@click.option("--principal", type=MONEY, required=True)
@click.option("--rate", type=NUMBER, required=True,
              help="Real rate (index-linked) or nominal rate (conventional, tilted), e.g. 0.0235.")
@click.option("--series", type=ID, default=None, help="The index series (index-linked and tilted).")
@click.option("--tilt", type=NUMBER, default=None, help="The tilt (tilted mortgages only).")
@click.option("--term-years", type=click.IntRange(1, 100), required=True)
@click.option("--first-payment", type=MONEY, default=None,
              help="The first year's payment (default: the payment that clears the debt over the term).")
@click.option("--compounding", type=click.Choice(["annual", "monthly"]), default=None,
              help="How interest compounds (default: annual).")
@entry_options
@click.pass_obj
def mortgage_draw(obj: Context, mortgage_id: str, coop: str, kind: str, principal: Decimal, rate: Decimal,
                  series: str | None, tilt: Decimal | None, term_years: int, first_payment: Decimal | None,
                  compounding: str | None, on: date, **common: Any) -> None:
    """Draw the co-op's collective mortgage ID (a further loan on it is `mortgage top-up`).

    \b
    Example:
      mutual mortgage draw riverside-1 --coop riverside --kind index-linked --principal 252000 --rate 0.0235 \\
          --series RPI --term-years 30 --on 2025-04-01
    """
    run(obj, _entry().draw_mortgage(mortgage_id, coop=coop, kind=kind, principal=principal, rate=rate, series=series,
                                    tilt=tilt, term_years=term_years, first_payment=first_payment,
                                    compounding=compounding, on=on), **common)


@mortgage.command("top-up")
@click.argument("mortgage_id", metavar="ID", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--purpose", required=True, help="What the loan pays for.")
@entry_options
@click.pass_obj
def mortgage_top_up(obj: Context, mortgage_id: str, amount: Decimal, purpose: str, on: date, **common: Any) -> None:
    """Top up the co-op's loan ID (a leaving member's payout is topped up by `member leave`).

    \b
    Example:
      mutual mortgage top-up riverside-1 --amount 15000 --purpose "new roof, block B" --on 2026-09-01
    """
    run(obj, _entry().top_up_mortgage(mortgage_id, amount=amount, purpose=purpose, on=on), **common)


@mortgage.command("prepay")
@click.argument("mortgage_id", metavar="ID", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--bank-reference", default=None, help="The payment's reference on the bank statement.")
@entry_options
@click.pass_obj
def mortgage_prepay(obj: Context, mortgage_id: str, amount: Decimal, bank_reference: str | None, on: date,
                    **common: Any) -> None:
    """Pass members' staircasing money to the lender (no more than the co-op holds of it).

    \b
    Example:
      mutual mortgage prepay riverside-1 --amount 2000 --bank-reference CHAPS-0412 --on 2026-04-12
    """
    run(obj, _entry().prepay_mortgage(mortgage_id, amount=amount, bank_reference=bank_reference, on=on), **common)


# --- policies ---------------------------------------------------------------------------------------------------


@click.group()
def policy() -> None:
    """The co-op's policies, each in force from its date."""


@policy.group("set")
def policy_set() -> None:
    """Set a policy: indexation, charges, deposit, equity-stake, resale."""


@policy_set.command("indexation")
@click.argument("coop", type=ID)
@click.option("--series", type=ID, required=True, help="The index the payments follow, e.g. RPI.")
@click.option("--margin", type=NUMBER, required=True, help="Added to the index change, e.g. 0.005 for RPI + 0.5%.")
@click.option("--floor-at-zero/--may-fall", default=True, show_default=True, help="Whether the payment never falls.")
@entry_options
@click.pass_obj
def policy_indexation(obj: Context, coop: str, series: str, margin: Decimal, floor_at_zero: bool, on: date,
                      **common: Any) -> None:
    """Index COOP's members' payments yearly by a series plus a margin.

    \b
    Example:
      mutual policy set indexation riverside --series RPI --margin 0.005 --on 2025-04-01
    """
    run(obj, _entry().set_indexation(coop, series=series, margin=margin, floor_at_zero=floor_at_zero, on=on),
        **common)


@policy_set.command("charges")
@click.argument("dwelling_id", metavar="DWELLING", type=ID)
@click.option("--management", type=AMOUNT, required=True)
@click.option("--maintenance", type=AMOUNT, required=True)
@click.option("--insurance", type=AMOUNT, required=True)
@click.option("--services", type=AMOUNT, required=True)
@click.option("--sinking-fund", type=AMOUNT, required=True)
@entry_options
@click.pass_obj
def policy_charges(obj: Context, dwelling_id: str, management: Decimal, maintenance: Decimal, insurance: Decimal,
                   services: Decimal, sinking_fund: Decimal, on: date, **common: Any) -> None:
    """Set DWELLING's yearly share of the co-op's charges budget.

    \b
    Example:
      mutual policy set charges flat1 --management 480 --maintenance 190 --insurance 205 --services 380 \\
          --sinking-fund 310 --on 2025-04-01
    """
    run(obj, _entry().set_charges(dwelling_id, management=management, maintenance=maintenance, insurance=insurance,
                                  services=services, sinking_fund=sinking_fund, on=on), **common)


@policy_set.command("deposit")
@click.argument("coop", type=ID)
@click.option("--minimum-fraction", type=NUMBER, required=True,
              help="Minimum deposit as a fraction of the dwelling's non-CLT value, e.g. 0.05.")
@click.option("--minimum-amount", type=AMOUNT, default=None, help="And at least this amount (default 0).")
@entry_options
@click.pass_obj
def policy_deposit(obj: Context, coop: str, minimum_fraction: Decimal, minimum_amount: Decimal | None, on: date,
                   **common: Any) -> None:
    """Set COOP's deposit rule.

    \b
    Example:
      mutual policy set deposit riverside --minimum-fraction 0.05 --minimum-amount 2500 --on 2025-04-01
    """
    run(obj, _entry().set_deposit_rule(coop, minimum_fraction=minimum_fraction, minimum_amount=minimum_amount, on=on),
        **common)


@policy_set.command("equity-stake")
@click.argument("coop", type=ID)
@click.option("--fraction", type=NUMBER, required=True,
              help="The share of a year's surplus that lowers the payer's debt share, e.g. 0.5.")
@entry_options
@click.pass_obj
def policy_equity_stake(obj: Context, coop: str, fraction: Decimal, on: date, **common: Any) -> None:
    """Set COOP's `% to equity stake`.

    \b
    Example:
      mutual policy set equity-stake riverside --fraction 0.5 --on 2025-04-01
    """
    run(obj, _entry().set_equity_stake(coop, fraction=fraction, on=on), **common)


@policy_set.command("resale")
@click.argument("coop", type=ID)
@click.option("--deduction", type=NUMBER, required=True,
              help="The common-equity fraction deducted from a positive growth, e.g. 0.10.")
@click.option("--appreciation-cap", type=NUMBER, default=None, help="A cap on the member's share of appreciation.")
@click.option("--minimum-tenure-years", type=click.IntRange(0, 100), default=None,
              help="Before it, a leaver gets deposit and principal repaid only (default 0).")
@click.option("--basis", type=click.Choice(["valuation", "index"]), default=None,
              help="The unit values the formula reads (default: valuation).")
@click.option("--series", type=ID, default=None, help="The index series (with --basis index).")
@entry_options
@click.pass_obj
def policy_resale(obj: Context, coop: str, deduction: Decimal, appreciation_cap: Decimal | None,
                  minimum_tenure_years: int | None, basis: str | None, series: str | None, on: date,
                  **common: Any) -> None:
    """Set COOP's resale formula (what a leaving member is paid).

    \b
    Example:
      mutual policy set resale riverside --deduction 0.10 --minimum-tenure-years 3 --on 2025-04-01
    """
    run(obj, _entry().set_resale_formula(coop, deduction=deduction, appreciation_cap=appreciation_cap,
                                         minimum_tenure_years=minimum_tenure_years, basis=basis, series=series,
                                         on=on), **common)


# --- members ----------------------------------------------------------------------------------------------------


def _terms(net_salary: Decimal, payment_rate: Decimal, deposit: Decimal, debt_share: Decimal,
           mortgage_id: str | None) -> JoiningTerms:
    """The admission terms (MemberAdmitted v1): one place, shared by `member admit` and `member leave --incoming`."""
    from ledger.commands.coop_entry import JoiningTerms

    return JoiningTerms(net_salary, payment_rate, deposit, debt_share, mortgage_id)


def admission_options(prefix: str = "", required: bool = True) -> Callable[[F], F]:
    """The admission terms' options (`--net-salary` ...; `--incoming-net-salary` ... for `member leave`)."""
    who = "the incoming member's " if prefix else ""

    def add(f: F) -> F:
        for name, kind, text in reversed([
            ("net-salary", MONEY, f"{who}net salary a year (the payment is a rate of it)"),
            ("payment-rate", NUMBER, f"{who}payment rate, a fraction of net salary (0.30 to 0.35)"),
            ("deposit", AMOUNT, f"{who}deposit: buys units outright"),
            ("debt-share", AMOUNT, f"{who}share of the co-op's debt"),
        ]):
            f = click.option(f"--{prefix}{name}", type=kind, required=required, default=None, help=text)(f)
        f = click.option(f"--{prefix}mortgage", type=ID, default=None,
                         help=f"The mortgage {who}debt share follows (default: none"
                              + (", or the leaving member's)." if prefix else ")."))(f)
        f = click.option(f"--{prefix}share", type=MONEY, default=None,
                         help=f"Share capital {'the incoming member ' if prefix else ''}buys in the co-op that day, "
                              "e.g. 1 (the membership share).")(f)
        return f

    return add


@member.command("admit")
@click.argument("member_id", metavar="ID", type=ID)
@click.option("--coop", required=True, type=ID)
@click.option("--dwelling", "dwelling_id", required=True, type=ID)
@admission_options()
@entry_options
@click.pass_obj
def member_admit(obj: Context, member_id: str, coop: str, dwelling_id: str, net_salary: Decimal,
                 payment_rate: Decimal, deposit: Decimal, debt_share: Decimal, mortgage: str | None,
                 share: Decimal | None, on: date, **common: Any) -> None:
    """Admit member ID to a dwelling of a co-op; the deposit buys units outright, the debt share finances the rest.

    \b
    Example:
      mutual member admit alice --coop riverside --dwelling flat1 --net-salary 24000 --payment-rate 0.33 \\
          --deposit 6300 --debt-share 119700 --mortgage riverside-1 --share 1 --on 2025-04-01
    """
    run(obj, _entry().admit_member(member_id, coop=coop, dwelling=dwelling_id,
                                   terms=_terms(net_salary, payment_rate, deposit, debt_share, mortgage), share=share,
                                   on=on), **common)


@member.command("leave")
@click.argument("member_id", metavar="MEMBER", type=ID)
@click.option("--incoming", type=ID, default=None,
              help="The member the lease is assigned to, admitted in the same batch on the --incoming-* terms "
                   "(without it the lease returns to the co-op).")
@admission_options("incoming-", required=False)
@click.option("--funding", type=click.Choice(["top-up", "reserve"]), default="top-up", show_default=True,
              help="How the co-op pays the payout: a top-up of its loan, or its reserve.")
@click.option("--mortgage", type=ID, default=None,
              help="The loan to top up (default: the member's mortgage, or the co-op's only one).")
@entry_options
@click.pass_obj
def member_leave(obj: Context, member_id: str, incoming: str | None, incoming_net_salary: Decimal | None,
                 incoming_payment_rate: Decimal | None, incoming_deposit: Decimal | None,
                 incoming_debt_share: Decimal | None, incoming_mortgage: str | None, incoming_share: Decimal | None,
                 funding: str, mortgage: str | None, on: date, **common: Any) -> None:
    """MEMBER leaves on a date: one batch, all or nothing, of the lease assigned, the payout the resale formula in
    force gives (arrears deducted, as `member show` computes it), its funding, the member's share capital
    withdrawn and the incoming member admitted. --dry-run shows the payout and how it is funded.

    \b
    Example:
      mutual member leave bob --incoming dan --incoming-net-salary 21000 --incoming-payment-rate 0.33 \\
          --incoming-deposit 7520 --incoming-debt-share 142880 --incoming-share 1 --funding top-up \\
          --on 2026-10-01
    """
    from ledger.commands.coop_entry import Incoming

    terms = (incoming_net_salary, incoming_payment_rate, incoming_deposit, incoming_debt_share)
    given = [t is not None for t in terms]
    if incoming is None and (any(given) or incoming_share is not None or incoming_mortgage is not None):
        raise click.UsageError("the --incoming-* terms need --incoming MEMBER")
    if any(given) and not all(given):
        missing = [n for n, g in zip(("--incoming-net-salary", "--incoming-payment-rate", "--incoming-deposit",
                                      "--incoming-debt-share"), given, strict=True) if not g]
        raise click.UsageError(f"the incoming member's terms are incomplete: {', '.join(missing)} missing")
    newcomer = None
    if incoming is not None:
        joining = None
        if all(given):
            salary, rate, deposit, debt = (t for t in terms if t is not None)
            joining = _terms(salary, rate, deposit, debt, incoming_mortgage)
        newcomer = Incoming(incoming, joining, incoming_share)

    def plan(actor: str) -> Plan:
        return _entry().leave(obj.store, member_id, on=on, incoming=newcomer, funding=funding,
                              mortgage=mortgage, actor=actor)

    run(obj, plan, **common)


# --- payments ---------------------------------------------------------------------------------------------------


@click.group()
def payment() -> None:
    """A member's payments: received, extra (staircasing up), reduced (staircasing down)."""


@payment.command("receive")
@click.argument("member_id", metavar="MEMBER", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--period", type=PERIOD, required=True, help="The month it pays for (YYYY-MM).")
@click.option("--bank-reference", required=True, help="The reference on the bank statement line.")
@entry_options
@click.pass_obj
def payment_receive(obj: Context, member_id: str, amount: Decimal, period: str, bank_reference: str, on: date,
                    **common: Any) -> None:
    """Record money received from MEMBER; --dry-run shows the member's arrears before and after.

    \b
    Example:
      mutual payment receive alice --amount 660.00 --period 2025-05 --bank-reference SO-ALICE-2025-05 --on 2025-05-03
    """
    run(obj, _entry().receive_payment(member_id, amount=amount, period=period, bank_reference=bank_reference, on=on),
        **common)


@payment.command("extra")
@click.argument("member_id", metavar="MEMBER", type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--bank-reference", required=True, help="The reference on the bank statement line.")
@entry_options
@click.pass_obj
def payment_extra(obj: Context, member_id: str, amount: Decimal, bank_reference: str, on: date,
                  **common: Any) -> None:
    """Record an extra payment from MEMBER: it buys units (staircasing up).

    \b
    Example:
      mutual payment extra alice --amount 2000.00 --bank-reference FP-ALICE-EXTRA-1 --on 2026-03-14
    """
    run(obj, _entry().extra_payment(member_id, amount=amount, bank_reference=bank_reference, on=on), **common)


@payment.command("reduce")
@click.argument("member_id", metavar="MEMBER", type=ID)
@click.option("--annual-payment", type=MONEY, required=True, help="The member's new yearly payment.")
@click.option("--units-sold", type=NUMBER, required=True, help="Units the member sells back to the co-op (0: none).")
@click.option("--reason", required=True, help="Why the reduction was agreed.")
@entry_options
@click.pass_obj
def payment_reduce(obj: Context, member_id: str, annual_payment: Decimal, units_sold: Decimal, reason: str,
                   on: date, **common: Any) -> None:
    """Agree a lower payment for MEMBER, selling units back to the co-op (staircasing down).

    \b
    Example:
      mutual payment reduce carol --annual-payment 6200 --units-sold 25 --reason "hours cut at work" --on 2026-01-01
    """
    run(obj, _entry().reduce_payment(member_id, annual_payment=annual_payment, units_sold=units_sold, reason=reason,
                                     on=on), **common)


# --- units, shares, dividends, reserve ------------------------------------------------------------------------------


@click.group()
def units() -> None:
    """Units moving between a dwelling's holders."""


@units.command("transfer")
@click.argument("dwelling_id", metavar="DWELLING", type=ID)
@click.option("--from", "from_holder", type=HOLDERS, required=True)
@click.option("--to", "to_holder", type=HOLDERS, required=True)
@click.option("--units", "units_", type=NUMBER, required=True)
@click.option("--price", type=AMOUNT, required=True, help="What the units were paid for (0 for none).")
@entry_options
@click.pass_obj
def units_transfer(obj: Context, dwelling_id: str, from_holder: str, to_holder: str, units_: Decimal,
                   price: Decimal, on: date, **common: Any) -> None:
    """Move units of DWELLING between the CLT, the member and the co-op (financed), e.g. a staircase from the CLT.

    \b
    Example:
      mutual units transfer flat1 --from clt --to member --units 50 --price 9000 --on 2026-06-01
    """
    run(obj, _entry().transfer_units(dwelling_id, from_holder=from_holder, to_holder=to_holder, units=units_,
                                     price=price, on=on), **common)


@click.group()
def share() -> None:
    """Members' share capital (at most £20,000 per member per society)."""


SHARE_OPTIONS = (click.option("--society", required=True, type=ID), click.option("--amount", type=MONEY, required=True))
_command(share, "buy", "buy_shares", "member_id", "MEMBER", *SHARE_OPTIONS,
         doc=("MEMBER buys share capital in a society.",
              "mutual share buy alice --society riverside --amount 1 --on 2025-04-01"))
_command(share, "withdraw", "withdraw_shares", "member_id", "MEMBER", *SHARE_OPTIONS,
         doc=("MEMBER withdraws share capital (no more than they hold).",
              "mutual share withdraw alice --society riverside --amount 1 --on 2027-04-01"))


@click.group()
def dividend() -> None:
    """Dividends on share capital."""


@dividend.command("pay")
@click.argument("member_id", metavar="MEMBER", type=ID)
@click.option("--society", required=True, type=ID)
@click.option("--amount", type=MONEY, required=True)
@click.option("--period", required=True, help="The period it is paid for: a year YYYY or a month YYYY-MM.")
@entry_options
@click.pass_obj
def dividend_pay(obj: Context, member_id: str, society: str, amount: Decimal, period: str, on: date,
                 **common: Any) -> None:
    """Pay MEMBER a dividend on their share capital in a society.

    \b
    Example:
      mutual dividend pay alice --society riverside --amount 0.02 --period 2025 --on 2026-04-30
    """
    run(obj, _entry().pay_dividend(member_id, society=society, amount=amount, period=period, on=on), **common)


@click.group()
def reserve() -> None:
    """A co-op's reserve: spent, transferred."""


_command(reserve, "spend", "spend_reserve", "coop", "COOP",
         click.option("--amount", type=MONEY, required=True, help="What was spent."),
         click.option("--purpose", required=True, help="What it was spent on."),
         doc=("Spend from COOP's reserve, e.g. on cyclical repairs; --dry-run shows the reserve before and after.",
              'mutual reserve spend riverside --amount 1850.00 --purpose "boiler, flat 3" --on 2026-02-10'))
_command(reserve, "transfer", "transfer_reserve", "coop", "COOP",
         click.option("--amount", type=SIGNED_AMOUNT, required=True, help="Into the reserve; below zero, out of it."),
         click.option("--purpose", required=True, help="Why."),
         doc=("Move money into (or, below zero, out of) COOP's reserve.",
              'mutual reserve transfer riverside --amount 5000 --purpose "grant from the council" --on 2026-01-15'))


COMMANDS = [society, index, mortgage, policy, payment, units, share, dividend, reserve]
