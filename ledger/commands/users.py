"""Commands on the users of the web back office: add, change role, disable, reset a password, list, and the
password check a login makes (docs/web.md).

The rules are `ledger/users/`; the table is `ledger/store/users.py`; a password is hashed here with argon2
(pwdlib) and is never stored, printed or logged as given. Nothing here touches the events: a user's name is the
actor on the events they record, and users are never deleted (the name must stay unambiguous), only disabled.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from ledger import streams
from ledger.clock import utc_now
from ledger.errors import FieldError, NotFound, ValidationFailed
from ledger.store.users import User, UserTable
from ledger.users import (
    MEMBER_ROLE,
    THROTTLE_WINDOW,
    Throttled,
    link_errors,
    password_errors,
    reason_error,
    role_error,
    throttled,
    username_error,
)

if TYPE_CHECKING:
    from pwdlib import PasswordHash

    from ledger.store import EventStore


@cache
def hasher() -> PasswordHash:
    """argon2id with pwdlib's recommended parameters."""
    from pwdlib import PasswordHash

    return PasswordHash.recommended()


@cache
def _decoy() -> str:
    return hasher().hash("a decoy so an unknown user name takes as long to refuse as a wrong password")


def _fail(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _in_books(store: EventStore, member: str | None, saver: str | None) -> list[FieldError]:
    """A member id must name a member of the books, a saver id the holder of a savings account, so a user is never
    linked to a typo (and through it, one day, to someone else)."""
    from ledger.source import StoreSource

    source = StoreSource(store)
    errors: list[FieldError] = []
    if member is not None and not source.stream(streams.member(member)):
        errors.append(FieldError("member", f"{member} is not a member in the books"))
    if saver is not None and not any(e.payload.get("holder_id") == saver
                                     for e in source.of_type("SavingsAccountOpened")):
        errors.append(FieldError("saver", f"{saver} holds no savings account in the books"))
    return errors


def _checked_link(store: EventStore, role: str, member: str | None, saver: str | None) -> None:
    _fail([e for e in [role_error(role)] if e])
    errors = link_errors(role, member, saver)
    _fail(errors)
    _fail(_in_books(store, member, saver))


def _existing(table: UserTable, username: str) -> User:
    _fail([e for e in [username_error(username)] if e])
    user = table.get(username)
    if user is None:
        raise NotFound(f"username: there is no user {username!r} (`mutual user list`)")
    return user


def add_user(store: EventStore, username: str, role: str, password: str, *, actor: str,
             member: str | None = None, saver: str | None = None, at: datetime | None = None) -> User:
    errors = [e for e in [username_error(username), role_error(role)] if e]
    errors += password_errors(password, username if isinstance(username, str) else None)
    _fail(errors)
    _checked_link(store, role, member, saver)
    table = UserTable(store.engine)
    if table.get(username) is not None:
        raise ValidationFailed([FieldError("username", f"{username!r} already exists (users are never deleted; "
                                                       "`mutual user role` changes a role)")])
    table.add(username, role, member, saver, hasher().hash(password), actor=actor, at=at or utc_now())
    user = table.get(username)
    assert user is not None
    return user


def change_role(store: EventStore, username: str, role: str, *, actor: str, member: str | None = None,
                saver: str | None = None, at: datetime | None = None) -> User:
    """A new role (and link) takes effect on the user's next request: sessions read the user's row each time."""
    table = UserTable(store.engine)
    user = _existing(table, username)
    _checked_link(store, role, member, saver)
    if not user.active:
        raise ValidationFailed([FieldError("username", f"{username!r} is disabled")])
    if username == actor and user.role == "admin" and role != "admin":
        raise ValidationFailed([FieldError("role", "you cannot take away your own admin role (another admin can): "
                                                   "the office could be left with no admin")])
    table.set_role(username, role, member, saver, actor=actor, at=at or utc_now())
    changed = table.get(username)
    assert changed is not None
    return changed


def disable_user(store: EventStore, username: str, reason: str, *, actor: str,
                 at: datetime | None = None) -> tuple[User, int]:
    """Disable the user and end every live session of theirs at once. Returns the user and the sessions ended."""
    table = UserTable(store.engine)
    user = _existing(table, username)
    _fail([e for e in [reason_error(reason)] if e])
    if username == actor:
        raise ValidationFailed([FieldError("username", "you cannot disable yourself (another admin can)")])
    if not user.active:
        raise ValidationFailed([FieldError("username", f"{username!r} is already disabled")])
    ended = table.disable(username, reason, actor=actor, at=at or utc_now())
    changed = table.get(username)
    assert changed is not None
    return changed, ended


def set_password(store: EventStore, username: str, password: str, *, actor: str,
                 at: datetime | None = None) -> User:
    """A new password; the user's live sessions end (whoever knew the old one is logged out)."""
    table = UserTable(store.engine)
    user = _existing(table, username)
    _fail(password_errors(password, username))
    now = at or utc_now()
    table.set_password_hash(username, hasher().hash(password), actor=actor, at=now)
    table.end_sessions_of(username, now, "password changed")
    return user


def list_users(store: EventStore) -> list[User]:
    return UserTable(store.engine).all()


def authenticate(store: EventStore, username: str, password: str) -> User | None:
    """The active user these credentials name, or None. Unknown names and disabled users cost one argon2 check as
    a wrong password does, so timing tells nothing about which names exist."""
    user = UserTable(store.engine).get(username) if username_error(username) is None else None
    if user is None or len(password) > 1024:
        hasher().verify(password[:1024], _decoy())
        return None
    valid, updated = hasher().verify_and_update(password, user.password_hash)
    if not valid or not user.active:
        return None
    if updated is not None:  # parameters moved on since the hash was made: keep the stronger hash
        UserTable(store.engine).set_password_hash(user.username, updated, actor=user.username, at=utc_now())
    return user


def _name_hash(username: str) -> str:
    """Failed logins keep the name tried only as a hash: people type their password into the name box."""
    return hashlib.sha256(b"login-name:" + username.strip().lower()[:200].encode("utf-8", "replace")).hexdigest()


def login_throttled(store: EventStore, username: str, client: str, now: datetime) -> Throttled | None:
    """Whether a login for `username` from `client` is refused before its password is checked (ledger/users)."""
    table, name_hash, since = UserTable(store.engine), _name_hash(username), now - THROTTLE_WINDOW
    by_name, by_client = table.failures_since(since, name_hash=name_hash, client=client[:64])
    if not throttled(by_name, by_client, None, now):
        return None
    return throttled(by_name, by_client, table.oldest_failure_since(since, name_hash=name_hash, client=client[:64]),
                     now)


def log_in(store: EventStore, username: str, password: str, client: str, now: datetime) -> User | None:
    """Check a login (the caller has asked `login_throttled` first): the user, or None with the failure counted;
    a success clears its name's failures (the address's stay: one address guessing many names)."""
    table, name_hash = UserTable(store.engine), _name_hash(username)
    user = authenticate(store, username, password)
    if user is None:
        table.record_failure(now, name_hash=name_hash, client=client[:64], prune_before=now - THROTTLE_WINDOW)
    else:
        table.forget_failures(name_hash=name_hash)
    return user


__all__ = ["MEMBER_ROLE", "add_user", "authenticate", "change_role", "disable_user", "list_users", "log_in",
           "login_throttled", "set_password"]
