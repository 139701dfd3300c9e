"""The register of people: `mutual person add|update|show|erase` (docs/people.md). Outside the hash chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import click

from cli.output import current, emit_json, table
from cli.params import ID, output_options
from cli.params import actor as actor_of

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.commands.people import Changed

F = TypeVar("F", bound=Callable[..., Any])

# option name -> the register's field
FIELD_OPTIONS = {
    "name": "The person's name (for a contact: the contact's name at the society).",
    "address": "Postal address, on one line (commas between its parts).",
    "email": "Email address.",
    "phone": "Phone number.",
    "sort-code": "UK sort code, 6 digits (12-34-56 or 123456).",
    "account-number": "UK account number, 8 digits.",
    "account-name": "The name on the bank account.",
    "net-salary": "A member's yearly net salary, which their payment was agreed from (never in the chain).",
}
KIND_HELP = ("member or contact (the contact of a society). Needed only for an id the books do not know yet, or "
             "one that is both a member and a society.")


def field_options(f: F) -> F:
    for option, text in reversed(FIELD_OPTIONS.items()):
        f = click.option(f"--{option}", option.replace("-", "_"), default=None, help=text)(f)
    return f


def common(f: F) -> F:
    f = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)
    f = click.option("--actor", default=None,
                     help="Who makes the change (default: $MUTUAL_ACTOR or your user name).")(f)
    f = click.option("--kind", type=click.Choice(["member", "contact"]), default=None, help=KIND_HELP)(f)
    return f


def _given(options: dict[str, Any]) -> dict[str, str | None]:
    return {name.replace("-", "_"): options[name.replace("-", "_")] for name in FIELD_OPTIONS
            if options.get(name.replace("-", "_")) is not None}


def _print_change(what: str, changed: Changed, as_json: bool) -> None:
    person = changed.person
    if as_json:
        emit_json({"id": person.person_id, "kind": person.kind, "action": what, "fields": changed.fields})
        return
    names = ", ".join(changed.fields) if changed.fields else "nothing"
    click.echo(f"{what} {person.kind} {person.person_id}: {names}")


@click.group()
def person() -> None:
    """The register of people (names, addresses, bank details): outside the hash chain, erasable.

    \b
    Example:
      mutual person add alice --name "Alice Smith" --email alice@example.org \\
          --sort-code 12-34-56 --account-number 12345678 --account-name "A SMITH"
      mutual person update alice --phone "020 7946 0000" --clear email
      mutual person show alice --json
      mutual person erase alice --reason "erasure requested in writing, ref E-2027-3"
    """


@person.command("add")
@click.argument("person_id", metavar="ID", type=ID)
@field_options
@common
@click.pass_obj
def person_add(obj: Context, person_id: str, kind: Optional[str], actor: Optional[str], as_json: bool,
               **fields: Any) -> None:
    """Add the member or society contact ID to the register.

    ID is a member id or a society's id as the books know it; an id the books do not know yet (a member about to
    be admitted) needs --kind.
    """
    from ledger.commands.people import add_person

    _print_change("added", add_person(obj.store, person_id, _given(fields), actor=actor_of(actor), kind=kind),
                  as_json)


@person.command("update")
@click.argument("person_id", metavar="ID", type=ID)
@field_options
@click.option("--clear", multiple=True, metavar="FIELD",
              help="Clear a field (e.g. --clear phone); may be given more than once.")
@common
@click.pass_obj
def person_update(obj: Context, person_id: str, clear: tuple[str, ...], kind: Optional[str], actor: Optional[str],
                  as_json: bool, **fields: Any) -> None:
    """Change fields of ID's entry; the change log keeps who changed which field and when, never the values."""
    from ledger.commands.people import update_person

    given: dict[str, str | None] = {**{c.replace("-", "_"): None for c in clear}, **_given(fields)}
    _print_change("updated", update_person(obj.store, person_id, given, actor=actor_of(actor), kind=kind), as_json)


@person.command("erase", short_help="Erase every personal field of ID, keeping a tombstone.")
@click.argument("person_id", metavar="ID", type=ID)
@click.option("--reason", required=True,
              help="Why (e.g. the request's reference). Kept with the tombstone: no personal data in it.")
@common
@click.pass_obj
def person_erase(obj: Context, person_id: str, reason: str, kind: Optional[str], actor: Optional[str],
                 as_json: bool) -> None:
    """Erase every personal field of ID (UK GDPR art. 17), keeping a tombstone; the books are not touched."""
    from ledger.commands.people import erase_person

    _print_change("erased", erase_person(obj.store, person_id, reason, actor=actor_of(actor), kind=kind), as_json)


@person.command("show")
@click.argument("person_id", metavar="ID", type=ID)
@click.option("--kind", type=click.Choice(["member", "contact"]), default=None, help=KIND_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@output_options
@click.pass_obj
def person_show(obj: Context, person_id: str, kind: Optional[str], as_json: bool) -> None:
    """ID's entry in the register, and who changed it when."""
    from ledger.commands.people import show_person
    from ledger.people import FIELDS

    entry, changes = show_person(obj.store, person_id, kind)
    if as_json:
        emit_json({**entry.to_json(), "changes": [c.to_json() for c in changes]})
        return
    if current().captures:  # --format csv / xlsx: the entry, then who changed it when
        table(f"{entry.kind} {entry.person_id}", ["field", "value"],
              [(k, v) for k, v in sorted(entry.to_json().items()) if not isinstance(v, (dict, list))])
        table("changes", ["at", "action", "by", "fields"],
              [(c.at, c.action, c.actor, ", ".join(c.fields)) for c in changes])
        return
    click.echo(f"{entry.kind} {entry.person_id}")
    if entry.erased:
        assert entry.erased_at is not None
        click.echo(f"  {entry.display_name} on {entry.erased_at.date().isoformat()}: {entry.erasure_reason}")
    else:
        for field in FIELDS:
            value = entry.fields.get(field)
            if value is not None:
                click.echo(f"  {field.replace('_', ' ')}: {value}")
    for c in changes:
        names = ", ".join(c.fields) or "-"
        click.echo(f"  {c.at.strftime('%Y-%m-%d %H:%M')}Z {c.action} by {c.actor}: {names}")


COMMANDS = [person]
