"""The users, sessions and failed-login tables (migration 0009_users): beside the chain, never in it.

Only hashes of session tokens and of tried user names are stored (docs/web.md says why). Every write is one
transaction; a refusal by the database is a `StoreUnavailable` naming it, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.clock import UTC
from ledger.errors import FieldError, StoreUnavailable, ValidationFailed
from ledger.store.engine import WRITE

T = TypeVar("T")
_metadata = MetaData()

users = Table(
    "users", _metadata,
    Column("username", String(32), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("member_id", String(64)),
    Column("saver_id", String(64)),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
    Column("disabled_by", String(200)),
    Column("disabled_reason", Text),
)

user_sessions = Table(
    "user_sessions", _metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("member_id", String(64)),
    Column("saver_id", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("ended_reason", String(32)),
)

login_failures = Table(
    "login_failures", _metadata,
    Column("failure_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("name_hash", String(64), nullable=False),
    Column("client", String(64), nullable=False),
)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive times: they were written in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class User:
    """A user as the table holds it (the password hash stays here: it is never printed)."""

    username: str
    role: str
    member: str | None
    saver: str | None
    password_hash: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    disabled_at: datetime | None
    disabled_by: str | None
    disabled_reason: str | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def public(self) -> dict[str, Any]:
        """What `mutual user list --json` and the users page show: everything but the password hash."""
        return {"username": self.username, "role": self.role, "member": self.member, "saver": self.saver,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "updated_at": self.updated_at.isoformat(), "updated_by": self.updated_by,
                "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
                "disabled_by": self.disabled_by, "disabled_reason": self.disabled_reason}


@dataclass(frozen=True)
class SessionRow:
    """A session as issued, and its user's row now (None for a session issued by code to a user not in the table,
    as the test harness does)."""

    token_hash: str
    username: str
    role: str
    member: str | None
    saver: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    user: User | None


def _user(m: Any) -> User:
    created, updated = _utc(m["created_at"]), _utc(m["updated_at"])
    assert created is not None and updated is not None
    return User(m["username"], m["role"], m["member_id"], m["saver_id"], m["password_hash"], created,
                m["created_by"], updated, m["updated_by"], _utc(m["disabled_at"]), m["disabled_by"],
                m["disabled_reason"])


def _refused(exc: DBAPIError) -> StoreUnavailable:
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    hint = (" (has `mutual init` been run on this database, since this version?)"
            if "users" in message or "sessions" in message or "login_failures" in message else "")
    return StoreUnavailable(f"users: the database refused: {message}{hint}; nothing was changed")


class UserTable:
    """Users, their sessions and failed logins in one ledger's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect() as conn:
                return work(conn)
        except DBAPIError as exc:
            raise _refused(exc) from None

    def _write(self, work: Callable[[Connection], T]) -> T:
        try:
            with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
                return work(conn)
        except IntegrityError as exc:
            if "username" in str(exc.orig) or "unique" in str(exc.orig).lower() or "pk_users" in str(exc.orig):
                raise ValidationFailed([FieldError("username", "that user already exists")]) from None
            raise _refused(exc) from None
        except DBAPIError as exc:
            raise _refused(exc) from None

    # -- users -----------------------------------------------------------------------------------
    def get(self, username: str) -> User | None:
        def work(conn: Connection) -> User | None:
            row = conn.execute(select(users).where(users.c.username == username)).first()
            return _user(row._mapping) if row is not None else None
        return self._read(work)

    def all(self) -> list[User]:
        return self._read(lambda conn: [_user(r._mapping) for r in
                                        conn.execute(select(users).order_by(users.c.username))])

    def add(self, username: str, role: str, member: str | None, saver: str | None, password_hash: str, *,
            actor: str, at: datetime) -> None:
        self._write(lambda conn: conn.execute(insert(users).values(
            username=username, role=role, member_id=member, saver_id=saver, password_hash=password_hash,
            created_at=at, created_by=actor, updated_at=at, updated_by=actor)))

    def set_role(self, username: str, role: str, member: str | None, saver: str | None, *, actor: str,
                 at: datetime) -> None:
        self._write(lambda conn: conn.execute(update(users).where(users.c.username == username).values(
            role=role, member_id=member, saver_id=saver, updated_at=at, updated_by=actor)))

    def set_password_hash(self, username: str, password_hash: str, *, actor: str, at: datetime) -> None:
        self._write(lambda conn: conn.execute(update(users).where(users.c.username == username).values(
            password_hash=password_hash, updated_at=at, updated_by=actor)))

    def disable(self, username: str, reason: str, *, actor: str, at: datetime) -> int:
        """Disable the user and end every live session of theirs, in one transaction; returns how many ended."""
        def work(conn: Connection) -> int:
            conn.execute(update(users).where(users.c.username == username).values(
                disabled_at=at, disabled_by=actor, disabled_reason=reason, updated_at=at, updated_by=actor))
            return self._end_all(conn, username, at, "user disabled")
        return self._write(work)

    # -- sessions --------------------------------------------------------------------------------
    def open_session(self, token_hash: str, username: str, role: str, member: str | None, saver: str | None, *,
                     at: datetime, expires_at: datetime) -> None:
        self._write(lambda conn: conn.execute(insert(user_sessions).values(
            token_hash=token_hash, username=username, role=role, member_id=member, saver_id=saver, created_at=at,
            last_seen_at=at, expires_at=expires_at)))

    def session(self, token_hash: str) -> SessionRow | None:
        def work(conn: Connection) -> SessionRow | None:
            row = conn.execute(select(user_sessions).where(user_sessions.c.token_hash == token_hash)).first()
            if row is None:
                return None
            m = row._mapping
            found = conn.execute(select(users).where(users.c.username == m["username"])).first()
            created, seen, expires = _utc(m["created_at"]), _utc(m["last_seen_at"]), _utc(m["expires_at"])
            assert created is not None and seen is not None and expires is not None
            return SessionRow(m["token_hash"], m["username"], m["role"], m["member_id"], m["saver_id"], created,
                              seen, expires, _utc(m["ended_at"]), _user(found._mapping) if found else None)
        return self._read(work)

    def touch(self, token_hash: str, at: datetime) -> None:
        self._write(lambda conn: conn.execute(update(user_sessions).where(
            user_sessions.c.token_hash == token_hash, user_sessions.c.ended_at.is_(None)).values(last_seen_at=at)))

    def end_session(self, token_hash: str, at: datetime, reason: str) -> None:
        self._write(lambda conn: conn.execute(update(user_sessions).where(
            user_sessions.c.token_hash == token_hash, user_sessions.c.ended_at.is_(None)).values(
            ended_at=at, ended_reason=reason)))

    def end_sessions_of(self, username: str, at: datetime, reason: str) -> int:
        return self._write(lambda conn: self._end_all(conn, username, at, reason))

    @staticmethod
    def _end_all(conn: Connection, username: str, at: datetime, reason: str) -> int:
        done = conn.execute(update(user_sessions).where(
            user_sessions.c.username == username, user_sessions.c.ended_at.is_(None)).values(
            ended_at=at, ended_reason=reason))
        return int(done.rowcount or 0)

    def live_sessions(self, username: str) -> int:
        return self._read(lambda conn: int(conn.execute(select(func.count()).select_from(user_sessions).where(
            user_sessions.c.username == username, user_sessions.c.ended_at.is_(None))).scalar_one()))

    # -- failed logins ---------------------------------------------------------------------------
    def failures_since(self, since: datetime, *, name_hash: str, client: str) -> tuple[int, int]:
        """Failed logins since `since`: (for this name, from this client)."""
        def count(conn: Connection, column: Any, value: str) -> int:
            return int(conn.execute(select(func.count()).select_from(login_failures).where(
                login_failures.c.at >= since, column == value)).scalar_one())
        return self._read(lambda conn: (count(conn, login_failures.c.name_hash, name_hash),
                                        count(conn, login_failures.c.client, client)))

    def oldest_failure_since(self, since: datetime, *, name_hash: str, client: str) -> datetime | None:
        def work(conn: Connection) -> datetime | None:
            return _utc(conn.execute(select(func.min(login_failures.c.at)).where(
                login_failures.c.at >= since,
                (login_failures.c.name_hash == name_hash) | (login_failures.c.client == client))).scalar_one())
        return self._read(work)

    def record_failure(self, at: datetime, *, name_hash: str, client: str, prune_before: datetime) -> None:
        def work(conn: Connection) -> None:
            conn.execute(delete(login_failures).where(login_failures.c.at < prune_before))
            conn.execute(insert(login_failures).values(at=at, name_hash=name_hash, client=client))
        self._write(work)

    def forget_failures(self, *, name_hash: str) -> None:
        """A successful login clears its name's failures (the client's stay: one address guessing many names)."""
        self._write(lambda conn: conn.execute(delete(login_failures).where(login_failures.c.name_hash == name_hash)))
