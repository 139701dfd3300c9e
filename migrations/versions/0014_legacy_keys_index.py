"""The legacy keys' own index: a partial index of the events recorded under a `content:` key (keys derived before
the key was the fact alone), by stream and position. An append under a derived `fact:` key asks whether its fact is
recorded already under such a key on its stream (docs/events.md, "Idempotency"); that question read every event of
the stream (10 ms an append on a 20,000-event stream) and now reads this index, which a ledger begun after the
change leaves empty. Its predicate is word for word `ledger/store/recorder.py` LEGACY_KEYS, which the query repeats
so that both engines' planners use it.

Revision ID: 0014_legacy_keys_index
Revises: 0013_corrections_index
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_legacy_keys_index"
down_revision = "0013_corrections_index"
branch_labels = None
depends_on = None

PREDICATE = "substr(idempotency_key, 1, 8) = 'content:'"


def upgrade() -> None:
    op.create_index("ix_events_legacy_keys", "events", ["stream", "position"], sqlite_where=sa.text(PREDICATE),
                    postgresql_where=sa.text(PREDICATE))


def downgrade() -> None:
    op.drop_index("ix_events_legacy_keys", table_name="events")
