"""Run the Alembic migrations from code (what `mutual init` and the tests call)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

import migrations


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _run(engine: Engine, action: Callable[[Config, str], None], target: str) -> None:
    config = alembic_config(engine)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        action(config, target)
        conn.commit()


def upgrade(engine: Engine, target: str = "head") -> None:
    _run(engine, command.upgrade, target)


def downgrade(engine: Engine, target: str = "base") -> None:
    _run(engine, command.downgrade, target)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
