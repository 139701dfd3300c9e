"""Events of the JAK interest-free savings and loans fund.

Streams: `society-<fund id>` (policy, expenses), `account-<id>` (a savings
account of a member or co-op), `loan-<id>`, `member-<id>` (points gifts).
"""

# The schemas keep `Optional[...]`: the event catalog (docs/events.md, `python -m ledger.events.catalog`) prints each
# field's annotation as written, and it is the same for every event module.

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ledger.events.base import EventPayload
from ledger.events.types import (
    EventDate,
    Fraction01,
    Id,
    Months,
    NonNegativeMoney,
    NonNegativeRate,
    PositiveMoney,
    Text,
    whole,
)

# An optional field added after the first events of its type were recorded (EventPayload.added_fields).
REFERENCE = ("the bank reference or statement line; two equal payments on one day are two facts only if it (or an "
             "explicit idempotency key) tells them apart; left out of the canonical payload when absent")

_POINTS_PATTERN = whole(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,4})?")
# Savings points, a decimal string with at most 4 places (pound-months).
Points = Annotated[str, StringConstraints(pattern=_POINTS_PATTERN)]


class AccountKind(BaseModel):
    """A kind of savings account and its savings factor (0 instant access .. 1 long notice)."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
    kind: Id
    factor: Fraction01
    notice_days: int = Field(default=0, ge=0, le=3650)


class FundPolicySet(EventPayload):
    """The fund's product policy from its effective date; a factor change applies from that date."""

    event_type = "FundPolicySet"
    stream_kinds = ("society",)
    fund_id: Id
    setup_fee: NonNegativeRate = Field(description="fraction of the loan, e.g. 0.035")
    annual_fee: NonNegativeRate = Field(description="fraction of the amount borrowed per year, e.g. 0.01")
    share_deposit: NonNegativeRate = Field(description="fraction of the loan bought in fund shares, e.g. 0.06")
    minimum_presaving_months: int = Field(default=0, ge=0, le=600)
    maximum_loan_multiple: Optional[NonNegativeRate] = Field(
        default=None, description="loan at most this multiple of savings")
    account_kinds: list[AccountKind] = Field(min_length=1)


class SavingsAccountOpened(EventPayload):
    event_type = "SavingsAccountOpened"
    stream_kinds = ("account",)
    account_id: Id
    fund_id: Id
    holder_id: Id
    holder_kind: Literal["member", "coop"]
    kind: Id


class SavingsDeposited(EventPayload):
    event_type = "SavingsDeposited"
    stream_kinds = ("account",)
    added_fields = frozenset({"reference"})
    account_id: Id
    amount: PositiveMoney
    after_saving_for_loan: Optional[Id] = Field(
        default=None, description="set when the deposit is a loan's after-saving (locked)")
    reference: Optional[Text] = Field(default=None, description=REFERENCE)


class SavingsWithdrawn(EventPayload):
    """Money paid out of a savings account (never locked after-savings, never beyond the free balance)."""

    event_type = "SavingsWithdrawn"
    stream_kinds = ("account",)
    added_fields = frozenset({"reference"})
    account_id: Id
    amount: PositiveMoney
    notice_given_on: Optional[EventDate] = Field(
        default=None, description="when the saver gave notice; required by a kind with notice_days above 0")
    reference: Optional[Text] = Field(default=None, description=REFERENCE)


class AfterSavingsReleased(EventPayload):
    """Written by `mutual fund releases` before the release was a fold; now read as nothing and written by no command.

    The release of a repaid loan's after-savings is computed from the facts on every read (docs/rules-fund.md).
    """

    event_type = "AfterSavingsReleased"
    stream_kinds = ("account",)
    account_id: Id
    loan_id: Id
    amount: NonNegativeMoney


class PointsGifted(EventPayload):
    """A member gives savings points to another member (never more than they hold)."""

    event_type = "PointsGifted"
    stream_kinds = ("member",)
    from_member_id: Id
    to_member_id: Id
    points: Points = Field(description="savings points, a decimal string, at most 4 places")


class LoanGranted(EventPayload):
    """An interest-free loan contract, as the ledger computed it from the fund policy and the holder's points."""

    event_type = "LoanGranted"
    stream_kinds = ("loan",)
    loan_id: Id
    fund_id: Id
    holder_id: Id
    account_id: Id
    principal: PositiveMoney
    months: Months
    instalment: PositiveMoney
    points_used: Points
    after_saving: NonNegativeMoney
    setup_fee: NonNegativeMoney
    annual_fee: NonNegativeMoney
    share_deposit: NonNegativeMoney
    final_instalment: Optional[PositiveMoney] = Field(
        default=None, description="the last instalment, which absorbs the penny remainder (default: recomputed)")
    first_after_saving: Optional[NonNegativeMoney] = Field(
        default=None, description="the first after-saving (default: recomputed from points_used)")
    final_after_saving: Optional[NonNegativeMoney] = Field(
        default=None, description="the last after-saving, settling the points to the penny (default: recomputed)")


class LoanDisbursed(EventPayload):
    event_type = "LoanDisbursed"
    stream_kinds = ("loan",)
    loan_id: Id
    amount: PositiveMoney


class InstalmentReceived(EventPayload):
    """A borrower's monthly payment, split into repayment, after-saving and fee."""

    event_type = "InstalmentReceived"
    stream_kinds = ("loan",)
    added_fields = frozenset({"reference"})
    loan_id: Id
    repayment: NonNegativeMoney
    after_saving: NonNegativeMoney
    fee: NonNegativeMoney
    reference: Optional[Text] = Field(default=None, description=REFERENCE)


class FeeCharged(EventPayload):
    event_type = "FeeCharged"
    stream_kinds = ("loan",)
    loan_id: Id
    kind: Literal["setup", "annual"]
    amount: PositiveMoney


class ShareDepositBought(EventPayload):
    event_type = "ShareDepositBought"
    stream_kinds = ("loan",)
    loan_id: Id
    amount: PositiveMoney


class ShareDepositReleased(EventPayload):
    event_type = "ShareDepositReleased"
    stream_kinds = ("loan",)
    loan_id: Id
    amount: PositiveMoney


class LoanWrittenOff(EventPayload):
    event_type = "LoanWrittenOff"
    stream_kinds = ("loan",)
    loan_id: Id
    amount: PositiveMoney
    reason: Text


class FundExpense(EventPayload):
    event_type = "FundExpense"
    stream_kinds = ("society",)
    fund_id: Id
    amount: PositiveMoney
    purpose: Text


_IMPORTED = ("BaseModel", "ConfigDict", "Field", "Literal", "Optional", "Annotated", "StringConstraints")
__all__ = [name for name in dir() if name[0].isupper() and name not in _IMPORTED]
