"""The rules a user must meet: a user name of a safe shape, a known role, a member linked to a member id, and a
password long enough to resist guessing. Each check returns `FieldError`s (data), never raises."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger.errors import FieldError

ROLES = ("clerk", "treasurer", "auditor", "board", "member", "admin")
"""What each may do is in docs/web.md; web/deps.py names the same roles (a test holds them equal)."""

MEMBER_ROLE = "member"

USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
"""Lower case, 2 to 32 characters, starting with a letter: it is the actor on the events, so nothing that could be
mistaken for another user (case, spaces, look-alike letters) or break a log line (a newline) is accepted."""

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
"""A member or saver id as the events spell it (cli/params.py IdParam)."""

PASSWORD_MIN = 12
PASSWORD_MAX = 256  # argon2 hashes any length; a cap stops a megabyte "password" costing the server
REASON_MAX = 500


def username_error(username: object, field: str = "username") -> FieldError | None:
    if not isinstance(username, str) or not USERNAME_PATTERN.fullmatch(username):
        shown = repr(username)[:80]
        return FieldError(field, f"{shown} is not a user name (2 to 32 characters: lower-case letters, digits and "
                                 ". _ -, starting with a letter)")
    return None


def role_error(role: object) -> FieldError | None:
    if role not in ROLES:
        return FieldError("role", f"{str(role)[:40]!r} is not a role; one of {', '.join(ROLES)}")
    return None


def _id_error(field: str, value: object) -> FieldError | None:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        return FieldError(field, f"{repr(value)[:80]} is not an id (letters, digits and _ . : -, starting with a "
                                 "letter or digit)")
    return None


def link_errors(role: str, member: str | None, saver: str | None) -> list[FieldError]:
    """A member user is linked to exactly one member id (and optionally a saver id); other roles to none, so a
    clerk's session can never be read as a member's."""
    errors: list[FieldError] = []
    if role == MEMBER_ROLE:
        if member is None:
            errors.append(FieldError("member", "a user of role member must be linked to a member id (--member)"))
    else:
        if member is not None:
            errors.append(FieldError("member", f"only a user of role member is linked to a member, not a {role}"))
        if saver is not None:
            errors.append(FieldError("saver", f"only a user of role member is linked to a saver, not a {role}"))
    for field, value in (("member", member), ("saver", saver)):
        if value is not None:
            error = _id_error(field, value)
            if error:
                errors.append(error)
    return errors


def password_errors(password: object, username: str | None = None) -> list[FieldError]:
    """At least 12 characters (NIST SP 800-63B asks 8; a back office holding people's money asks more), at most
    256, printable (no control characters: a newline is a copy-paste accident), not the user name and not one
    character repeated. No composition rules: length is what resists guessing. The value is never shown."""
    if not isinstance(password, str):
        return [FieldError("password", "must be text")]
    errors: list[FieldError] = []
    if len(password) < PASSWORD_MIN:
        errors.append(FieldError("password", f"must be at least {PASSWORD_MIN} characters (it has "
                                             f"{len(password)})"))
    if len(password) > PASSWORD_MAX:
        errors.append(FieldError("password", f"must be at most {PASSWORD_MAX} characters"))
    if any(ch < " " or ch == "\x7f" for ch in password):
        errors.append(FieldError("password", "must not hold control characters (a newline, a tab)"))
    if username is not None and password.strip().lower() == username.lower():
        errors.append(FieldError("password", "must not be the user name"))
    if password and len(set(password)) == 1:
        errors.append(FieldError("password", "must not be one character repeated"))
    return errors


def reason_error(reason: object) -> FieldError | None:
    if not isinstance(reason, str) or not reason.strip():
        return FieldError("reason", "give a reason")
    if len(reason) > REASON_MAX or any(ch < " " or ch == "\x7f" for ch in reason):
        return FieldError("reason", f"one line of at most {REASON_MAX} characters, no control characters")
    return None


THROTTLE_LIMIT = 5
THROTTLE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Throttled:
    """A login refused before its password is checked: too many recent failures for the name or the address."""

    which: str  # "for this user name" or "from this address"
    wait: timedelta

    def __str__(self) -> str:
        minutes = max(1, -(-int(self.wait.total_seconds()) // 60))
        return (f"Too many failed logins {self.which}: {THROTTLE_LIMIT} in {THROTTLE_WINDOW.seconds // 60} minutes. "
                f"Try again in {minutes} minute(s), or ask an admin.")


def throttled(by_name: int, by_client: int, oldest: datetime | None, now: datetime) -> Throttled | None:
    """5 failures in 15 minutes for one user name, or from one client address, refuse further logins (even with
    the right password) until the oldest of them is 15 minutes old."""
    if by_name < THROTTLE_LIMIT and by_client < THROTTLE_LIMIT:
        return None
    wait = max(timedelta(seconds=1), (oldest or now) + THROTTLE_WINDOW - now)
    return Throttled("for this user name" if by_name >= THROTTLE_LIMIT else "from this address", wait)
