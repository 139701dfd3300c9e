"""Events of the shared-equity co-operative: societies, dwellings, members, the mortgage.

Streams: `society-<id>` (a CLT, co-op or fund, and its policies),
`dwelling-<id>`, `member-<id>`, `mortgage-<id>`, `index-<series>`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import AfterValidator, BaseModel, Field

from ledger.events.base import EventPayload, OlderPayload, Upcaster
from ledger.events.types import (
    Fraction01,
    Id,
    IndexValue,
    Money,
    Months,
    NonNegativeMoney,
    NonNegativeRate,
    Period,
    PositiveMoney,
    PositiveUnits,
    Rate,
    Text,
    Units,
    Years,
)
from ledger.money import money_text
from ledger.rules.payments import annual_payment as payment_at_signing


class SocietyRegistered(EventPayload):
    """A society joins the books: a Community Land Trust, a primary co-op or a savings fund."""

    event_type = "SocietyRegistered"
    stream_kinds = ("society",)
    society_id: Id
    kind: Literal["clt", "coop", "fund"]
    name: Text
    clt_id: Optional[Id] = Field(default=None, description="the CLT a co-op leases its land from (co-ops only)")


class DwellingRegistered(EventPayload):
    """A dwelling of a co-op, its value unitised into `units` equity units, `clt_units` held by the CLT."""

    event_type = "DwellingRegistered"
    stream_kinds = ("dwelling",)
    dwelling_id: Id
    coop_id: Id
    value: PositiveMoney
    units: PositiveUnits
    clt_units: Units


class DwellingRevalued(EventPayload):
    """A new dwelling value from a valuation or an agreed index; unit value = value / units."""

    event_type = "DwellingRevalued"
    stream_kinds = ("dwelling",)
    dwelling_id: Id
    value: PositiveMoney
    basis: Literal["valuation", "index"] = "valuation"
    index_series: Optional[Id] = None


class PaymentIndexationPolicySet(EventPayload):
    """From its effective date, members' payments are indexed yearly by `series` + `margin`, never falling."""

    event_type = "PaymentIndexationPolicySet"
    stream_kinds = ("society",)
    coop_id: Id
    series: Id
    margin: Rate = Field(description="added to the index change, e.g. 0.005 for RPI + 0.5%")
    floor_at_zero: bool = Field(default=True, description="the payment never falls (report 6.8)")


class ChargesBudgetSet(EventPayload):
    """A dwelling's yearly share of the co-op's charges (management, maintenance, insurance, services, sinking fund)."""

    event_type = "ChargesBudgetSet"
    stream_kinds = ("dwelling",)
    dwelling_id: Id
    management: NonNegativeMoney
    maintenance: NonNegativeMoney
    insurance: NonNegativeMoney
    services: NonNegativeMoney
    sinking_fund: NonNegativeMoney


class DepositRuleSet(EventPayload):
    """The co-op's deposit rule: a minimum deposit as a fraction of the dwelling's non-CLT value."""

    event_type = "DepositRuleSet"
    stream_kinds = ("society",)
    coop_id: Id
    minimum_fraction: Fraction01
    minimum_amount: NonNegativeMoney = Field(default="0")


class EquityStakePolicySet(EventPayload):
    """The `% to equity stake`: the fraction of a payment's surplus that reduces the payer's debt share."""

    event_type = "EquityStakePolicySet"
    stream_kinds = ("society",)
    coop_id: Id
    fraction: Fraction01


class ResaleFormulaSet(EventPayload):
    """The co-op's resale formula, in force from its effective date (report 6.5)."""

    event_type = "ResaleFormulaSet"
    stream_kinds = ("society",)
    coop_id: Id
    deduction: Fraction01 = Field(description="common-equity fraction deducted from a positive growth")
    appreciation_cap: Optional[Fraction01] = Field(default=None,
                                                   description="cap on the member's share of appreciation")
    minimum_tenure_years: int = Field(default=0, ge=0, le=100)
    valuation_basis: Literal["valuation", "index"] = "valuation"
    index_series: Optional[Id] = None


class IndexValuePublished(EventPayload):
    """A published index value (RPI, a house-price index, earnings) for a period YYYY or YYYY-MM."""

    event_type = "IndexValuePublished"
    stream_kinds = ("index",)
    series: Id
    period: Period
    value: IndexValue


class CollectiveMortgageDrawn(EventPayload):
    """The co-op's collective mortgage (or a tranche of it) is drawn down."""

    event_type = "CollectiveMortgageDrawn"
    stream_kinds = ("mortgage",)
    mortgage_id: Id
    coop_id: Id
    kind: Literal["index-linked", "conventional", "tilted"]
    principal: PositiveMoney
    rate: NonNegativeRate = Field(description="real rate (index-linked) or nominal rate (conventional, tilted)")
    index_series: Optional[Id] = None
    tilt: NonNegativeRate = Field(default="0")
    term_years: Years
    first_payment: Optional[PositiveMoney] = Field(
        default=None, description="absent: the payment that clears the debt over the term")
    compounding: Literal["annual", "monthly"] = "annual"


