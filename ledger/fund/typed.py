"""The fund's events as the folds read them: one typed reading a type, chosen by its event class.

A fold dispatches on an event's type by the class's `event_type` (never a string of its own) and reads the payload
through the accessor of that type, which turns the payload's strings into the numbers they are once. The payload
is already at its type's current schema version (ledger/source.py lifted it), so an accessor reads only the
current fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from ledger.events.fund import (
    FeeCharged,
    FundExpense,
    FundPolicySet,
    InstalmentReceived,
    LoanDisbursed,
    LoanGranted,
    LoanWrittenOff,
    PointsGifted,
    SavingsAccountOpened,
    SavingsDeposited,
    SavingsWithdrawn,
    ShareDepositBought,
    ShareDepositReleased,
)
from ledger.folded import Event

# The accessors build their NamedTuples as tuples (`tuple.__new__`, what a replay does for its events): a fold
# reads every event, and a NamedTuple's own constructor would cost the fold a fifth of its time.
_new = tuple.__new__

POLICY_SET = FundPolicySet.event_type
EXPENSE = FundExpense.event_type
OPENED = SavingsAccountOpened.event_type
DEPOSITED = SavingsDeposited.event_type
WITHDRAWN = SavingsWithdrawn.event_type
GIFTED = PointsGifted.event_type
GRANTED = LoanGranted.event_type
DISBURSED = LoanDisbursed.event_type
RECEIVED = InstalmentReceived.event_type
FEE = FeeCharged.event_type
SHARES_BOUGHT = ShareDepositBought.event_type
SHARES_RELEASED = ShareDepositReleased.event_type
WRITTEN_OFF = LoanWrittenOff.event_type


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class KindTerms(NamedTuple):
    kind: str
    factor: Decimal
    notice_days: int


class PolicyTerms(NamedTuple):
    """A FundPolicySet."""

    fund_id: str
    setup_fee: Decimal
    annual_fee: Decimal
    share_deposit: Decimal
    minimum_presaving_months: int
    maximum_loan_multiple: Decimal | None
    account_kinds: tuple[KindTerms, ...]


def policy_set(e: Event) -> PolicyTerms:
    p = e.payload
    kinds = tuple(KindTerms(k["kind"], Decimal(k["factor"]), int(k.get("notice_days", 0))) for k in p["account_kinds"])
    return PolicyTerms(p["fund_id"], Decimal(p["setup_fee"]), Decimal(p["annual_fee"]), Decimal(p["share_deposit"]),
                       int(p.get("minimum_presaving_months", 0)), _decimal(p.get("maximum_loan_multiple")), kinds)


class Opened(NamedTuple):
    """A SavingsAccountOpened."""

    account_id: str
    fund_id: str
    holder_id: str
    holder_kind: str
    kind: str


def account_opened(e: Event) -> Opened:
    p = e.payload
    return _new(Opened, (p["account_id"], p["fund_id"], p["holder_id"], p["holder_kind"], p["kind"]))


class Deposit(NamedTuple):
    """A SavingsDeposited (`loan`: the loan whose after-saving it is, paid separately)."""

    amount: Decimal
    loan: str | None


def savings_deposited(e: Event) -> Deposit:
    p = e.payload
    return _new(Deposit, (Decimal(p["amount"]), p.get("after_saving_for_loan")))


class Amount(NamedTuple):
    """The amount of an event that carries one sum: a withdrawal, a disbursement, a share deposit bought or
    released, a write-off, an expense."""

    amount: Decimal


def amount_of(e: Event) -> Amount:
    return _new(Amount, (Decimal(e.payload["amount"]),))


# One accessor a type; these types carry one sum, read alike.
savings_withdrawn = loan_disbursed = share_deposit_bought = share_deposit_released = fund_expense = amount_of


class WrittenOff(NamedTuple):
    """A LoanWrittenOff."""

    amount: Decimal
    reason: str


def loan_written_off(e: Event) -> WrittenOff:
    p = e.payload
    return _new(WrittenOff, (Decimal(p["amount"]), p["reason"]))


class Gifted(NamedTuple):
    """A PointsGifted."""

    giver: str
    receiver: str
    points: Decimal


def points_gifted(e: Event) -> Gifted:
    p = e.payload
    return _new(Gifted, (p["from_member_id"], p["to_member_id"], Decimal(p["points"])))


class Granted(NamedTuple):
    """A LoanGranted (the optional schedule figures None when the contract left them to be recomputed)."""

    loan_id: str
    fund_id: str
    holder_id: str
    account_id: str
    principal: Decimal
    months: int
    instalment: Decimal
    points_used: Decimal
    after_saving: Decimal
    setup_fee: Decimal
    annual_fee: Decimal
    share_deposit: Decimal
    final_instalment: Decimal | None
    first_after_saving: Decimal | None
    final_after_saving: Decimal | None


def loan_granted(e: Event) -> Granted:
    p = e.payload
    return Granted(p["loan_id"], p["fund_id"], p["holder_id"], p["account_id"], Decimal(p["principal"]),
                   int(p["months"]), Decimal(p["instalment"]), Decimal(p["points_used"]), Decimal(p["after_saving"]),
                   Decimal(p["setup_fee"]), Decimal(p["annual_fee"]), Decimal(p["share_deposit"]),
                   _decimal(p.get("final_instalment") or None), _decimal(p.get("first_after_saving")),
                   _decimal(p.get("final_after_saving")))


class Instalment(NamedTuple):
    """An InstalmentReceived, split."""

    repayment: Decimal
    after_saving: Decimal
    fee: Decimal
    reference: str | None


def instalment_received(e: Event) -> Instalment:
    p = e.payload
    return _new(Instalment, (Decimal(p["repayment"]), Decimal(p["after_saving"]), Decimal(p["fee"]),
                             p.get("reference")))


class Fee(NamedTuple):
    """A FeeCharged."""

    kind: str
    amount: Decimal


def fee_charged(e: Event) -> Fee:
    p = e.payload
    return _new(Fee, (p["kind"], Decimal(p["amount"])))


__all__ = [
    "DEPOSITED",
    "DISBURSED",
    "EXPENSE",
    "FEE",
    "GIFTED",
    "GRANTED",
    "OPENED",
    "POLICY_SET",
    "RECEIVED",
    "SHARES_BOUGHT",
    "SHARES_RELEASED",
    "WITHDRAWN",
    "WRITTEN_OFF",
    "Amount",
    "Deposit",
    "Fee",
    "Gifted",
    "Granted",
    "Instalment",
    "KindTerms",
    "Opened",
    "PolicyTerms",
    "WrittenOff",
    "account_opened",
    "amount_of",
    "fee_charged",
    "fund_expense",
    "instalment_received",
    "loan_disbursed",
    "loan_granted",
    "loan_written_off",
    "points_gifted",
    "policy_set",
    "savings_deposited",
    "savings_withdrawn",
    "share_deposit_bought",
    "share_deposit_released",
]
