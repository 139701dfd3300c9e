"""The bank read side: the unmatched queue, the rules, and the reconciliation of an account on a date.

Every figure is a fold of the account's stream (ledger/bank/account.py) and of the members' payments, read
through an `EventSource`; the payers' names come from the caller (the off-chain table), never from the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ledger import streams
from ledger.bank.account import BankBook, Line, bank_book
from ledger.errors import NotFound
from ledger.events.bank import BankLineImported
from ledger.events.coop import PaymentReceived
from ledger.source import EventSource

Names = Callable[[Sequence[str]], Mapping[str, tuple[str, str]]]


def accounts(source: EventSource) -> list[str]:
    """Every bank account with a line in the books."""
    return sorted({e.payload["account_id"] for e in source.of_type(BankLineImported.event_type)})


def book(source: EventSource, account_id: str) -> BankBook:
    events = source.stream(streams.bank(account_id))
    if not events:
        raise NotFound(f"--account: {account_id} has no bank statement in the books (`mutual bank import`)")
    return bank_book(account_id, events)


def _row(line: Line, names: Mapping[str, tuple[str, str]], account_id: str) -> dict[str, Any]:
    name, _ = names.get(line.line_id, ("", ""))
    return {**line.to_json(), "account_id": account_id, "counterparty": name}


def unmatched(source: EventSource, account_id: str | None, names: Names,
              as_of: date | None = None) -> list[dict[str, Any]]:
    """The queue: every line neither matched, ignored nor settled by a return, oldest first."""
    rows: list[dict[str, Any]] = []
    for account in [account_id] if account_id else accounts(source):
        lines = book(source, account).unmatched(as_of)
        found = names([line.line_id for line in lines])
        rows += [_row(line, found, account) for line in lines]
    return sorted(rows, key=lambda r: (r["booked_date"], r["account_id"], r["line_id"]))


def rules(source: EventSource, account_id: str) -> list[dict[str, Any]]:
    return [{"rule_id": r.rule_id, "pattern": r.pattern.pattern, "member_id": r.member_id, "order": n}
            for n, r in enumerate(book(source, account_id).rules.values(), start=1)]


def reconcile(source: EventSource, account_id: str, as_of: date, names: Names) -> dict[str, Any]:
    """The bank's closing balance against the ledger's view of the account on `as_of`, and every difference.

    The ledger's view: the earliest opening balance the bank stated (zero and said so when none) plus every line
    booked after it up to the statement's date. Differences: the gap between the two; lines up to `as_of` neither
    matched nor ignored; matched lines whose member's payment is missing or of another amount; and two balances the
    bank stated for one day that disagree."""
    b = book(source, account_id)
    stated = [s for s in b.balances if s.on <= as_of]
    closing = max((s for s in stated if s.kind == "closing"), key=lambda s: (s.on, s.position), default=None)
    openings = [s for s in b.balances if s.kind == "opening"]
    opening = min(openings, key=lambda s: (s.on, s.position), default=None)
    start = opening.on if opening is not None else date.min
    opening_amount = opening.amount if opening is not None else Decimal(0)
    on = closing.on if closing is not None else as_of
    ledger_balance = opening_amount + sum((line.amount for line in b.lines.values() if start < line.booked <= on),
                                          Decimal(0))
    differences: list[dict[str, Any]] = []
    if closing is None:
        differences.append({"kind": "no-statement-balance",
                            "detail": f"the bank states no closing balance on or before {as_of.isoformat()}"})
    elif closing.amount != ledger_balance:
        differences.append({"kind": "balance-gap", "amount": closing.amount - ledger_balance,
                            "detail": f"the bank says {closing.amount:f} on {closing.on.isoformat()}, the lines "
                                      f"imported give {ledger_balance:f}"})
    if opening is None and b.lines:
        differences.append({"kind": "no-opening-balance",
                            "detail": "no statement stated an opening balance: the ledger's view starts at zero"})
    by_day: dict[tuple[date, str], set[Decimal]] = {}
    for s in stated:
        by_day.setdefault((s.on, s.kind), set()).add(s.amount)
    differences += [{"kind": "balances-disagree", "detail": f"the bank stated {kind} balances "
                     f"{', '.join(sorted(f'{a:f}' for a in amounts))} for {day.isoformat()}"}
                    for (day, kind), amounts in sorted(by_day.items()) if len(amounts) > 1]
    queue = b.unmatched(as_of)
    found = names([line.line_id for line in queue])
    differences += [{**_row(line, found, account_id), "kind": "unmatched-line", "line_kind": line.kind}
                    for line in queue]
    differences += _payment_differences(source, b, as_of)
    return {"account_id": account_id, "as_of": as_of,
            "statement_balance": closing.amount if closing is not None else None,
            "statement_balance_date": closing.on if closing is not None else None,
            "opening_balance": opening_amount, "opening_balance_date": opening.on if opening is not None else None,
            "ledger_balance": ledger_balance,
            "lines": sum(1 for line in b.lines.values() if line.booked <= as_of),
            "matched": sum(1 for lid in b.matched if b.lines[lid].booked <= as_of),
            "ignored": sum(1 for lid in b.ignored if b.lines[lid].booked <= as_of),
            "reconciled": not differences, "differences": differences}


def _payment_differences(source: EventSource, b: BankBook, as_of: date) -> list[dict[str, Any]]:
    """Matched lines whose member's payment (as corrected) is missing or of another amount than the line."""
    out: list[dict[str, Any]] = []
    by_member: dict[str, list[str]] = {}
    for lid, m in b.matched.items():
        if b.lines[lid].booked <= as_of and lid not in b.returned:
            by_member.setdefault(m["member_id"], []).append(lid)
    payments = _payments_by_line(source, list(by_member))
    for member, lids in sorted(by_member.items()):
        paid = payments.get(member, {})
        for lid in lids:
            line = b.lines[lid]
            if lid not in paid:
                out.append({"kind": "payment-missing", "line_id": lid, "member_id": member, "amount": line.amount,
                            "detail": f"matched to {member}, whose payment from this line is not in the books "
                                      "(reversed by a correction?)"})
            elif paid[lid] != line.amount:
                out.append({"kind": "amount-differs", "line_id": lid, "member_id": member, "amount": line.amount,
                            "payment": paid[lid],
                            "detail": f"the line is {line.amount:f}, {member}'s payment {paid[lid]:f}"})
    return out


MANY_MEMBERS = 100  # above this, one scan of every payment is cheaper than a read of each member's stream


def _payments_by_line(source: EventSource, members: list[str]) -> dict[str, dict[str, Decimal]]:
    """{member: {bank line: amount}} of the members' payments from bank lines (corrections applied)."""
    if len(members) > MANY_MEMBERS:
        events = [e for e in source.of_type(PaymentReceived.event_type) if e.payload.get("bank_line")]
    else:
        events = [e for m in members for e in source.stream(streams.member(m)) if e.type == PaymentReceived.event_type]
    out: dict[str, dict[str, Decimal]] = {}
    for e in events:
        if e.payload.get("bank_line"):
            out.setdefault(e.payload["member_id"], {})[e.payload["bank_line"]] = Decimal(e.payload["amount"])
    return out
