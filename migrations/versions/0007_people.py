"""The register of people, outside the hash chain: `people` (mutable, erasable) and `people_changes` (its log).

`people` holds a ledger id's personal fields (name, address, email, phone, bank details, net salary), keyed by
the id and its kind (a member, or the contact of a society). It is the one mutable table of the ledger: a field
is changed in place and an erasure clears every personal field, leaving a tombstone (the id, the kind, when and
why it was erased). No row is ever deleted (a trigger refuses it), so a statement can still say the name was
erased at the person's request. `people_changes` logs every change: who, when, which fields, never a value; it
is append-only (triggers refuse UPDATE and DELETE) like the events.

Roles on PostgreSQL (0002_roles, 0005, 0006):
- `mutual_writer` (the clerks) keeps the register: SELECT, INSERT, UPDATE on `people`; SELECT, INSERT on
  `people_changes` (and its id sequence). No DELETE on either, no UPDATE on the log.
- `mutual_auditor` reads the books, which hold ids only, and needs no one's name or bank details to prove them:
  it may read of `people` only the columns without personal data (person_id, kind, created_at, updated_at,
  erased_at, erasure_reason: so it can see that an erasure happened and when), and all of `people_changes`
  (no personal data there). It may not read a name, an address or an account number.
- the owner (who runs `mutual init`) owns both tables.
SQLite has no roles: whoever can open the file reads everything (file permissions are the only control).

Revision ID: 0007_people
Revises: 0006_checkpoint_writers
Create Date: 2027-02-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_people"
down_revision = "0006_checkpoint_writers"
branch_labels = None
depends_on = None

PERSONAL = ("name", "address", "email", "phone", "sort_code", "account_number", "account_name", "net_salary")
NOT_PERSONAL = ("person_id", "kind", "created_at", "updated_at", "erased_at", "erasure_reason")
KEEP = "people are never deleted: an erasure clears the personal fields and keeps the tombstone"
APPEND_ONLY = "the change log of the register of people is append-only"


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        *(sa.Column(name, sa.Text, nullable=True) for name in PERSONAL),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erasure_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("kind", "person_id", name=op.f("pk_people")),
        sa.CheckConstraint("kind IN ('member', 'contact')", name=op.f("ck_people_kind")),
        sa.CheckConstraint("erased_at IS NULL OR (" + " AND ".join(f"{n} IS NULL" for n in PERSONAL) + ")",
                           name=op.f("ck_people_erased_holds_nothing")),
    )
    op.create_table(
        "people_changes",
        sa.Column("change_id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("change_id", name=op.f("pk_people_changes")),
        sa.CheckConstraint("action IN ('add', 'update', 'erase')", name=op.f("ck_people_changes_action")),
    )
    op.create_index(op.f("ix_people_changes_person_id"), "people_changes", ["person_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE TRIGGER people_refuse_delete BEFORE DELETE ON people "
                   f"BEGIN SELECT RAISE(ABORT, '{KEEP}'); END")
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER people_changes_refuse_{action.lower()} BEFORE {action} ON people_changes "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: {action} is refused'); END")
        return
    op.execute("CREATE FUNCTION people_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN RAISE EXCEPTION '{KEEP}'; END $$")
    op.execute("CREATE TRIGGER people_refuse_delete BEFORE DELETE ON people "
               "FOR EACH ROW EXECUTE FUNCTION people_refuse_delete()")
    op.execute("CREATE FUNCTION people_changes_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}: % is refused', TG_OP; END $$")
    op.execute("CREATE TRIGGER people_changes_refuse_change BEFORE UPDATE OR DELETE ON people_changes "
               "FOR EACH ROW EXECUTE FUNCTION people_changes_refuse_change()")
    for role in ("mutual_writer", "mutual_auditor"):  # the roles come from 0002_roles
        op.execute(f"REVOKE ALL ON people FROM {role}")
        op.execute(f"REVOKE ALL ON people_changes FROM {role}")
    op.execute("GRANT SELECT, INSERT, UPDATE ON people TO mutual_writer")
    op.execute("GRANT SELECT, INSERT ON people_changes TO mutual_writer")
    op.execute("GRANT USAGE ON SEQUENCE people_changes_change_id_seq TO mutual_writer")
    op.execute(f"GRANT SELECT ({', '.join(NOT_PERSONAL)}) ON people TO mutual_auditor")
    op.execute("GRANT SELECT ON people_changes TO mutual_auditor")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS people_refuse_delete")
        op.execute("DROP TRIGGER IF EXISTS people_changes_refuse_update")
        op.execute("DROP TRIGGER IF EXISTS people_changes_refuse_delete")
    op.drop_index(op.f("ix_people_changes_person_id"), table_name="people_changes")
    op.drop_table("people_changes")
    op.drop_table("people")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS people_refuse_delete()")
        op.execute("DROP FUNCTION IF EXISTS people_changes_refuse_change()")