class MortgageYearPosted(EventPayload):
    """One year of a mortgage or a member's debt share (interest yearly or month by month, as the mortgage's
    compounding says)."""

    event_type = "MortgageYearPosted"
    stream_kinds = ("mortgage", "member")
    year: Years
    opening_debt: NonNegativeMoney
    interest: NonNegativeMoney
    payment: NonNegativeMoney
    indexation: NonNegativeMoney
    closing_debt: NonNegativeMoney
    index_rate: Rate
    equity_stake: NonNegativeMoney = Field(
        default="0", description="the year's surplus applied to the debt share (`% to equity stake`); "
                                 "the debt after the year is closing_debt - equity_stake")


class TopUpLoanDrawn(EventPayload):
    """The co-op tops up its loan, e.g. to pay out a leaving member."""

    event_type = "TopUpLoanDrawn"
    stream_kinds = ("mortgage",)
    mortgage_id: Id
    amount: PositiveMoney
    purpose: Text


class MortgagePrepaid(EventPayload):
    """The co-op passes members' staircasing money (extra payments, units bought back from the co-op) to the lender."""

    event_type = "MortgagePrepaid"
    stream_kinds = ("mortgage",)
    mortgage_id: Id
    amount: PositiveMoney
    bank_reference: Optional[Text] = None


class MemberAdmittedV1(OlderPayload):
    """`MemberAdmitted` as schema version 1 wrote it: with the member's net salary (personal data, in the chain)."""

    member_id: Id
    coop_id: Id
    dwelling_id: Id
    net_salary: PositiveMoney
    payment_rate: Fraction01 = Field(description="0.30 to 0.35 of net salary")
    deposit: NonNegativeMoney
    debt_share: NonNegativeMoney
    mortgage_id: Optional[Id] = None


def _admission_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """Version 1 to 2: the annual payment the books computed from the salary and the rate, exactly as the member
    fold computed it (`rules.payments.annual_payment`, at the rate signed, rounded half up to the penny); the
    salary and the rate are dropped (the salary is personal data: docs/people.md). A payload is checked against
    `MemberAdmittedV1` when it is written (ledger/store/payloads.py), not again on every read."""
    lifted = {k: v for k, v in payload.items() if k not in ("net_salary", "payment_rate")}
    payment = payment_at_signing(Decimal(payload["net_salary"]), Decimal(payload["payment_rate"]), rate_checked=False)
    lifted["annual_payment"] = money_text(payment)
    return lifted


class MemberAdmitted(EventPayload):
    """A member is admitted to a dwelling at an agreed annual payment; the deposit buys units outright.

    The payment was agreed from the member's net salary (30 to 35 per cent of it: report 6.8); the salary is
    personal data and lives in the register of people (docs/people.md), never in the chain. Version 1 carried the
    salary and the rate; its upcaster computes the payment from them.
    """

    event_type = "MemberAdmitted"
    schema_version = 2
    stream_kinds = ("member",)
    upcasters: ClassVar[dict[int, Upcaster]] = {1: _admission_v1_to_v2}
    older_versions: ClassVar[dict[int, type[BaseModel]]] = {1: MemberAdmittedV1}
    member_id: Id
    coop_id: Id
    dwelling_id: Id
    annual_payment: NonNegativeMoney = Field(description="the yearly payment agreed at signing, before indexation")
    deposit: NonNegativeMoney
    debt_share: NonNegativeMoney
    mortgage_id: Optional[Id] = None

    @classmethod
    def version_of(cls, payload: object) -> int:
        """A payload with a salary or a rate and no annual payment is version 1 (every file written before 2)."""
        if isinstance(payload, dict) and "annual_payment" not in payload \
                and ("net_salary" in payload or "payment_rate" in payload):
            return 1
        return cls.schema_version


class PaymentIndexed(EventPayload):
    """The member's yearly payment after indexation (never lower than before)."""

    event_type = "PaymentIndexed"
    stream_kinds = ("member",)
    member_id: Id
    period: Period
    index_change: Rate
    annual_payment: PositiveMoney


class PaymentDue(EventPayload):
    """A periodic payment falls due."""

    event_type = "PaymentDue"
    stream_kinds = ("member",)
    member_id: Id
    period: Period
    amount: PositiveMoney
    charges: NonNegativeMoney = Field(
        default="0", description="the part of `amount` that is the dwelling's share of the co-op's charges")


