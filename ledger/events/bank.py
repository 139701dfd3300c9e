"""Events of a bank account's statements: the lines, the balances the bank states, and what the clerk (or a rule)
decided about each line. Stream: `bank-<account>` (ledger/streams.py).

Only amounts, dates, references and ids are kept here: the payer's name and account number of a line are
personal data, kept off the chain in the `bank_line_details` table, keyed by `line_id` (docs/bank.md).
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, StringConstraints

from ledger.events.base import EventPayload
from ledger.events.types import EventDate, Id, Money, Period, Text, whole

Currency = Annotated[str, StringConstraints(pattern=whole(r"[A-Z]{3}"))]
LineKind = Literal["credit", "debit", "returned-dd", "reversal"]
StatementFormat = Literal["csv", "ofx", "camt053", "mt940"]


class BankLineImported(EventPayload):
    """A statement line, recorded once per account and bank line identity (its idempotency key names the line)."""

    event_type = "BankLineImported"
    stream_kinds = ("bank",)
    account_id: Id
    line_id: Id = Field(description="bl-<24 hex>: SHA-256 of the account and the bank's identity of the line")
    bank_line_ref: Text = Field(description="the bank's identity of the line: FITID, AcctSvcrRef/NtryRef, the MT940 "
                                            "bank reference, or date|amount|reference|n for a CSV")
    booked_date: EventDate
    value_date: EventDate
    amount: Money = Field(description="signed: money in is positive")
    currency: Currency
    reference: Optional[Text] = None
    kind: LineKind
    returns_ref: Optional[Text] = Field(default=None, description="the bank's hint to the line this one returns or "
                                                                  "reverses (OFX CORRECTFITID, CAMT EndToEndId, ...)")
    format: StatementFormat


class BankBalanceStated(EventPayload):
    """A balance the bank states on a statement: the account's balance at the end of `balance_date`."""

    event_type = "BankBalanceStated"
    stream_kinds = ("bank",)
    account_id: Id
    balance_date: EventDate
    amount: Money
    currency: Currency
    kind: Literal["opening", "closing"]


class BankLineMatched(EventPayload):
    """A credit line is a member's payment (recorded with it as that member's PaymentReceived)."""

    event_type = "BankLineMatched"
    stream_kinds = ("bank",)
    account_id: Id
    line_id: Id
    member_id: Id
    period: Period = Field(description="the month the payment pays (docs/bank.md, \"Matching\")")
    rule: Text = Field(description="what matched it: `manual`, `rule:<rule_id>` or `payee`")


class BankLineIgnored(EventPayload):
    """A line that is not a member's payment (bank charges, a transfer between the co-op's accounts ...)."""

    event_type = "BankLineIgnored"
    stream_kinds = ("bank",)
    account_id: Id
    line_id: Id
    reason: Text


class BankPaymentReturned(EventPayload):
    """A returned direct debit or reversal settles the line it returns; when that line was a member's payment, the
    member's `PaymentReturned` is recorded with this event, effective the same day."""

    event_type = "BankPaymentReturned"
    stream_kinds = ("bank",)
    account_id: Id
    line_id: Id = Field(description="the returning line")
    returned_line_id: Id = Field(description="the line it returns")
    member_id: Optional[Id] = None
    reversed_position: Optional[int] = Field(default=None, ge=1,
                                             description="the position of the PaymentReceived returned")


class BankMatchRuleSet(EventPayload):
    """A matching rule a treasurer can read: a credit whose reference matches `pattern` (a whole-text regular
    expression) is the payment of `member_id`, or of the member the pattern's group `member` names."""

    event_type = "BankMatchRuleSet"
    stream_kinds = ("bank",)
    account_id: Id
    rule_id: Id
    pattern: Text
    member_id: Optional[Id] = None


class BankMatchRuleRemoved(EventPayload):
    event_type = "BankMatchRuleRemoved"
    stream_kinds = ("bank",)
    account_id: Id
    rule_id: Id


__all__ = [name for name in dir() if name[0].isupper()]
