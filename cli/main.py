"""`mutual`: the back office's command line."""

from __future__ import annotations

import sys
from functools import cached_property

import click

from ledger import __version__
from ledger.errors import LedgerError
from ledger.store.engine import database_url


class Context:
    """What every command shares: the database URL, and the store opened only when needed."""

    def __init__(self, db: str | None) -> None:
        self.url = database_url(db)

    @cached_property
    def store(self):
        from ledger.store import EventStore

        try:
            return EventStore(self.url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--db") from None


class LedgerGroup(click.Group):
    """Turns the ledger's own errors into one clear line on stderr and a non-zero exit."""

    def invoke(self, ctx):
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
COMMAND_MODULES = ("cli.store_commands", "cli.equity_commands", "cli.jak_commands", "cli.audit_commands", "cli.correction_commands")


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