class PaymentReceived(EventPayload):
    """Money received from a member, allocated to arrears, charges, mortgage, then reserve."""

    event_type = "PaymentReceived"
    stream_kinds = ("member",)
    added_fields = frozenset({"bank_line"})
    member_id: Id
    amount: PositiveMoney
    period: Period
    bank_reference: Text
    bank_line: Optional[Id] = Field(default=None, description="the bank line it was matched from (`mutual bank`; "
                                                               "absent for a receipt entered by hand)")


class PaymentReturned(EventPayload):
    """A member's payment the bank took back (a returned direct debit, a recalled transfer), effective on the day it
    was returned: the payment counted until then, and from then on it counts for nothing (the member owes again)."""

    event_type = "PaymentReturned"
    stream_kinds = ("member",)
    member_id: Id
    amount: PositiveMoney
    bank_reference: Text = Field(description="the returning line's reference (or the bank's line id)")
    returned_line: Optional[Id] = Field(default=None, description="the bank line of the payment returned "
                                                                  "(`mutual bank`)")


class ExtraPaymentReceived(EventPayload):
    """An optional extra payment that buys more units (staircasing up)."""

    event_type = "ExtraPaymentReceived"
    stream_kinds = ("member",)
    member_id: Id
    amount: PositiveMoney
    bank_reference: Text


class PaymentReductionAgreed(EventPayload):
    """An agreed reduction: the member sells units back to the co-op (staircasing down)."""

    event_type = "PaymentReductionAgreed"
    stream_kinds = ("member",)
    member_id: Id
    annual_payment: PositiveMoney
    units_sold: Units
    reason: Text


class UnitsTransferred(EventPayload):
    """Units move between holders of a dwelling: clt, member, financed (the co-op)."""

    event_type = "UnitsTransferred"
    stream_kinds = ("dwelling",)
    dwelling_id: Id
    from_holder: Literal["clt", "member", "financed"]
    to_holder: Literal["clt", "member", "financed"]
    units: PositiveUnits
    price: NonNegativeMoney


class LeaseAssigned(EventPayload):
    """The lease passes through the co-op from the outgoing to the incoming member."""

    event_type = "LeaseAssigned"
    stream_kinds = ("dwelling",)
    dwelling_id: Id
    outgoing_member_id: Id
    incoming_member_id: Optional[Id] = None


class EquityPaidOut(EventPayload):
    """The co-op pays a leaving member under the resale formula, arrears deducted."""

    event_type = "EquityPaidOut"
    stream_kinds = ("member",)
    member_id: Id
    amount: NonNegativeMoney
    arrears_deducted: NonNegativeMoney = Field(default="0")


class ReserveSpent(EventPayload):
    """Spending from a co-op's reserve, e.g. on cyclical repairs, or a leaving member's payout funded from it."""

    event_type = "ReserveSpent"
    stream_kinds = ("society",)
    added_fields = frozenset({"funds_payout_of"})
    coop_id: Id
    amount: PositiveMoney
    purpose: Text
    funds_payout_of: Optional[Id] = Field(default=None, description="the leaving member whose payout (its own "
                                                                    "`EquityPaidOut`, which pays the cash) it funds")


class ReserveTransferred(EventPayload):
    """Money moved into (positive) or out of (negative) the reserve, e.g. for a payout or a top-up."""

    event_type = "ReserveTransferred"
    stream_kinds = ("society",)
    coop_id: Id
    amount: Money
    purpose: Text


class ShareCapitalBought(EventPayload):
    """A member buys co-op shares: the £1 membership share, and more up to £20,000 in all."""

    event_type = "ShareCapitalBought"
    stream_kinds = ("member",)
    member_id: Id
    society_id: Id
    amount: PositiveMoney


class ShareCapitalWithdrawn(EventPayload):
    event_type = "ShareCapitalWithdrawn"
    stream_kinds = ("member",)
    member_id: Id
    society_id: Id
    amount: PositiveMoney


class DividendPaid(EventPayload):
    """A (low) dividend on a member's share capital."""

    event_type = "DividendPaid"
    stream_kinds = ("member",)
    member_id: Id
    society_id: Id
    amount: PositiveMoney
    period: Period



def _a_month(period: str) -> str:
    if "-" not in period:
        raise ValueError("must be a month YYYY-MM")
    return period


class ArrangementAgreed(EventPayload):
    """A repayment arrangement: on top of the normal payment, the member pays `amount` a month for `months` months
    from `start_month`, to clear their arrears. Whether it is kept is computed on read (docs/arrears.md)."""

    event_type = "ArrangementAgreed"
    stream_kinds = ("member",)
    member_id: Id
    amount: PositiveMoney = Field(description="the monthly instalment on top of the normal payment")
    start_month: Annotated[Period, AfterValidator(_a_month)] = Field(description="the first month, YYYY-MM")
    months: Months
    reason: Optional[Text] = None


__all__ = [name for name in dir() if name[0].isupper()]
