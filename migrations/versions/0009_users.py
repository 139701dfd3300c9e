"""Users of the web back office, their sessions and failed logins: beside the chain, never in it.

- `users`: a user name (the actor the user's events record), a role, for a member the member id (and optionally
  the saver id) they are, an argon2 password hash (pwdlib), who made and last changed the user, and when and why
  it was disabled. A user is never deleted (its name stays the actor of what it recorded); it is disabled.
- `user_sessions`: one row per login. The cookie holds a signed random token; the table holds only its SHA-256,
  so a copy of the database opens no session. A session ends (logout, disable, expiry) by `ended_at`; idle and
  absolute expiry are checked on every request (web/sessions.py).
- `login_failures`: failed logins of the last minutes, by a hash of the name tried (people type passwords into the
  name box) and the client's address, for the login throttle (web/auth.py). Rows older than the window are pruned.

On PostgreSQL the writer role (the role the web app runs as) may read and write all three; the auditor role is
granted none of them (a password hash is nobody's business but the login's).

Revision ID: 0009_users
Revises: 0008_bank_lines
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_users"
down_revision = "0008_bank_lines"
branch_labels = None
depends_on = None

ROLES = ("clerk", "treasurer", "auditor", "board", "member", "admin")
TABLES = ("users", "user_sessions", "login_failures")


def upgrade() -> None:
    roles = ", ".join(f"'{r}'" for r in ROLES)
    op.create_table(
        "users",
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=True),
        sa.Column("saver_id", sa.String(64), nullable=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_by", sa.String(200), nullable=True),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_users")),
        sa.CheckConstraint(f"role IN ({roles})", name=op.f("ck_users_role")),
        sa.CheckConstraint("(role = 'member' AND member_id IS NOT NULL) OR "
                           "(role <> 'member' AND member_id IS NULL AND saver_id IS NULL)",
                           name=op.f("ck_users_member_link")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=True),
        sa.Column("saver_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    op.create_index(op.f("ix_user_sessions_username"), "user_sessions", ["username"])
    op.create_table(
        "login_failures",
        sa.Column("failure_id", sa.Integer, nullable=False, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_hash", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("failure_id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_at"), "login_failures", ["at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for role in ("mutual_writer", "mutual_auditor"):  # the roles come from 0002_roles
            op.execute(f"REVOKE ALL ON {table} FROM {role}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO mutual_writer")
    op.execute("GRANT USAGE ON SEQUENCE login_failures_failure_id_seq TO mutual_writer")


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failures_at"), table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_user_sessions_username"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_table("users")
