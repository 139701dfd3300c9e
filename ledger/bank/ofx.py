"""OFX (1.x SGML and 2.x XML) bank statements, read with the maintained `ofxtools` library.

Line identity: the STMTTRN's FITID (required by OFX: a line without one is refused). A reversal is a STMTTRN
with CORRECTACTION (DELETE or REPLACE) naming the FITID it corrects in CORRECTFITID; a returned direct debit a
debit whose NAME or MEMO says RETURNED / UNPAID / REFER TO PAYER / RETURN DD (OFX has no TRNTYPE for it). The
closing balance is LEDGERBAL (BALAMT on DTASOF).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from ofxtools.models.base import Aggregate
from ofxtools.Parser import OFXTree

from ledger.bank.lines import Balance, BankFileRefused, BankLine, Statement, amount_of, free_text, kind_of

RETURN_WORDS = re.compile(r"(?i).*\b(RETURNED|UNPAID|REFER TO PAYER|RETURN DD|DD RETURN)\b.*", re.DOTALL)


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def parse(data: bytes, profile: str | None = None) -> Statement:
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
    except Exception as exc:  # ofxtools raises its own and plain exceptions, each naming the element
        raise BankFileRefused("file", "ofx", f"cannot be read: {_first_line(exc)}") from None
    try:
        ofx = tree.convert()
    except Exception as exc:
        raise _located(tree, exc) from None
    statements = list(getattr(ofx, "statements", []) or [])
    if len(statements) != 1:
        raise BankFileRefused("file", "STMTRS", f"holds {len(statements)} statements: one account's statement per file")
    stmt = statements[0]
    currency = str(stmt.curdef or "GBP")
    closing = None
    if stmt.ledgerbal is not None:
        closing = Balance(_day(stmt.ledgerbal.dtasof), amount_of(str(stmt.ledgerbal.balamt), "LEDGERBAL", "BALAMT"),
                          currency)
    lines = []
    for number, tx in enumerate(stmt.banktranlist or [], start=1):
        lines.append(_line(tx, currency, f"STMTTRN {number}"))
    return Statement("ofx", "", currency, None, closing, tuple(lines))


def _located(tree: OFXTree, exc: Exception) -> BankFileRefused:
    """The first transaction ofxtools refuses, by its number (the whole file's error names no line)."""
    for number, element in enumerate(tree.findall(".//STMTTRN"), start=1):
        try:
            Aggregate.from_etree(element)
        except Exception as inner:
            field = next((name for name in ("FITID", "TRNAMT", "DTPOSTED", "TRNTYPE")
                          if name.lower() in str(inner).lower()), "STMTTRN")
            return BankFileRefused(f"STMTTRN {number}", field, _first_line(inner))
    return BankFileRefused("file", "ofx", f"cannot be read: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _line(tx: Any, currency: str, where: str) -> BankLine:
    fitid = (tx.fitid or "").strip()
    if not fitid:
        raise BankFileRefused(where, "FITID", "is required: the bank's identity of the line")
    amount = amount_of(str(tx.trnamt), where, "TRNAMT")  # (as every format: two places at most, no exponent)
    if amount == 0:
        raise BankFileRefused(where, "TRNAMT", "is zero: a statement line moves money")
    booked = _day(tx.dtposted)
    value = _day(tx.dtavail or tx.dtuser or tx.dtposted)
    name = tx.name or (tx.payee.name if tx.payee is not None else "") or ""
    memo = tx.memo or ""
    text = f"{name} {memo}"
    reversal = bool(tx.correctaction)
    returned = amount < 0 and bool(RETURN_WORDS.fullmatch(text))
    reference = memo or tx.refnum or tx.checknum or ""
    account = ""
    if tx.bankacctto is not None:
        account = f"{tx.bankacctto.bankid or ''} {tx.bankacctto.acctid or ''}".strip()
    return BankLine(fitid, booked, value, amount, str(tx.currency.cursym) if tx.currency is not None else currency,
                    free_text(reference), free_text(name), free_text(account, 64),
                    kind_of(amount, returned, reversal and not returned),
                    returns_ref=(tx.correctfitid or None), where=where)


def sniff(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \r\n").upper()
    return head.startswith(b"OFXHEADER") or b"<OFX>" in head or b"<?OFX" in head
