"""Every event type's postings: the one table from an event type to the balanced postings it makes.

A posting is a role of the chart (ledger/accounts/chart.py), a signed Decimal (debit positive, credit negative, as
beancount writes them) and, for a sub-ledger, the member it belongs to. Each rule is a small function of the
event's payload (at its current schema version) and its stream; the legs of one event always sum to zero
(tests/unit/test_accounts_postings.py holds it for every type on generated payloads). An event that moves no
money maps to `nothing`, with the reason: the table names every registered type (a test says so).

What is *not* here: the figures a fold derives at a period's end (a closed member-year's reserve movement, the
release of a repaid loan's after-savings). They are posted by ledger/accounts/derived.py from the same folds the
projections use, never computed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.coop.society import derived_transfer
from ledger.money import ZERO

Payload = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Leg:
    """One posting: a role, a signed amount (debit +, credit -) and the member of a sub-ledger."""

    role: str
    amount: Decimal
    party: str | None = None


Legs = tuple[Leg, ...]


@dataclass(frozen=True)
class Rule:
    """How one event type posts: the function, and what it does in words (docs/accounts.md)."""

    legs: Callable[[Payload, str], Legs]
    says: str
    moves_money: bool = True


def _d(payload: Payload, name: str) -> Decimal:
    value = payload.get(name)
    return ZERO if value is None else Decimal(value)


def _pair(debit: str, credit: str, amount: Decimal, party: str | None = None, *, debit_party: bool = False,
          credit_party: bool = False) -> Legs:
    if not amount:
        return ()
    return (Leg(debit, amount, party if debit_party else None), Leg(credit, -amount, party if credit_party else None))


def nothing(reason: str) -> Rule:
    """An event that moves no money: no postings, and why."""
    return Rule(lambda payload, stream: (), f"no postings: {reason}", moves_money=False)


def simple(debit: str, credit: str, field: str = "amount") -> Rule:
    return Rule(lambda p, s: _pair(debit, credit, _d(p, field)), f"Dr {debit}, Cr {credit}: `{field}`")


def _due(p: Payload, s: str) -> Legs:
    amount, charges = _d(p, "amount"), _d(p, "charges")
    member = p["member_id"]
    if not amount:
        return ()
    legs = [Leg("members_debtors", amount, member)]
    if charges:
        legs.append(Leg("charges_income", -charges))
    if amount - charges:
        legs.append(Leg("payments_income", -(amount - charges)))
    return tuple(legs)


def _received(p: Payload, s: str) -> Legs:
    return _pair("bank", "members_debtors", _d(p, "amount"), p["member_id"], credit_party=True)


def _lender_year(p: Payload, s: str) -> Legs:
    """The lender's year on the mortgage's stream; on a member's stream it is the debt share's year, a memorandum of
    the member's part of the same debt (it moves no money of the co-op's)."""
    if not s.startswith("mortgage-"):
        return ()
    interest, indexation, payment = _d(p, "interest"), _d(p, "indexation"), _d(p, "payment")
    legs = []
    if interest:
        legs.append(Leg("interest_expense", interest))
    if indexation:
        legs.append(Leg("indexation_expense", indexation))
    if payment:
        legs.append(Leg("bank", -payment))
    change = interest + indexation - payment
    if change:
        legs.append(Leg("mortgage", -change))
    return tuple(legs)


def _prepaid(p: Payload, s: str) -> Legs:
    """Cash to the lender lowers the mortgage; the money the co-op held for it becomes the members' equity."""
    amount = _d(p, "amount")
    return _pair("mortgage", "bank", amount) + _pair("prepayments_held", "members_equity", amount)


def _paid_out(p: Payload, s: str) -> Legs:
    """The payout and the arrears the lien recovered from it both come out of the member's equity."""
    amount, deducted = _d(p, "amount"), _d(p, "arrears_deducted")
    legs = []
    if amount + deducted:
        legs.append(Leg("members_equity", amount + deducted))
    if amount:
        legs.append(Leg("bank", -amount))
    if deducted:
        legs.append(Leg("members_debtors", -deducted, p["member_id"]))
    return tuple(legs)


