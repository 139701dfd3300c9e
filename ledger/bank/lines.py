"""A bank statement as the ledger reads it: typed lines, whatever format the bank sent.

A line's identity is the bank's own (an OFX FITID, a CAMT entry's AcctSvcrRef or NtryRef, an MT940 bank
reference) or, for a CSV that has none, its booked date, amount, reference and its number among the equal lines
of the statement (docs/bank.md, "Line identity"). `line_id` turns the account and that identity into the id the
chain keeps: the same line in two overlapping statements has one id, two equal payments on one day have two.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal, NamedTuple, Protocol

from ledger.errors import FieldError, ValidationFailed

Kind = Literal["credit", "debit", "returned-dd", "reversal"]
KINDS: tuple[Kind, ...] = ("credit", "debit", "returned-dd", "reversal")
FORMATS = ("csv", "ofx", "camt053", "mt940")


class BankLine(NamedTuple):
    """One line of a statement. `counterparty` and `counterparty_account` are personal data: they go to the
    off-chain table (ledger/bank/personal.py), never into an event."""

    line_ref: str  # the bank's own identity of the line (see the module's docstring)
    booked: date
    value: date
    amount: Decimal  # signed: money in is positive
    currency: str
    reference: str  # the payment's reference as the bank gives it ("" when there is none)
    counterparty: str  # the payer's or payee's name ("" when the statement has none)
    counterparty_account: str
    kind: Kind
    returns_ref: str | None = None  # the bank's identity of the line this one returns, when the statement says
    where: str = ""  # where in the file (for messages)


class Balance(NamedTuple):
    on: date
    amount: Decimal
    currency: str


class Statement(NamedTuple):
    format: str
    statement_id: str  # the file's own id, or "" (only shown, never a key)
    currency: str
    opening: Balance | None
    closing: Balance | None
    lines: tuple[BankLine, ...]


class StatementParser(Protocol):
    """What every format gives: a statement from the file's bytes, or BankFileRefused naming the line and field."""

    def __call__(self, data: bytes, profile: str | None = None) -> Statement: ...


class BankFileRefused(ValidationFailed):
    """A statement that cannot be read: the line (or entry) and the field named, nothing written."""

    def __init__(self, where: str, field: str, reason: str) -> None:
        super().__init__([FieldError(field, reason)], where=f"{where} refused, nothing written" if where
                         else "statement refused, nothing written")


def line_id(account: str, line_ref: str) -> str:
    """The id the chain knows a bank line by: the account and the bank's own identity of the line, hashed (so a
    reference with spaces or personal words in it never becomes an id)."""
    digest = hashlib.sha256(f"{account}\x1f{line_ref}".encode()).hexdigest()
    return f"bl-{digest[:24]}"


_AMOUNT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,2})?")


def amount_of(text: str, where: str, field: str) -> Decimal:
    """A statement's amount as Decimal: at most two places (pounds and pence), never a float, never an exponent."""
    clean = text.strip()
    if not _AMOUNT.fullmatch(clean):
        raise BankFileRefused(where, field, f"{text!r} is not an amount with at most 2 decimal places")
    try:
        return Decimal(clean)
    except InvalidOperation:  # pragma: no cover - the pattern guards
        raise BankFileRefused(where, field, f"{text!r} is not an amount") from None


def equal_line_refs(keys: list[tuple[date, Decimal, str]]) -> list[str]:
    """For lines without a bank id: date + amount + reference + the number of the line among the statement's equal
    lines (1, 2, ...), so two equal payments on one day stay two and the same day in an overlapping statement gives
    the same identities."""
    seen: dict[tuple[date, Decimal, str], int] = {}
    out = []
    for on, amount, reference in keys:
        n = seen[(on, amount, reference)] = seen.get((on, amount, reference), 0) + 1
        out.append(f"{on.isoformat()}|{amount:f}|{reference}|{n}")
    return out


def kind_of(amount: Decimal, returned: bool, reversal: bool) -> Kind:
    if returned:
        return "returned-dd"
    if reversal:
        return "reversal"
    return "credit" if amount > 0 else "debit"


def checked_currency(text: str, where: str, field: str = "currency") -> str:
    if not re.fullmatch(r"[A-Z]{3}", text or ""):
        raise BankFileRefused(where, field, f"{text!r} is not an ISO 4217 currency code such as GBP")
    return text


def free_text(text: str | None, limit: int = 140) -> str:
    """A statement's text made safe for the chain and the screen: no NUL or control characters, spaces folded,
    at most `limit` characters."""
    if not text:
        return ""
    clean = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(clean.split())[:limit]
