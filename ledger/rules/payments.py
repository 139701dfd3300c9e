"""Members' payments: setting, yearly indexation, and allocation (report 6.8, Annex 5).

    annual payment  = net salary x payment rate (30 to 35 per cent)
    next payment    = payment x (1 + RPI + margin), never lower than before
    allocation      = arrears, then charges, then the mortgage payment on the
                      debt share, then surplus: `% to equity stake` of it
                      reduces the debt share, the rest goes to the reserve

The annexes' reserve column is the running sum of each year's
surplus/deficit = payments - charges - mortgage payment (no interest).

Rounding: every figure here is posted, so each is rounded to the penny
(ROUND_HALF_UP) once; the reserve share of a surplus is the surplus less the
rounded equity-stake share, so the allocation always adds up to the receipt.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from ledger.money import ZERO, round_money
from ledger.money import exact_decimal as _decimal

PRECISION = 40
ONE = Decimal(1)
MIN_PAYMENT_RATE = Decimal("0.30")
MAX_PAYMENT_RATE = Decimal("0.35")
PAYMENT_INDEX_MARGIN = Decimal("0.005")


def _amount(name: str, value: object) -> Decimal:
    value = _decimal(name, value)
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def annual_payment(net_salary: Decimal, payment_rate: Decimal, *, rate_checked: bool = True) -> Decimal:
    """The payment fixed at signing: a share of net salary the member can afford.

    A new admission's rate must be 30 to 35 per cent; the books compute the payment of an admission already
    recorded (`rate_checked=False`) at the rate it was signed at, whatever it is.
    """
    net_salary = _amount("net_salary", net_salary)
    payment_rate = _decimal("payment_rate", payment_rate)
    if rate_checked and not MIN_PAYMENT_RATE <= payment_rate <= MAX_PAYMENT_RATE:
        raise ValueError("payment_rate must be between 0.30 and 0.35 of net salary")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return round_money(net_salary * payment_rate)


def indexed_amount(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount grown (or shrunk) by a rate for a year, e.g. charges by RPI + 1%."""
    amount = _amount("amount", amount)
    rate = _decimal("rate", rate)
    if rate <= -1:
        raise ValueError("rate must be a fraction above -1")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return round_money(amount * (ONE + rate))


def indexed_payment(payment: Decimal, rpi: Decimal, margin: Decimal = PAYMENT_INDEX_MARGIN) -> Decimal:
    """Next year's payment: RPI + margin, but it never falls (report 6.8)."""
    payment = _amount("payment", payment)
    rate = _decimal("rpi", rpi) + _decimal("margin", margin)
    return max(indexed_amount(payment, rate), payment)


@dataclass(frozen=True, slots=True)
class PaymentAllocation:
    """Where one receipt went; `unpaid` is what was due and not covered (new arrears)."""

    received: Decimal
    to_arrears: Decimal
    to_charges: Decimal
    to_mortgage: Decimal
    surplus: Decimal
    to_equity_stake: Decimal
    to_reserve: Decimal
    unpaid: Decimal


def allocate_payment(
    received: Decimal,
    *,
    arrears: Decimal,
    charges_due: Decimal,
    mortgage_due: Decimal,
    equity_stake_fraction: Decimal = ZERO,
) -> PaymentAllocation:
    """Allocate a receipt in the order the lease sets: arrears, charges, mortgage, surplus."""
    received = remaining = _amount("received", received)
    dues = [_amount("arrears", arrears), _amount("charges_due", charges_due), _amount("mortgage_due", mortgage_due)]
    fraction = _decimal("equity_stake_fraction", equity_stake_fraction)
    if not ZERO <= fraction <= ONE:
        raise ValueError("equity_stake_fraction must be between 0 and 1")
    paid = []
    for due in dues:
        part = min(due, remaining)
        paid.append(part)
        remaining -= part
    with localcontext() as ctx:
        ctx.prec = PRECISION
        to_equity_stake = round_money(remaining * fraction)
    return PaymentAllocation(
        received=received,
        to_arrears=paid[0],
        to_charges=paid[1],
        to_mortgage=paid[2],
        surplus=remaining,
        to_equity_stake=to_equity_stake,
        to_reserve=remaining - to_equity_stake,
        unpaid=sum(dues, ZERO) - sum(paid, ZERO),
    )


