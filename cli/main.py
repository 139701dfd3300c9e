"""`mutual`: the back office's command line."""

from __future__ import annotations

import os
import sys
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from ledger import __version__
from ledger.errors import LedgerError
from ledger.store.engine import database_url

if TYPE_CHECKING:
    from ledger.store import EventStore


class Context:
    """What every command shares: the database URL, and the store opened only when needed."""

    def __init__(self, db: str | None) -> None:
        self.url = database_url(db)

    @cached_property
    def store(self) -> EventStore:
        from ledger.store import EventStore

        _require_sqlite_file(self.url)
        try:
            return EventStore(self.url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--db") from None


def _require_sqlite_file(url: str) -> None:
    """Every command but `mutual init` works on a ledger that exists: SQLite would create an empty file instead."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # (EventStore says what is wrong with it)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or "uri" in parsed.query or os.path.exists(parsed.database):
        return
    raise LedgerError(f"--db: there is no ledger at {parsed.database} (nothing was created); "
                      "`mutual init` creates one, or point --db / $MUTUAL_DATABASE_URL at an existing ledger")


def _not_utf8(args: list[str]) -> str | None:
    """The first command-line argument that is not valid UTF-8 (Python hands its bytes on as lone surrogates),
    named by its option where it is an option's value; None when all are."""
    for number, arg in enumerate(args):
        if not any("\udc80" <= ch <= "\udcff" for ch in arg):
            continue
        raw = arg.encode("utf-8", "surrogateescape")
        if arg.startswith("--") and "=" in arg:
            name, raw = arg.split("=", 1)[0], arg.split("=", 1)[1].encode("utf-8", "surrogateescape")
        elif number and args[number - 1].startswith("-") and args[number - 1] != "-":
            name = args[number - 1]
        else:
            name = f"argument {number + 1}"
        return (f"{name}: {raw!r} is not valid UTF-8 text; every argument must be "
                "(a file with such a name can be read from stdin: `mutual import - < FILE`)")
    return None


class LedgerGroup(click.Group):
    """Turns the ledger's own errors into one clear line on stderr and a non-zero exit."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            problem = _not_utf8(list(args))
            if problem:
                click.echo(f"error: {problem}", err=True)
                ctx.exit(2)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:  # a database that is not there, not migrated, ...
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, SQLAlchemyError):
                message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                hint = (" (has `mutual init` been run on this database, since this version?)"
                        if "events" in message or "checkpoints" in message else "")
                click.echo(f"error: the database refused: {message}{hint}", err=True)
                sys.exit(1)
            raise


@click.group(cls=LedgerGroup)
@click.version_option(__version__, prog_name="mutual")
@click.option("--db", envvar="MUTUAL_DATABASE_URL", default=None, metavar="URL",
              help="Database URL (default: $MUTUAL_DATABASE_URL or sqlite:///mutual-ledger.db).")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """The books of mutual home ownership co-ops, their CLTs and a JAK savings fund."""
    ctx.obj = Context(db)


# Each module lists its click commands (or groups) in COMMANDS.
COMMAND_MODULES = ("cli.store_commands", "cli.coop_commands", "cli.fund_commands", "cli.audit_commands",
                   "cli.correction_commands", "cli.coop_entry_commands", "cli.person_commands",
                   "cli.arrears_commands", "cli.bank_commands", "cli.statement_commands", "cli.report_commands",
                   "cli.accounts_commands", "cli.user_commands", "cli.serve_commands",
                   "cli.approval_commands")


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # not built yet
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="mutual")


if __name__ == "__main__":
    main()
