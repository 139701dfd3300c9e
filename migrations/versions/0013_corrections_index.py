"""The corrections' own index: a partial index of the reversals and the prior-period adjustments, so the
corrections page and `projections/log.py` `corrections` read them without reading the log (3.8 s at a million
events before; a federation's thirty years hold ten million). Its predicate is word for word
`ledger/store/recorder.py` CORRECTIONS, which the query repeats so that both engines' planners use it.

Revision ID: 0013_corrections_index
Revises: 0012_proposal_claims
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0013_corrections_index"
down_revision = "0012_proposal_claims"
branch_labels = None
depends_on = None

PREDICATE = """(type = 'EventReversed' OR metadata LIKE '%"adjustment":"prior-period"%')"""


def upgrade() -> None:
    op.create_index("ix_events_corrections", "events", ["position"], sqlite_where=sa.text(PREDICATE),
                    postgresql_where=sa.text(PREDICATE))


def downgrade() -> None:
    op.drop_index("ix_events_corrections", table_name="events")
