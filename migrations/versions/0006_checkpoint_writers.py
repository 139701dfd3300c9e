"""Checkpoints are written by the owner or the auditor, never by the writer, and their ids are the ledger's.

Every later audit holds the log to the checkpoints, so whoever writes one
is trusted by every later audit: that is the auditor's role (and the
owner's), not the clerks'. On PostgreSQL the writer role loses INSERT on
`checkpoints` and the auditor role gains it. On both engines a checkpoint's
id is assigned by the ledger, one more than the last, and an insert that
chooses one is refused (PostgreSQL: a trigger draws it from the sequence;
SQLite: a trigger refuses any other than the next). Checkpoints written
before this migration stay, and `mutual audit` checks every one of them.

Revision ID: 0006_checkpoint_writers
Revises: 0005_writer_lock
Create Date: 2027-01-18
"""
from alembic import op

revision = "0006_checkpoint_writers"
down_revision = "0005_writer_lock"
branch_labels = None
depends_on = None

REFUSED = "checkpoint ids are assigned by the ledger, not chosen: leave checkpoint_id out"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER checkpoints_assign_id AFTER INSERT ON checkpoints WHEN NEW.checkpoint_id <> "
            "(SELECT COALESCE(MAX(checkpoint_id), 0) FROM checkpoints WHERE checkpoint_id <> NEW.checkpoint_id) + 1 "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
        )
        return
    op.execute("ALTER TABLE checkpoints ALTER COLUMN checkpoint_id DROP DEFAULT")
    op.execute(
        "CREATE FUNCTION checkpoints_assign_id() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.checkpoint_id IS NOT NULL THEN RAISE EXCEPTION '{REFUSED}'; END IF; "
        "NEW.checkpoint_id := nextval('checkpoints_checkpoint_id_seq'); RETURN NEW; END $$"
    )
    op.execute("CREATE TRIGGER checkpoints_assign_id BEFORE INSERT ON checkpoints "
               "FOR EACH ROW EXECUTE FUNCTION checkpoints_assign_id()")
    op.execute("REVOKE INSERT ON checkpoints FROM mutual_writer")
    op.execute("REVOKE USAGE ON SEQUENCE checkpoints_checkpoint_id_seq FROM mutual_writer")
    op.execute("GRANT SELECT, INSERT ON checkpoints TO mutual_auditor")
    op.execute("GRANT USAGE ON SEQUENCE checkpoints_checkpoint_id_seq TO mutual_auditor")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS checkpoints_assign_id")
        return
    op.execute("REVOKE INSERT ON checkpoints FROM mutual_auditor")
    op.execute("REVOKE USAGE ON SEQUENCE checkpoints_checkpoint_id_seq FROM mutual_auditor")
    op.execute("GRANT SELECT, INSERT ON checkpoints TO mutual_writer")
    op.execute("GRANT USAGE ON SEQUENCE checkpoints_checkpoint_id_seq TO mutual_writer")
    op.execute("DROP TRIGGER checkpoints_assign_id ON checkpoints")
    op.execute("DROP FUNCTION checkpoints_assign_id()")
    op.execute("ALTER TABLE checkpoints ALTER COLUMN checkpoint_id SET DEFAULT nextval('checkpoints_checkpoint_id_seq')")
