"""Bank lines' personal data beside the chain: payers' names and account numbers, and learned payee names.

Mutable on purpose (unlike `events` and `checkpoints`): a person's details can be corrected or erased, and the
chain, which holds only the lines' ids, amounts, dates and references, still verifies (docs/bank.md). On
PostgreSQL the writer role may read, add, change and erase them; the auditor role is not granted them (the audit
needs none of it).

Revision ID: 0008_bank_lines
Revises: 0007_people
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_bank_lines"
down_revision = "0007_people"
branch_labels = None
depends_on = None

TABLES = ("bank_line_details", "bank_payees")


def upgrade() -> None:
    op.create_table(
        "bank_line_details",
        sa.Column("line_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("counterparty_name", sa.String(200), nullable=True),
        sa.Column("counterparty_account", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_bank_line_details")),
    )
    op.create_table(
        "bank_payees",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("payee_key", sa.String(200), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("learned_from_line", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "payee_key", name=op.f("pk_bank_payees")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for role in ("mutual_writer", "mutual_auditor"):  # the roles come from 0002_roles
            op.execute(f"REVOKE ALL ON {table} FROM {role}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO mutual_writer")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
