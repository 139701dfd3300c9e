"""SWIFT MT940 (customer statement), read with the maintained `mt-940` library (import `mt940`).

Line identity: the :61: line's bank reference (after `//`), else its value date, amount, reference and number among
the statement's equal lines (as a CSV's); a :61: with neither a bank nor a customer reference is refused.
Debit/credit marks: C and D; RC (reversal of a credit: money taken back, as when a direct debit is returned
unpaid) and RD (reversal of a debit). An RC line whose transaction type is a
direct debit (NDDT) or whose :86: says RETURNED / UNPAID / REFER TO PAYER is a returned direct debit; any other R
line a reversal. Structured :86: text (`/NAME/…/REMI/…/` as many banks send it) gives the payer's name and the
remittance reference; free text is kept as the reference.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import mt940 as library

from ledger.bank.lines import Balance, BankFileRefused, BankLine, Statement, equal_line_refs, free_text, kind_of

RETURN_WORDS = re.compile(r"(?i).*\b(RETURNED|UNPAID|REFER TO PAYER|R/D)\b.*", re.DOTALL)
_TAGS = ("NAME", "REMI", "EREF", "IBAN", "ACCT", "ORIG")


def _structured(details: str) -> dict[str, str]:
    """`/NAME/A SMITH/REMI/SO-1/` -> {"NAME": "A SMITH", "REMI": "SO-1"} (unknown tags ignored)."""
    out: dict[str, str] = {}
    parts = details.replace("\n", "").split("/")
    for i in range(1, len(parts) - 1):
        if parts[i] in _TAGS and parts[i] not in out:
            out[parts[i]] = parts[i + 1]
    return out


def _balance(value: Any) -> Balance | None:
    if value is None:
        return None
    amount = value.amount
    return Balance(date(value.date.year, value.date.month, value.date.day), Decimal(str(amount.amount)),
                   str(amount.currency))


def parse(data: bytes, profile: str | None = None) -> Statement:
    text = data.decode("utf-8", errors="strict") if not data.startswith(b"\xef\xbb\xbf") else data[3:].decode()
    if ":61:" not in text and ":60F:" not in text:
        raise BankFileRefused("file", ":20:", "is not an MT940 statement (no :60F: balance and no :61: line)")
    problem = _check_lines(text)
    if problem:
        raise BankFileRefused(*problem)
    try:
        transactions = library.parse(text.encode())
    except Exception as exc:  # the library raises plain exceptions on a field it cannot read
        raise BankFileRefused("file", "mt940", f"cannot be read ({exc})") from None
    head = transactions.data
    currency = ""
    for key in ("final_opening_balance", "final_closing_balance"):
        if head.get(key) is not None:
            currency = str(head[key].amount.currency)
    lines = [_line(tx.data, f":61: line {number}") for number, tx in enumerate(transactions, start=1)]
    unnamed = [n for n, line in enumerate(lines) if not line.line_ref]
    refs = equal_line_refs([(lines[n].value, lines[n].amount, lines[n].reference) for n in unnamed])
    for n, ref in zip(unnamed, refs, strict=True):  # no bank reference: value date, amount, reference, number
        lines[n] = lines[n]._replace(line_ref=ref)
    return Statement("mt940", str(head.get("transaction_reference") or ""), currency or "GBP",
                     _balance(head.get("final_opening_balance")), _balance(head.get("final_closing_balance")),
                     tuple(lines))


_LINE_61 = re.compile(r"[0-9]{6}([0-9]{4}|\s{4})?R?[DC][A-Z]?[0-9]{1,12},[0-9]{0,2}[A-Z][A-Z0-9]{3}.*", re.DOTALL)


def _check_lines(text: str) -> tuple[str, str, str] | None:
    """Each :61: line as SWIFT writes it (the library skips what it cannot read; the ledger refuses it)."""
    number = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(":61:"):
            number += 1
            if not _LINE_61.fullmatch(raw[4:]):
                return (f"line {lineno} (:61: line {number})", ":61:",
                        "is not a statement line (date YYMMDD[MMDD], mark C/D/RC/RD, amount with a comma, type)")
    return None


def _line(tx: dict[str, Any], where: str) -> BankLine:
    status = str(tx.get("status") or "")
    # C and RD (a reversed debit) bring money in; D and RC (a reversed credit, e.g. a returned direct debit) take
    # it out: the sign is the ledger's, from the mark, whatever the library makes of R
    amount = abs(Decimal(str(tx["amount"].amount)))
    amount = amount if status in ("C", "RD") else -amount
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise BankFileRefused(where, "amount", f"{amount} has more than 2 decimal places")
    value = date(tx["date"].year, tx["date"].month, tx["date"].day)
    entry = tx.get("entry_date") or tx["date"]
    booked = date(entry.year, entry.month, entry.day)
    details = str(tx.get("transaction_details") or "")
    fields = _structured(details)
    customer = str(tx.get("customer_reference") or "").strip()
    bank_ref = str(tx.get("bank_reference") or "").strip()
    if customer.upper() == "NONREF":
        customer = ""
    if not bank_ref and not customer:
        raise BankFileRefused(where, "bank_reference", "is missing, and so is the customer reference: the line has "
                                                       "no identity of the bank's")
    identity = bank_ref  # (a line without one is numbered among its equal lines by `parse`)
    reference = fields.get("REMI") or customer or (details if not fields else "")
    reversal = status.startswith("R")
    returned = status == "RC" and (str(tx.get("id") or "") == "NDDT" or bool(RETURN_WORDS.fullmatch(details)))
    currency = str(tx.get("currency") or "GBP")
    return BankLine(identity, booked, value, amount, currency, free_text(reference), free_text(fields.get("NAME")),
                    free_text(fields.get("IBAN") or fields.get("ACCT"), 64),
                    kind_of(amount, returned, reversal and not returned),
                    returns_ref=(fields.get("ORIG") or fields.get("EREF") or customer or None) if reversal else None,
                    where=where)


def sniff(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n")
    return head.startswith((b":20:", b"{1:")) or b"\n:61:" in head or b"\n:60F:" in head
