"""The fold of a bank account's stream: its lines, what was decided about each, its rules and stated balances.

Pure: events (or payload dicts) in, a `BankBook` out. The unmatched queue, the links from a returned direct
debit to the line it returns and the reconciliation are all read from it (a derived figure is a fold, never an
event frozen when a command ran).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from ledger.bank.matching import MatchRule, compile_rule

RETURNING = ("returned-dd", "reversal")


class _Event(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def position(self) -> int: ...


class Line(NamedTuple):
    line_id: str
    bank_line_ref: str
    booked: date
    value: date
    amount: Decimal
    currency: str
    reference: str
    kind: str
    returns_ref: str | None
    format: str
    position: int

    @classmethod
    def of(cls, p: Mapping[str, Any], position: int) -> Line:
        return cls(p["line_id"], p["bank_line_ref"], date.fromisoformat(p["booked_date"]),
                   date.fromisoformat(p["value_date"]), Decimal(p["amount"]), p["currency"], p.get("reference") or "",
                   p["kind"], p.get("returns_ref"), p["format"], position)

    def to_json(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "bank_line_ref": self.bank_line_ref, "booked_date": self.booked,
                "value_date": self.value, "amount": self.amount, "currency": self.currency,
                "reference": self.reference, "kind": self.kind}


class StatedBalance(NamedTuple):
    on: date
    kind: str
    amount: Decimal
    currency: str
    position: int


@dataclass
class BankBook:
    """What a bank account's stream says, as of everything it holds."""

    account_id: str
    lines: dict[str, Line] = field(default_factory=dict)
    matched: dict[str, dict[str, Any]] = field(default_factory=dict)  # line_id -> BankLineMatched payload
    ignored: dict[str, str] = field(default_factory=dict)  # line_id -> reason
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)  # returning line_id -> BankPaymentReturned
    returned: dict[str, str] = field(default_factory=dict)  # returned line_id -> returning line_id
    rules: dict[str, MatchRule] = field(default_factory=dict)
    balances: list[StatedBalance] = field(default_factory=list)
    by_ref: dict[str, str] = field(default_factory=dict)  # bank_line_ref -> line_id

    # -- the fold ----------------------------------------------------------------------------------------------
    def apply(self, type_: str, p: Mapping[str, Any], position: int) -> None:
        if type_ == "BankLineImported":
            line = Line.of(p, position)
            self.lines[line.line_id] = line
            self.by_ref.setdefault(line.bank_line_ref, line.line_id)
        elif type_ == "BankLineMatched":
            self.matched[p["line_id"]] = dict(p)
        elif type_ == "BankLineIgnored":
            self.ignored[p["line_id"]] = p["reason"]
        elif type_ == "BankPaymentReturned":
            self.returns[p["line_id"]] = dict(p)
            self.returned[p["returned_line_id"]] = p["line_id"]
        elif type_ == "BankMatchRuleSet":
            self.rules.pop(p["rule_id"], None)  # a rule set again moves to the end of the order
            self.rules[p["rule_id"]] = MatchRule(p["rule_id"], compile_rule(p["pattern"]), p.get("member_id"))
        elif type_ == "BankMatchRuleRemoved":
            self.rules.pop(p["rule_id"], None)
        elif type_ == "BankBalanceStated":
            self.balances.append(StatedBalance(date.fromisoformat(p["balance_date"]), p["kind"],
                                               Decimal(p["amount"]), p["currency"], position))

    # -- questions ---------------------------------------------------------------------------------------------
    def cleared(self, line_id: str) -> bool:
        """Matched, ignored, or settled by a return (the returning line and the line it returns)."""
        return line_id in self.matched or line_id in self.ignored or line_id in self.returns \
            or line_id in self.returned

    def unmatched(self, as_of: date | None = None) -> list[Line]:
        return [line for line in self.lines.values()
                if not self.cleared(line.line_id) and (as_of is None or line.booked <= as_of)]

    def pending_returns(self) -> list[Line]:
        return [line for line in self.lines.values() if line.kind in RETURNING and not self.cleared(line.line_id)]

    def return_target(self, ret: Line) -> Line | None:
        """The line a returned direct debit or reversal returns: the one the bank's hint names (its identity or its
        reference), else the latest earlier line of the opposite amount with the same reference; never a line
        already returned, a returning line, or one booked after it."""
        candidates = [line for line in self.lines.values()
                      if line.kind not in RETURNING and line.amount == -ret.amount and line.booked <= ret.booked
                      and line.line_id not in self.returned and line.line_id != ret.line_id]
        if ret.returns_ref:
            named = self.by_ref.get(ret.returns_ref)
            if named is not None and any(c.line_id == named for c in candidates):
                return self.lines[named]
            hinted = [c for c in candidates if c.reference == ret.returns_ref]
            if hinted:
                return max(hinted, key=lambda c: (c.booked, c.position))
        same = [c for c in candidates if ret.reference and c.reference == ret.reference]
        return max(same, key=lambda c: (c.booked, c.position)) if same else None


def bank_book(account_id: str, events: Iterable[_Event]) -> BankBook:
    book = BankBook(account_id)
    for e in events:
        book.apply(e.type, e.payload, e.position)
    return book
