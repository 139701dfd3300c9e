"""Users of the web back office: user names, roles and the password policy (pure rules, no I/O).

Users live in their own table beside the chain (migration 0009_users), never in events; a user's name is the
actor recorded on the events they write (docs/web.md).
"""

from ledger.users.rules import (
    MEMBER_ROLE,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ROLES,
    THROTTLE_LIMIT,
    THROTTLE_WINDOW,
    USERNAME_PATTERN,
    Throttled,
    link_errors,
    password_errors,
    reason_error,
    role_error,
    throttled,
    username_error,
)

__all__ = ["MEMBER_ROLE", "PASSWORD_MAX", "PASSWORD_MIN", "ROLES", "THROTTLE_LIMIT", "THROTTLE_WINDOW",
           "USERNAME_PATTERN", "Throttled", "link_errors", "password_errors", "reason_error", "role_error",
           "throttled", "username_error"]
