"""One typed accessor per event type the co-op folds read: the payload's fields, amounts as Decimals.

`Transfer.of(event)` reads a `UnitsTransferred` (at its type's current schema version: ledger/coop/fold.py
`payload_of`) once, into a NamedTuple the fold reads by attribute; the two commonest events, `PaymentDue` and
`PaymentReceived`, are read by `due_of` and `receipt_of` into plain values (the speed of a member's fold).
Policies a fold keeps whole (a resale formula, a drawn mortgage's terms, a payment-indexation policy) are also
kept as their payload, `document`, because the queries show them as recorded.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from ledger.coop.fold import Event, Payload, dec, payload_of
from ledger.events.coop import PaymentDue, PaymentReceived

CHARGE_HEADS = ("management", "maintenance", "insurance", "services", "sinking_fund")


class SocietyRegistration(NamedTuple):  # SocietyRegistered
    society_id: str
    kind: str
    name: str
    clt_id: str | None

    @classmethod
    def of(cls, e: Event) -> SocietyRegistration:
        p = payload_of(e)
        return cls(p["society_id"], p["kind"], p["name"], p.get("clt_id"))


class ReserveMove(NamedTuple):  # ReserveTransferred, ReserveSpent
    amount: Decimal
    purpose: str

    @classmethod
    def of(cls, e: Event) -> ReserveMove:
        p = payload_of(e)
        return cls(dec(p["amount"]), p.get("purpose") or "")


class StakePolicy(NamedTuple):  # EquityStakePolicySet
    fraction: Decimal

    @classmethod
    def of(cls, e: Event) -> StakePolicy:
        return cls(dec(payload_of(e)["fraction"]))


class Document(NamedTuple):  # a policy or terms kept as recorded
    effective_date: date
    document: Payload

    @classmethod
    def of(cls, e: Event) -> Document:
        return cls(e.effective_date, payload_of(e))


class DwellingRegistration(NamedTuple):  # DwellingRegistered
    dwelling_id: str
    coop_id: str
    value: Decimal
    units: Decimal
    clt_units: Decimal

    @classmethod
    def of(cls, e: Event) -> DwellingRegistration:
        p = payload_of(e)
        return cls(p["dwelling_id"], p["coop_id"], dec(p["value"]), dec(p["units"]), dec(p["clt_units"]))


class Revaluation(NamedTuple):  # DwellingRevalued
    value: Decimal
    basis: str

    @classmethod
    def of(cls, e: Event) -> Revaluation:
        p = payload_of(e)
        return cls(dec(p["value"]), p.get("basis", "valuation"))


class Transfer(NamedTuple):  # UnitsTransferred
    from_holder: str
    to_holder: str
    units: Decimal
    price: Decimal

    @classmethod
    def of(cls, e: Event) -> Transfer:
        p = payload_of(e)
        return cls(p["from_holder"], p["to_holder"], dec(p["units"]), dec(p["price"]))


class Budget(NamedTuple):  # ChargesBudgetSet
    heads: dict[str, str]

    @property
    def total(self) -> Decimal:
        return sum((dec(v) for v in self.heads.values()), Decimal(0))

    @classmethod
    def of(cls, e: Event) -> Budget:
        p = payload_of(e)
        return cls({k: p[k] for k in CHARGE_HEADS})


class Assignment(NamedTuple):  # LeaseAssigned
    outgoing_member_id: str
    incoming_member_id: str | None

    @classmethod
    def of(cls, e: Event) -> Assignment:
        p = payload_of(e)
        return cls(p["outgoing_member_id"], p.get("incoming_member_id"))


class IndexValue(NamedTuple):  # IndexValuePublished
    series: str
    period: str
    value: Decimal

    @classmethod
    def of(cls, e: Event) -> IndexValue:
        p = payload_of(e)
        return cls(p["series"], p["period"], dec(p["value"]))


class Drawdown(NamedTuple):  # CollectiveMortgageDrawn
    mortgage_id: str
    coop_id: str
    principal: Decimal
    document: Payload

    @classmethod
    def of(cls, e: Event) -> Drawdown:
        p = payload_of(e)
        return cls(p["mortgage_id"], p["coop_id"], dec(p["principal"]), p)


class Amount(NamedTuple):  # TopUpLoanDrawn, MortgagePrepaid, ExtraPaymentReceived, DividendPaid
    amount: Decimal

    @classmethod
    def of(cls, e: Event) -> Amount:
        return cls(dec(payload_of(e)["amount"]))


class LenderYear(NamedTuple):  # MortgageYearPosted
    year: int
    interest: Decimal
    indexation: Decimal
    payment: Decimal
    closing_debt: Decimal
    equity_stake: Decimal
    document: Payload

    @classmethod
    def of(cls, e: Event) -> LenderYear:
        p = payload_of(e)
        return cls(int(p["year"]), dec(p["interest"]), dec(p["indexation"]), dec(p["payment"]), dec(p["closing_debt"]),
                   dec(p.get("equity_stake") or "0"), p)


class AdmissionTerms(NamedTuple):  # MemberAdmitted (version 2: the agreed payment, no salary)
    member_id: str
    coop_id: str
    dwelling_id: str
    annual_payment: Decimal
    deposit: Decimal
    debt_share: Decimal
    mortgage_id: str | None

    @classmethod
    def of(cls, e: Event) -> AdmissionTerms:
        p = payload_of(e)
        return cls(p["member_id"], p["coop_id"], p["dwelling_id"], dec(p["annual_payment"]),
                   dec(p["deposit"]), dec(p["debt_share"]), p.get("mortgage_id"))


# The two commonest events (a member's monthly dues and receipts) are read with the least work: the payload as
# stored when it is at the current schema version (a source has lifted it already), and plain values, not tuples
# with names (a fold reads hundreds of them per member).
_DUE_VERSION = PaymentDue.schema_version
_RECEIVED_VERSION = PaymentReceived.schema_version
_RECEIVED = PaymentReceived.event_type
_ZERO = Decimal(0)

Due = tuple[Decimal, Decimal]  # PaymentDue: (amount, the part of it that is charges, never more than the amount)


def due_of(e: Event) -> Due:
    """A `PaymentDue`: its amount and the part of it that is charges."""
    p = e.payload if e.schema_version == _DUE_VERSION else payload_of(e)
    amount = Decimal(p["amount"])
    charges = p.get("charges")
    part = Decimal(charges) if charges else _ZERO
    return amount, (amount if part > amount else part)


def receipt_of(e: Event) -> Decimal:
    """A `PaymentReceived`: the amount received."""
    return Decimal((e.payload if e.schema_version == _RECEIVED_VERSION else payload_of(e))["amount"])


def payment_of(e: Event) -> Decimal:
    """What a `PaymentReceived` adds to the member's payments, or a `PaymentReturned` takes back (negative), on its
    effective date."""
    if e.type == _RECEIVED:
        return receipt_of(e)
    return -Amount.of(e).amount


def reference_key(reference: str | None) -> str:
    """A bank reference as two entries of the same money compare it: banks and clerks write one reference in
    capitals or not, with spaces, a stray space or a line break (`SO ALICE-2025-04 ` is `soalice-2025-04`)."""
    return "".join((reference or "").split()).casefold()


class NewPayment(NamedTuple):  # PaymentIndexed, PaymentReductionAgreed
    annual_payment: Decimal
    units_sold: Decimal

    @classmethod
    def of(cls, e: Event) -> NewPayment:
        p = payload_of(e)
        return cls(dec(p["annual_payment"]), dec(p.get("units_sold") or "0"))


class Shares(NamedTuple):  # ShareCapitalBought, ShareCapitalWithdrawn, DividendPaid
    member_id: str
    society_id: str
    amount: Decimal

    @classmethod
    def of(cls, e: Event) -> Shares:
        p = payload_of(e)
        return cls(p["member_id"], p["society_id"], dec(p["amount"]))


class Payout(NamedTuple):  # EquityPaidOut
    amount: Decimal
    arrears_deducted: Decimal

    @classmethod
    def of(cls, e: Event) -> Payout:
        p = payload_of(e)
        return cls(dec(p["amount"]), dec(p.get("arrears_deducted") or "0"))
