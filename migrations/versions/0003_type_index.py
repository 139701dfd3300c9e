"""An index on (type, position): finding every event of one type (corrections, admissions) without a scan.

Revision ID: 0003_type_index
Revises: 0002_roles
Create Date: 2026-11-22
"""
from alembic import op

revision = "0003_type_index"
down_revision = "0002_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_type_position", "events", ["type", "position"])


def downgrade() -> None:
    op.drop_index("ix_events_type_position", table_name="events")
