"""When a proposal's decision was claimed: a claim left by a process that died mid-decision can be taken over
(docs/approvals.md, "A decision interrupted"). The chain stays the judge: a decision is appended only on the
version of the proposal's stream its decider read, so two deciders can never both decide.

Revision ID: 0012_proposal_claims
Revises: 0011_balances
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0012_proposal_claims"
down_revision = "0011_balances"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("claimed_at")