def _spent(p: Payload, s: str) -> Legs:
    """Spending from the reserve: an expense paid from the bank, and the reserve appropriated back to the surplus.
    A payout funded from the reserve moves no cash of its own (its `EquityPaidOut` paid it): only the reserve is
    appropriated."""
    amount = _d(p, "amount")
    if p.get("funds_payout_of"):
        return _pair("reserve", "retained_surplus", amount)
    return _pair("reserve_spending", "bank", amount) + _pair("reserve", "retained_surplus", amount)


def _transferred(p: Payload, s: str) -> Legs:
    """A transfer into (positive) or out of (negative) the reserve. The wording `mutual accrue` once wrote for a
    member-year's surplus reads as nothing: that movement is derived from the folds (ledger/accounts/derived.py)."""
    if derived_transfer(p.get("purpose")):
        return ()
    amount = _d(p, "amount")
    return _pair("retained_surplus", "reserve", amount) if amount > 0 else _pair("reserve", "retained_surplus", -amount)


def _instalment(p: Payload, s: str) -> Legs:
    repayment, saving, fee = _d(p, "repayment"), _d(p, "after_saving"), _d(p, "fee")
    legs = []
    if repayment + saving + fee:
        legs.append(Leg("bank", repayment + saving + fee))
    for role, amount in (("loans_receivable", repayment), ("locked_after_savings", saving), ("fee_income", fee)):
        if amount:
            legs.append(Leg(role, -amount))
    return tuple(legs)


def _deposited(p: Payload, s: str) -> Legs:
    """A deposit is the saver's free balance, or locked when it is a loan's after-saving."""
    return _pair("bank", "locked_after_savings" if p.get("after_saving_for_loan") else "savers_deposits",
                 _d(p, "amount"))


