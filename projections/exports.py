"""The general ledger in the formats accounting tools read: beancount, hledger, Xero's manual-journal CSV and a
plain CSV of the journal (docs/accounts.md, "Exports").

Amounts are the journal's Decimals written with `format(amount, "f")`: never a float, never rounded again. Every
file says the chain head it was drawn from where its format has room for a comment (beancount, hledger); the
CSVs leave it to the command, which prints it on stderr.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from ledger.accounts.chart import ROLES, Account
from ledger.accounts.journal import Entry
from ledger.clock import format_recorded_at
from projections.head import ChainHead

CURRENCY = "GBP"
XERO_TAX_RATE = "No VAT"  # journals between balance-sheet and P&L accounts of a society that is not VAT-registered
XERO_COLUMNS = ("*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount", "TrackingName1",
                "TrackingOption1", "TrackingName2", "TrackingOption2")
CSV_COLUMNS = ("date", "society", "position", "event_type", "narration", "account", "code", "debit", "credit")


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _accounts(entries: Sequence[Entry]) -> dict[str, tuple[date, Account]]:
    """Each account used, with the date of its first posting (beancount opens it then)."""
    found: dict[str, tuple[date, Account]] = {}
    for e in entries:
        for p in e.postings:
            if p.account.name not in found:
                found[p.account.name] = (e.on, p.account)
    return found


def _head_lines(comment: str, head: ChainHead, as_known_at: datetime | None, to: date) -> list[str]:
    known = format_recorded_at(as_known_at) if as_known_at is not None else "now"
    return [f"{comment} mutual-ledger general ledger to {to.isoformat()}, as known at {known}",
            f"{comment} drawn from chain head {head.position} {head.hash} (check it with `mutual audit prove`)"]


def beancount(entries: Sequence[Entry], head: ChainHead, as_known_at: datetime | None, to: date) -> str:
    """A beancount file: the accounts opened at their first posting, one transaction per journal entry."""
    lines = _head_lines(";", head, as_known_at, to)
    lines += ['option "title" "mutual-ledger general ledger"', f'option "operating_currency" "{CURRENCY}"', ""]
    for name, (on, account) in sorted(_accounts(entries).items(), key=lambda kv: (kv[1][0], kv[0])):
        lines.append(f"{on.isoformat()} open {name} {CURRENCY}")
        lines.append(f"  code: {_quoted(account.code)}")
    lines.append("")
    for e in entries:
        lines.append(f"{e.on.isoformat()} * {_quoted(e.society)} {_quoted(e.narration)}")
        lines.append(f"  event_type: {_quoted(e.event_type)}")
        if e.position is not None:
            lines.append(f"  position: {e.position}")
        else:
            lines.append("  derived: TRUE")
        for p in e.postings:
            lines.append(f"  {p.account.name}  {_amount(p.amount)} {CURRENCY}")
        lines.append("")
    return "\n".join(lines)


def hledger(entries: Sequence[Entry], head: ChainHead, as_known_at: datetime | None, to: date) -> str:
    """An hledger journal: the accounts declared (with their type), one transaction per journal entry."""
    lines = _head_lines(";", head, as_known_at, to)
    lines += [f"commodity 1000.00 {CURRENCY}", ""]
    type_tag = {"Assets": "A", "Liabilities": "L", "Equity": "E", "Income": "R", "Expenses": "X"}
    for name, (_, account) in sorted(_accounts(entries).items()):
        lines.append(f"account {name}  ; type: {type_tag[ROLES[account.role].type]}, code: {account.code}")
    lines.append("")
    for e in entries:
        tag = f"position:{e.position}" if e.position is not None else "derived:"
        description = f"{e.society} | {e.narration}".replace(";", ",")
        lines.append(f"{e.on.isoformat()} * {description}  ; {tag}, event_type:{e.event_type}")
        for p in e.postings:
            lines.append(f"    {p.account.name}  {_amount(p.amount)} {CURRENCY}")
        lines.append("")
    return "\n".join(lines)


def _csv(rows: Iterable[Sequence[str]], header: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def xero(entries: Sequence[Entry]) -> str:
    """Xero's manual-journal import: one row per posting, the rows of a journal sharing its narration and date
    (dd/mm/yyyy); debits positive, credits negative; the society and the member as tracking categories."""
    rows = []
    for e in entries:
        where = f"#{e.position}" if e.position is not None else "derived"
        narration = f"{where} {e.narration}"
        for p in e.postings:
            rows.append((narration, e.on.strftime("%d/%m/%Y"), p.account.name, p.account.code, XERO_TAX_RATE,
                         _amount(p.amount), "Society", e.society, "Member" if p.account.party else "",
                         p.account.party or ""))
    return _csv(rows, XERO_COLUMNS)


def journal_csv(entries: Sequence[Entry]) -> str:
    """The journal, one row per posting: the debit or the credit column filled."""
    rows = []
    for e in entries:
        for p in e.postings:
            rows.append((e.on.isoformat(), e.society, "" if e.position is None else str(e.position), e.event_type,
                         e.narration, p.account.name, p.account.code,
                         _amount(p.amount) if p.amount > 0 else "", _amount(-p.amount) if p.amount < 0 else ""))
    return _csv(rows, CSV_COLUMNS)


FORMATS = ("beancount", "hledger", "xero", "csv")