def paid_oldest_first(dues: Iterable[Decimal], paid: Decimal) -> list[Decimal]:
    """The one rule that says which dues a member's payments have paid: "arrears first" (report 6.8), so the
    payments, pooled whatever month each names, pay the dues oldest first (`dues` in that order: by due date,
    same-day dues in log order), each in full before the next gets anything; what is left over is credit, carried
    forward to the dues still to come. Returns what was paid against each due. Arrears the co-op's lien recovered
    from a payout count as paid. Exact: no rounding (amounts are in pennies already)."""
    remaining = paid
    out: list[Decimal] = []
    for amount in dues:
        part = amount if remaining >= amount else max(remaining, ZERO)
        out.append(part)
        remaining -= part
    return out


def unpaid(total_due: Decimal, paid: Decimal) -> Decimal:
    """What `paid_oldest_first` leaves unpaid, in total, without walking the dues: it pays every due in full before
    the next, so the unpaid part is the dues less the payments, never below zero (the credit is carried forward).
    A member's arrears (`member show`) and the month-by-month arrears (ledger/coop/arrears.py) both come from this
    rule; tests/unit/test_arrears_fold.py holds `sum(due - paid_oldest_first) == unpaid` for any dues."""
    return max(total_due - paid, ZERO)


def charges_collected(received: Decimal, dues: Iterable[tuple[Decimal, Decimal]], total_due: Decimal,
                      total_charges: Decimal) -> Decimal:
    """The charges a member's receipts have paid, under `paid_oldest_first`: each due they cover whole has its
    charges collected; the first due they cover only in part is allocated by `allocate_payment` (its charges first,
    then the rest of it); later dues get nothing. `dues` are (amount, charges part) in order; when the receipts cover
    `total_due` every charge (`total_charges`) is collected."""
    if received >= total_due:
        return total_charges
    dues = list(dues)
    collected = ZERO
    for (amount, part), paid in zip(dues, paid_oldest_first((a for a, _ in dues), received), strict=True):
        if paid == amount:
            collected += part
        elif paid > 0:
            collected += allocate_payment(paid, arrears=ZERO, charges_due=part, mortgage_due=amount - part).to_charges
        else:
            break
    return collected


class ChargesCollected:
    """`charges_collected` asked again and again of a list of dues that only grows (a member's fold stopping at
    each of a chart's month ends): running totals of the dues and their charges, and a bisection for the first due
    the receipts do not cover, instead of a walk over every due on every date. The same rule and the same answer:
    dues are positive, so the dues `paid_oldest_first` pays in full are the ones whose running total the receipts
    reach, and the one after them is allocated by `allocate_payment` (a property test holds the two equal)."""

    def __init__(self) -> None:
        self.seen = 0
        self.running: list[Decimal] = []  # the dues' running total
        self.running_charges: list[Decimal] = []
        self.parts: list[tuple[Decimal, Decimal]] = []

    def _catch_up(self, dues: Sequence[tuple[Decimal, Decimal]]) -> None:
        total = self.running[-1] if self.running else ZERO
        charges = self.running_charges[-1] if self.running_charges else ZERO
        for amount, part in dues[self.seen:]:
            total += amount
            charges += part
            self.running.append(total)
            self.running_charges.append(charges)
            self.parts.append((amount, part))
        self.seen = len(dues)

    def totals(self, dues: Sequence[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
        """The dues' total and their charges' total."""
        self._catch_up(dues)
        return (self.running[-1], self.running_charges[-1]) if self.running else (ZERO, ZERO)

    def __call__(self, received: Decimal, dues: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
        self._catch_up(dues)
        covered = bisect_right(self.running, received)  # dues paid in full, oldest first
        collected = self.running_charges[covered - 1] if covered else ZERO
        if covered < len(self.parts):
            paid = received - (self.running[covered - 1] if covered else ZERO)
            if paid > 0:
                amount, part = self.parts[covered]
                collected += allocate_payment(paid, arrears=ZERO, charges_due=part,
                                              mortgage_due=amount - part).to_charges
        return collected


def reserve_movement(payments: Decimal, charges: Decimal, mortgage_payment: Decimal,
                     equity_stake: Decimal = ZERO) -> Decimal:
    """The co-op's surplus (+) or deficit (-) for a period: the annexes' "Surplus/deficit", less the part of a
    surplus the `% to equity stake` policy turned into debt reduction."""
    return (_decimal("payments", payments) - _decimal("charges", charges)
            - _decimal("mortgage_payment", mortgage_payment) - _decimal("equity_stake", equity_stake))
