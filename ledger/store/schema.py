"""The `events` table (and the audit `checkpoints` beside it), in SQLAlchemy Core, with Alembic's naming convention.

Payload and metadata are kept as canonical JSON *text* on both engines: the
hash is computed over exactly these bytes, and SQLite and PostgreSQL then
hand back identical values (cast to jsonb in psql to query inside them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ledger.store.recorder import CORRECTIONS, LEGACY_KEYS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

events = Table(
    "events",
    metadata,
    Column("position", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("stream", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("payload", Text, nullable=False),
    Column("metadata", Text, nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream", "version", name="uq_events_stream_version"),
    UniqueConstraint("idempotency_key", name="uq_events_idempotency_key"),
    CheckConstraint("position >= 1", name="position_positive"),
    CheckConstraint("version >= 1", name="version_positive"),
    Index("ix_events_type_position", "type", "position"),
    # migration 0013: the corrections, from their own partial index (recorder.CORRECTIONS is its predicate)
    Index("ix_events_corrections", "position", sqlite_where=text(CORRECTIONS), postgresql_where=text(CORRECTIONS)),
    # migration 0014: the events under legacy `content:` keys, by stream (recorder.LEGACY_KEYS is its predicate)
    Index("ix_events_legacy_keys", "stream", "position", sqlite_where=text(LEGACY_KEYS),
          postgresql_where=text(LEGACY_KEYS)),
)

# The books as folded at a position of the log, kept so that a later audit can show they still follow from it.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("checkpoint_id", Integer, primary_key=True, autoincrement=True),
    Column("position", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("books", Text, nullable=False),
    Column("books_hash", String(64), nullable=False),
    CheckConstraint("position >= 0", name="position_not_negative"),
)
