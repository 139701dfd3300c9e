"""The register of people: who a ledger id is, kept outside the hash chain so that it can be erased.

A member (keyed by their member id) or a society's contact (keyed by the society's id: a CLT, a co-op or the
fund) has a name, an address, an email, a phone, bank details and, for a member, the net salary their payment
was agreed from. None of it is ever in an event: the chain holds ids only, so an erasure (UK GDPR art. 17)
removes every personal field here and leaves the books, their hashes and their figures as they were
(docs/people.md).

This module is the pure part: the fields, their checks (each refusal names the field), and what a tombstone
shows. The table is `ledger.store.people`; the commands are `ledger.commands.people`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from ledger.errors import FieldError, ValidationFailed

Kind = Literal["member", "contact"]
KINDS: tuple[Kind, ...] = ("member", "contact")

# The personal fields, in the order they are shown. Every one is erased by an erasure.
FIELDS = ("name", "address", "email", "phone", "sort_code", "account_number", "account_name", "net_salary")
BANK_FIELDS = ("sort_code", "account_number")

ERASED = "erased at the person's request"

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")  # the ledger's ids (ledger/events/types.py `Id`)
_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]"  # no control character, no line or paragraph separator
_TEXT = re.compile(rf"{_PRINTABLE}*[^\s\x00-\x1f\x7f-\x9f\u2028\u2029]{_PRINTABLE}*")  # and not only white space
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,23}")
_SORT_CODE = re.compile(r"([0-9]{2})-?([0-9]{2})-?([0-9]{2})")
_ACCOUNT_NUMBER = re.compile(r"[0-9]{8}")
_SALARY = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")

_LIMITS = {"name": 200, "address": 500, "email": 254, "phone": 24, "account_name": 100}
_TEXT_REASON = "must be text without control characters or line breaks, not only white space"


def normalise(field: str, value: str) -> tuple[str | None, FieldError | None]:
    """A field's value as the register keeps it, or why it is refused (naming the field)."""
    if not isinstance(value, str):
        return None, FieldError(field, "must be text")
    limit = _LIMITS.get(field)
    if limit is not None and len(value) > limit:
        return None, FieldError(field, f"must be at most {limit} characters")
    if field in ("name", "address", "account_name"):
        return (value, None) if _TEXT.fullmatch(value) else (None, FieldError(field, _TEXT_REASON))
    if field == "email":
        return (value, None) if _EMAIL.fullmatch(value) else (
            None, FieldError(field, "must be an email address such as name@example.org"))
    if field == "phone":
        return (value, None) if _PHONE.fullmatch(value) else (
            None, FieldError(field, "must be a phone number: digits, spaces, ( ) and -, an optional leading +"))
    if field == "sort_code":
        found = _SORT_CODE.fullmatch(value)
        return ("-".join(found.groups()), None) if found else (
            None, FieldError(field, "must be a UK sort code of 6 digits, e.g. 12-34-56 or 123456"))
    if field == "account_number":
        return (value, None) if _ACCOUNT_NUMBER.fullmatch(value) else (
            None, FieldError(field, "must be a UK account number of 8 digits"))
    if field == "net_salary":
        return (value, None) if _SALARY.fullmatch(value) and Decimal(value) > 0 else (
            None, FieldError(field, "must be a yearly amount in pounds above zero, at most 2 decimal places, "
                                    "e.g. 17089.23"))
    return None, FieldError(field, f"is not a field of the register ({', '.join(FIELDS)})")


def checked(changes: Mapping[str, str | None]) -> dict[str, str | None]:
    """The changes as the register keeps them (None clears a field), or ValidationFailed naming every bad field."""
    out: dict[str, str | None] = {}
    errors: list[FieldError] = []
    for field, value in changes.items():
        if field not in FIELDS:
            errors.append(FieldError(field, f"is not a field of the register ({', '.join(FIELDS)})"))
        elif value is None:
            out[field] = None
        else:
            clean, error = normalise(field, value)
            if error is not None:
                errors.append(error)
            else:
                out[field] = clean
    if errors:
        raise ValidationFailed(errors)
    return out


def bank_details_errors(fields: Mapping[str, str | None]) -> list[FieldError]:
    """A sort code without an account number (or the other way round) cannot be paid into: both or neither."""
    given = [f for f in BANK_FIELDS if fields.get(f)]
    if len(given) == 1:
        missing = next(f for f in BANK_FIELDS if f not in given)
        return [FieldError(missing, f"is required with a {given[0].replace('_', ' ')} (bank details go together)")]
    return []


def id_error(person_id: str) -> FieldError | None:
    if not isinstance(person_id, str) or not ID_PATTERN.fullmatch(person_id):
        return FieldError("id", f"{person_id!r} is not a ledger id (letters, digits and _ . : -, at most 64, "
                                "starting with a letter or digit)")
    return None


def reason_error(reason: str) -> FieldError | None:
    """An erasure's reason is kept with the tombstone: it says why, and must hold no personal data itself."""
    if not isinstance(reason, str) or len(reason) > 200 or not _TEXT.fullmatch(reason):
        return FieldError("reason", "must be 1 to 200 characters without control characters or line breaks")
    return None


@dataclass(frozen=True)
class Person:
    """One entry of the register: a ledger id, its kind, its personal fields, and, once erased, only a tombstone."""

    person_id: str
    kind: Kind
    fields: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = None
    erasure_reason: str | None = None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        """What a statement or a letter calls the person: their name, or that it was erased at their request."""
        if self.erased:
            return ERASED
        return self.fields.get("name") or self.person_id

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.person_id,
            "kind": self.kind,
            **{f: self.fields.get(f) for f in FIELDS},
            "display_name": self.display_name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "erased_at": self.erased_at,
            "erasure_reason": self.erasure_reason,
        }


@dataclass(frozen=True)
class Change:
    """One change to the register, logged outside the chain: who, when, which fields, never their values."""

    change_id: int
    at: datetime
    actor: str
    action: Literal["add", "update", "erase"]
    kind: Kind
    person_id: str
    fields: tuple[str, ...]
    reason: str | None

    def to_json(self) -> dict[str, object]:
        return {"change": self.change_id, "at": self.at, "actor": self.actor, "action": self.action,
                "kind": self.kind, "id": self.person_id, "fields": list(self.fields), "reason": self.reason}
