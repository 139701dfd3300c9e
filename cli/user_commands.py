"""The users of the web back office: `mutual user add|role|password|disable|list` (docs/web.md).

A password is never an option's value (it would show in `ps` and the shell's history): it is asked for twice
without echo, or read as one line from stdin with `--password-stdin`. It is hashed with argon2 and never printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from cli.output import emit_json
from cli.params import actor as actor_of

if TYPE_CHECKING:
    from cli.main import Context
    from ledger.store.users import User


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return str(click.prompt("Password (at least 12 characters)", hide_input=True, confirmation_prompt=True,
                            err=True))


def _print(user: User, as_json: bool, what: str, **extra: Any) -> None:
    if as_json:
        emit_json({**user.public(), "action": what, **extra})
        return
    link = "".join(f" {k} {v}" for k, v in (("member", user.member), ("saver", user.saver)) if v)
    click.echo(f"{what} {user.username}: {user.role}{link}"
               + "".join(f", {k.replace('_', ' ')} {v}" for k, v in extra.items()))


def common(f: Any) -> Any:
    f = click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)
    return click.option("--actor", default=None,
                        help="Who makes the change (default: $MUTUAL_ACTOR or your user name).")(f)


def link_options(f: Any) -> Any:
    f = click.option("--saver", default=None, help="Role member only: the saver id they hold savings as (optional).")(f)
    return click.option("--member", default=None, help="Role member only: the member id the user is.")(f)


@click.group()
def user() -> None:
    """Users of the web back office (`mutual serve`): their roles, passwords and disabling.

    \b
    Roles: clerk, treasurer, auditor, board, member (linked to --member), admin.
    Example:
      mutual user add jo --role clerk                      # asks for the password twice
      printf '%s\\n' "$PASSWORD" | mutual user add alice --role member --member alice --password-stdin
      mutual user role jo treasurer
      mutual user disable jo --reason "left the office"
      mutual user list --json
    """


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, help="clerk, treasurer, auditor, board, member or admin.")
@link_options
@click.option("--password-stdin", is_flag=True, help="Read the password as one line from stdin.")
@common
@click.pass_obj
def add(obj: Context, username: str, role: str, member: str | None, saver: str | None, password_stdin: bool,
        actor: str | None, as_json: bool) -> None:
    """Add a user (user names: 2 to 32 of a-z 0-9 . _ -, starting with a letter; they are the events' actor)."""
    from ledger.commands.users import add_user

    made = add_user(obj.store, username, role, _password(password_stdin), actor=actor_of(actor), member=member,
                    saver=saver)
    _print(made, as_json, "added")


@user.command("role")
@click.argument("username")
@click.argument("role")
@link_options
@common
@click.pass_obj
def role(obj: Context, username: str, role: str, member: str | None, saver: str | None, actor: str | None,
         as_json: bool) -> None:
    """Change a user's role (and member link); it takes effect on their next request."""
    from ledger.commands.users import change_role

    _print(change_role(obj.store, username, role, actor=actor_of(actor), member=member, saver=saver), as_json,
           "changed")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password as one line from stdin.")
@common
@click.pass_obj
def password(obj: Context, username: str, password_stdin: bool, actor: str | None, as_json: bool) -> None:
    """Set a user's password; their live sessions end."""
    from ledger.commands.users import set_password

    _print(set_password(obj.store, username, _password(password_stdin), actor=actor_of(actor)), as_json,
           "password set for")


@user.command("disable")
@click.argument("username")
@click.option("--reason", required=True, help="Why (one line; kept with the user).")
@common
@click.pass_obj
def disable(obj: Context, username: str, reason: str, actor: str | None, as_json: bool) -> None:
    """Disable a user: they cannot log in, and their live sessions end at once. Users are never deleted."""
    from ledger.commands.users import disable_user

    made, ended = disable_user(obj.store, username, reason, actor=actor_of(actor))
    _print(made, as_json, "disabled", sessions_ended=ended)


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_(obj: Context, as_json: bool) -> None:
    """Every user, with role, link and status (never a password hash)."""
    from ledger.commands.users import list_users

    found = list_users(obj.store)
    if as_json:
        emit_json([u.public() for u in found])
        return
    if not found:
        click.echo("no users (`mutual user add NAME --role ROLE`)")
    for u in found:
        link = "".join(f" {k}={v}" for k, v in (("member", u.member), ("saver", u.saver)) if v)
        status = f"disabled {u.disabled_at:%Y-%m-%d} ({u.disabled_reason})" if u.disabled_at else "active"
        click.echo(f"{u.username:<20} {u.role:<10} {status}{link}")


COMMANDS = [user]
