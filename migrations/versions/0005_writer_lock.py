"""The writers' lock: one row per ledger that only the writer role (and the owner) may lock (PostgreSQL).

Writers used to serialise on a database-wide advisory lock. An advisory lock
needs no privilege, so the read-only auditor role could take it and stop
every write, and ledgers in two schemas of one database shared it. A row
lock (`SELECT … FOR UPDATE`) needs UPDATE on the table as well as SELECT,
which only `mutual_writer` is granted here; the table lives in the ledger's
own schema, so each ledger has its own. The row carries no data (its one
column can only be 1), and no role but the owner may delete it.
SQLite serialises writers on the database file (BEGIN IMMEDIATE): nothing to
create there.

Revision ID: 0005_writer_lock
Revises: 0004_checkpoints
Create Date: 2027-01-18
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_writer_lock"
down_revision = "0004_checkpoints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    table = op.create_table(
        "writer_lock",
        sa.Column("lock_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("lock_id", name=op.f("pk_writer_lock")),
        sa.CheckConstraint("lock_id = 1", name=op.f("ck_writer_lock_one_row")),
    )
    op.bulk_insert(table, [{"lock_id": 1}])
    for role in ("mutual_writer", "mutual_auditor"):  # the roles come from 0002_roles
        op.execute(f"REVOKE ALL ON writer_lock FROM {role}")
    op.execute("GRANT SELECT, UPDATE ON writer_lock TO mutual_writer")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("writer_lock")
