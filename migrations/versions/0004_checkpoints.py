"""Audit checkpoints: the books as folded at a position of the log, append-only like the events.

Revision ID: 0004_checkpoints
Revises: 0003_type_index
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_checkpoints"
down_revision = "0003_type_index"
branch_labels = None
depends_on = None

ROLES = {"mutual_writer": "SELECT, INSERT", "mutual_auditor": "SELECT"}


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("checkpoint_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("books", sa.Text, nullable=False),
        sa.Column("books_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_id", name=op.f("pk_checkpoints")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_checkpoints_position_not_negative")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER checkpoints_refuse_{action.lower()} BEFORE {action} ON checkpoints "
                f"BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: {action} is refused'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'checkpoints are append-only: % is refused', TG_OP; END $$"
    )
    op.execute("CREATE TRIGGER checkpoints_refuse_update_delete BEFORE UPDATE OR DELETE ON checkpoints "
               "FOR EACH ROW EXECUTE FUNCTION checkpoints_refuse_change()")
    op.execute("CREATE TRIGGER checkpoints_refuse_truncate BEFORE TRUNCATE ON checkpoints "
               "FOR EACH STATEMENT EXECUTE FUNCTION checkpoints_refuse_change()")
    for role, grants in ROLES.items():  # the roles come from 0002_roles
        op.execute(f"REVOKE ALL ON checkpoints FROM {role}")
        op.execute(f"GRANT {grants} ON checkpoints TO {role}")
    op.execute("GRANT USAGE ON SEQUENCE checkpoints_checkpoint_id_seq TO mutual_writer")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS checkpoints_refuse_update")
        op.execute("DROP TRIGGER IF EXISTS checkpoints_refuse_delete")
        op.drop_table("checkpoints")
        return
    for role in ROLES:
        op.execute(f"REVOKE ALL ON checkpoints FROM {role}")
    op.drop_table("checkpoints")
    op.execute("DROP FUNCTION IF EXISTS checkpoints_refuse_change()")
