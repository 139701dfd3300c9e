"""PostgreSQL least-privilege roles: a writer (SELECT, INSERT) and an auditor (SELECT).

Roles belong to the whole cluster, so they are created only if missing and
left in place on downgrade; only their grants on `events` are revoked.
Creating a role needs CREATEROLE: run `mutual init` as the database owner.

Revision ID: 0002_roles
Revises: 0001_events
Create Date: 2026-11-22
"""
from alembic import op

revision = "0002_roles"
down_revision = "0001_events"
branch_labels = None
depends_on = None

ROLES = {"mutual_writer": "SELECT, INSERT", "mutual_auditor": "SELECT"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for role, grants in ROLES.items():
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
        op.execute(f"REVOKE ALL ON events FROM {role}")
        op.execute(f"GRANT {grants} ON events TO {role}")
        op.execute(f"DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO {role}', current_schema()); END $$")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for role in ROLES:
        op.execute(f"REVOKE ALL ON events FROM {role}")