RULES: dict[str, Rule] = {
    # -- societies, dwellings, policies: no money ----------------------------------------------------------------
    "SocietyRegistered": nothing("a society joins the books"),
    "DwellingRegistered": nothing("a dwelling's value and units are a register (the property is bought with the "
                                  "collective mortgage)"),
    "DwellingRevalued": nothing("a valuation: the accounts keep the dwellings at cost"),
    "PaymentIndexationPolicySet": nothing("policy"),
    "ChargesBudgetSet": nothing("policy: charges are income as they fall due (PaymentDue.charges)"),
    "DepositRuleSet": nothing("policy"),
    "EquityStakePolicySet": nothing("policy"),
    "ResaleFormulaSet": nothing("policy"),
    "IndexValuePublished": nothing("an index value"),
    # -- the collective mortgage ---------------------------------------------------------------------------------
    "CollectiveMortgageDrawn": Rule(lambda p, s: _pair("property", "mortgage", _d(p, "principal")),
                                    "Dr property, Cr mortgage: `principal`"),
    "MortgageYearPosted": Rule(_lender_year, "on a mortgage's stream: Dr interest_expense `interest`, "
                                             "Dr indexation_expense `indexation`, Cr bank `payment`, Cr mortgage the "
                                             "net change; on a member's stream: no postings (the debt share's year "
                                             "is a memorandum of the same debt)"),
    "TopUpLoanDrawn": simple("bank", "top_up_loans"),
    "MortgagePrepaid": Rule(_prepaid, "Dr mortgage, Cr bank; Dr prepayments_held, Cr members_equity: `amount`"),
    # -- members ---------------------------------------------------------------------------------------------------
    "MemberAdmitted": simple("bank", "members_equity", "deposit"),
    "PaymentIndexed": nothing("the payment's new amount: its dues post"),
    "PaymentDue": Rule(_due, "Dr members_debtors (the member) `amount`, Cr charges_income `charges`, "
                             "Cr payments_income the rest"),
    "PaymentReceived": Rule(_received, "Dr bank, Cr members_debtors (the member): `amount`"),
    "PaymentReturned": Rule(lambda p, s: _pair("members_debtors", "bank", _d(p, "amount"), p["member_id"],
                                               debit_party=True),
                            "Dr members_debtors (the member), Cr bank: `amount` (the bank took the payment back)"),
    "ExtraPaymentReceived": simple("bank", "prepayments_held"),
    "PaymentReductionAgreed": nothing("units sold back add to the member's debt share, a memorandum of the "
                                      "co-op's debt; no money moves"),
    "UnitsTransferred": nothing("a unit register: the money that goes with it is its own event (a receipt, an "
                                "extra payment, a payout)"),
    "LeaseAssigned": nothing("the lease passes; the payout is EquityPaidOut"),
    "EquityPaidOut": Rule(_paid_out, "Dr members_equity `amount + arrears_deducted`, Cr bank `amount`, "
                                     "Cr members_debtors (the member) `arrears_deducted`"),
    "ReserveSpent": Rule(_spent, "Dr reserve_spending, Cr bank; Dr reserve, Cr retained_surplus: `amount`"),
    "ReserveTransferred": Rule(_transferred, "Dr retained_surplus, Cr reserve: `amount` (reversed when negative); "
                                             "an `accrue`-worded member-year transfer: none (derived)"),
    "ShareCapitalBought": simple("bank", "share_capital"),
    "ShareCapitalWithdrawn": simple("share_capital", "bank"),
    "DividendPaid": simple("share_interest", "bank"),
    "ArrangementAgreed": nothing("an arrangement to pay arrears: the receipts post"),
    # -- the fund --------------------------------------------------------------------------------------------------
    "FundPolicySet": nothing("policy"),
    "SavingsAccountOpened": nothing("an account is opened"),
    "SavingsDeposited": Rule(_deposited, "Dr bank, Cr savers_deposits `amount` (Cr locked_after_savings when "
                                         "`after_saving_for_loan`)"),
    "SavingsWithdrawn": simple("savers_deposits", "bank"),
    "AfterSavingsReleased": nothing("read as nothing: the release is derived from the folds"),
    "PointsGifted": nothing("points are not money"),
    "LoanGranted": nothing("a contract: the disbursement posts"),
    "LoanDisbursed": simple("loans_receivable", "bank"),
    "InstalmentReceived": Rule(_instalment, "Dr bank the total, Cr loans_receivable `repayment`, "
                                            "Cr locked_after_savings `after_saving`, Cr fee_income `fee`"),
    "FeeCharged": simple("bank", "fee_income"),
    "ShareDepositBought": simple("bank", "share_deposits"),
    "ShareDepositReleased": simple("share_deposits", "bank"),
    "LoanWrittenOff": simple("loans_written_off", "loans_receivable"),
    "FundExpense": simple("running_costs", "bank"),
    "ChartOfAccountsSet": nothing("policy: names the society's accounts (the chart in force on a report's last day "
                                  "names every posting in it)"),
    # -- corrections, periods, bank statements ---------------------------------------------------------------------
    "EventReversed": nothing("the source removes the reversed event (and its postings) and puts its replacement's "
                             "in its place"),
    "PeriodClosed": nothing("a period is closed"),
    "BankLineImported": nothing("a statement line: the receipt it is matched to posts"),
    "BankBalanceStated": nothing("the bank's stated balance (to reconcile against)"),
    "BankLineMatched": nothing("the match: its PaymentReceived posts"),
    "BankLineIgnored": nothing("a line that is not a member's payment"),
    "BankPaymentReturned": nothing("the returned payment's receipt is reversed (EventReversed)"),
    "BankMatchRuleSet": nothing("a matching rule"),
    "BankMatchRuleRemoved": nothing("a matching rule"),
    # -- four-eyes approval (docs/approvals.md) ----------------------------------------------------------------------
    "ApprovalLimitSet": nothing("policy"),
    "ProposalMade": nothing("a proposal: the approved command's own events post"),
    "ProposalApproved": nothing("an approval: the approved command's own events post"),
    "ProposalRejected": nothing("a rejection: nothing is done"),
    "ProposalRefused": nothing("a refusal: nothing of the command is written"),
}

# The types whose events move money (the journal reads only these).
MONEY_TYPES = tuple(sorted(t for t, r in RULES.items() if r.moves_money))


def legs_of(event_type: str, payload: Payload, stream: str) -> Legs:
    """The postings of one event (KeyError for a type the table does not name: a test keeps the table whole)."""
    return RULES[event_type].legs(payload, stream)
