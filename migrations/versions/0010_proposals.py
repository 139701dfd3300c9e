"""Four-eyes proposals beside the chain: each proposal's command line (it may hold an incoming member's salary and
address), who proposed it, and where it stands. The chain holds the proposal's events and the command line's
SHA-256 (docs/approvals.md), so the record proves what was approved; this table may be erased of personal data.

On PostgreSQL the writer role may read, add and change rows; the auditor role is not granted them.

Revision ID: 0010_proposals
Revises: 0009_users
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_proposals"
down_revision = "0009_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.String(64), nullable=False),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("argv", sa.Text(), nullable=False),
        sa.Column("argv_digest", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("proposer", sa.String(200), nullable=False),
        sa.Column("proposer_role", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_status", "proposals", ["status"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for role in ("mutual_writer", "mutual_auditor"):  # the roles come from 0002_roles
        op.execute(f"REVOKE ALL ON proposals FROM {role}")
    op.execute("GRANT SELECT, INSERT, UPDATE ON proposals TO mutual_writer")


def downgrade() -> None:
    op.drop_index("ix_proposals_status", table_name="proposals")
    op.drop_table("proposals")
