"""Balance checkpoints: the general ledger's postings added up on one effective date, as of one position of the
log, kept so the trial balance need not fold the whole log again (docs/accounts.md, "Balance checkpoints").

A balance checkpoint is a cache of a fold, never a fact: the trial balance uses one only while the events after
its position are ones it can carry it forward over, and folds the whole log otherwise. It is trusted by every later
trial balance, so, like an audit checkpoint, it is written by the owner or the auditor role, never by the writer
(PostgreSQL), and it is append-only (a new one is taken; none is changed).

Revision ID: 0011_balances
Revises: 0010_proposals
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_balances"
down_revision = "0010_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "balance_checkpoints",
        sa.Column("checkpoint_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("sums", sa.Text, nullable=False),
        sa.Column("sums_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_id", name=op.f("pk_balance_checkpoints")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_balance_checkpoints_position_not_negative")),
    )
    op.create_index("ix_balance_checkpoints_as_of", "balance_checkpoints", ["as_of", "position"])
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER balance_checkpoints_refuse_{action.lower()} BEFORE {action} ON balance_checkpoints "
                f"BEGIN SELECT RAISE(ABORT, 'balance checkpoints are append-only: {action} is refused'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION balance_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'balance checkpoints are append-only: % is refused', TG_OP; END $$"
    )
    op.execute("CREATE TRIGGER balance_checkpoints_refuse_update_delete BEFORE UPDATE OR DELETE ON "
               "balance_checkpoints FOR EACH ROW EXECUTE FUNCTION balance_checkpoints_refuse_change()")
    for role in ("mutual_writer", "mutual_auditor"):  # the roles come from 0002_roles
        op.execute(f"REVOKE ALL ON balance_checkpoints FROM {role}")
    op.execute("GRANT SELECT ON balance_checkpoints TO mutual_writer")
    op.execute("GRANT SELECT, INSERT ON balance_checkpoints TO mutual_auditor")
    op.execute("GRANT USAGE ON SEQUENCE balance_checkpoints_checkpoint_id_seq TO mutual_auditor")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER balance_checkpoints_refuse_update_delete ON balance_checkpoints")
        op.execute("DROP FUNCTION balance_checkpoints_refuse_change()")
    op.drop_index("ix_balance_checkpoints_as_of", "balance_checkpoints")
    op.drop_table("balance_checkpoints")
