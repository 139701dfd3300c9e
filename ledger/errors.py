"""Errors the ledger raises, each naming what was wrong and why.

A `FieldError` is data (beancount-style): validations return lists of them,
and a `ValidationFailed` carries the list to the caller. Nothing is written
when any of these is raised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class LedgerError(Exception):
    """Base of every error the ledger reports to a user."""


class ValidationFailed(LedgerError):
    def __init__(self, errors: list[FieldError], where: str = "") -> None:
        self.errors = list(errors)
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + "; ".join(str(e) for e in self.errors))


class ConcurrencyConflict(LedgerError):
    """Someone else appended to the stream first: re-read it and retry."""

    def __init__(self, stream: str, expected: int | None, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        wanted = "no stream yet" if expected == 0 else f"version {expected}"
        super().__init__(
            f"conflict on stream {stream}: expected {wanted} but it is at version {actual}; "
            "re-read the stream and retry"
        )


class LedgerMoved(ConcurrencyConflict):
    """Events were appended after a command read the books it checked its own against: check them again."""

    def __init__(self, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = "", expected, actual
        LedgerError.__init__(
            self, f"conflict: the ledger moved on from position {expected} to {actual} while the command checked "
                  "its events against the books; nothing was written, run it again")


class ChainBroken(LedgerError):
    """The log's head does not seal what it holds: nothing is appended on top of a broken chain."""

    def __init__(self, position: int, problem: str) -> None:
        self.position, self.problem = position, problem
        super().__init__(f"log: the chain is broken at its head, position {position}: {problem}; nothing was "
                         "written (nothing is appended on a broken chain: `mutual verify` shows it, and it is a "
                         "matter for the auditor)")


class IdempotencyConflict(LedgerError):
    def __init__(self, key: str, position: int) -> None:
        self.key, self.position = key, position
        super().__init__(
            f"idempotency_key: {key!r} was already used at position {position} for different content"
        )


class StoreUnavailable(LedgerError):
    """The database refused or timed out (locked, full, gone); nothing was written."""


class NotFound(LedgerError):
    pass


class InconsistentLog(LedgerError):
    """The log holds an event that no import or command would have written (e.g. a row inserted with SQL around
    the ledger): the read side names it rather than fold it into figures or a crash."""

    def __init__(self, position: int, type_: str, stream: str, problem: str) -> None:
        self.position, self.type, self.stream, self.problem = position, type_, stream, problem
        super().__init__(
            f"the log is inconsistent at position {position} ({type_} on {stream}): {problem}; no import or command "
            "writes such an event, so it was written around the ledger (`mutual verify` checks the chain; "
            "docs/store.md says what to do)")
