"""JAK loan contracts: instalments, points, after-savings and fees (DOMAIN; report App. 6).

    instalment   = L / n to the penny (ROUND_HALF_UP); the last one absorbs the remainder
    consumption  = sum of the monthly opening balances of that schedule
                   (= L(n+1)/2 exactly when L/n is a whole number of pence)
    after_saving = (consumption - available points) / consumption x instalment,
                   rounded UP to the penny; zero when the points suffice
    fees         = set-up 3.5% of L at disbursement; annual 1% of L at disbursement
                   and each anniversary while the loan runs; share deposit 6% of L,
                   bought at disbursement, withdrawable once the loan is repaid

Timing, the same as `ledger.rules.points`: the loan is disbursed on the 1st of
loan month 1; instalment k and after-saving k are paid together at the end of
month k, value-dated the 1st of month k+1. After-savings earn points at
factor 1 from that day (the DOMAIN's "after-savings earning points"). They
stay locked for one more month after the last instalment -- the settling
month n+1 -- and are released at its end.

Why that month: the after-saving k is held for n+1-k months, so a constant
after-saving A earns A x n(n+1)/2 points. With the exact instalment L/n and
consumption L(n+1)/2, the rule-book formula gives A x n(n+1)/2 = consumption
- available points: the points close at exactly zero at the end of the
settling month. The rule book's formula is the balance of this convention.

Rounding that keeps the close at or above zero: the regular after-saving is
the formula rounded UP to the penny (rounding up only adds points). Two
after-savings then absorb what penny rounding leaves over:
- the FIRST mirrors the last instalment. That instalment carries the
  schedule's remainder and is owed for all n months; the first after-saving
  earns for n months, so with no pre-savings it equals the last instalment
  and the after-savings are exactly the instalments in reverse order;
- the LAST settles to the penny: the smallest whole-penny payment that
  brings the projected points at the close to zero or above.
So the close is always >= 0 (below one penny-month unless pre-savings
already exceed what is needed), and with no pre-savings the regular
after-saving equals the instalment and the points close at exactly zero.

`points_curve` counts only the contract: the available points, the loan's
consumption and the after-savings' earnings. Savings the member keeps in the
fund meanwhile earn more, so the true balance can only be higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from ledger.calendar import add_months
from ledger.errors import FieldError, ValidationFailed
from ledger.money import PENNY, ZERO, round_money
from ledger.money import exact_decimal as _decimal
from ledger.rules.points import BalanceChange

PRECISION = 40
ONE = Decimal(1)



def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    return value


def _rate(name: str, value: object) -> Decimal:
    value = _decimal(name, value)
    if not ZERO <= value <= ONE:
        raise ValueError(f"{name} must be a fraction between 0 and 1, e.g. Decimal('0.035')")
    return value


def round_up(value: Decimal) -> Decimal:
    """To the penny, upwards: an after-saving rounded down would leave the fund short of points."""
    return value.quantize(PENNY, rounding=ROUND_CEILING)


class LoanRefused(ValidationFailed):
    """A loan the rules refuse; `errors` holds every reason, each naming its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors, where="loan refused")

    @property
    def field(self) -> str:
        return self.errors[0].field

    @property
    def reason(self) -> str:
        return self.errors[0].reason


@dataclass(frozen=True, slots=True)
class LoanPolicy:
    """The fund's product terms in force when the loan is agreed (recorded as events)."""

    setup_fee_rate: Decimal = Decimal("0.035")
    annual_fee_rate: Decimal = Decimal("0.01")
    share_deposit_rate: Decimal = Decimal("0.06")
    min_pre_saving_months: int = 0
    max_loan_multiple: Decimal | None = None
    max_after_saving_ratio: Decimal = ONE

    def __post_init__(self) -> None:
        _rate("setup_fee_rate", self.setup_fee_rate)
        _rate("annual_fee_rate", self.annual_fee_rate)
        _rate("share_deposit_rate", self.share_deposit_rate)
        if _whole("min_pre_saving_months", self.min_pre_saving_months) < 0:
            raise ValueError("min_pre_saving_months must not be negative")
        if self.max_loan_multiple is not None and _decimal("max_loan_multiple", self.max_loan_multiple) <= 0:
            raise ValueError("max_loan_multiple must be above zero")
        if _decimal("max_after_saving_ratio", self.max_after_saving_ratio) < 0:
            raise ValueError("max_after_saving_ratio must not be negative")


DEFAULT_POLICY = LoanPolicy()


@dataclass(frozen=True, slots=True)
class PointsMonth:
    """One month of the contract's points: closing = opening - consumed + earned."""

    month: int
    opening: Decimal
    consumed: Decimal
    earned: Decimal
    closing: Decimal


@dataclass(frozen=True, slots=True)
class LoanContract:
    """A quoted loan-and-saving contract; months run 1..n, then the settling month n+1."""

    amount: Decimal
    months: int
    available_points: Decimal
    instalment: Decimal
    final_instalment: Decimal
    after_saving: Decimal
    first_after_saving: Decimal
    final_after_saving: Decimal
    points_consumed: Decimal
    setup_fee: Decimal
    annual_fee: Decimal
    annual_fee_count: int
    share_deposit: Decimal
    monthly_total: Decimal
    points_curve: tuple[PointsMonth, ...]

    @property
    def instalments(self) -> tuple[Decimal, ...]:
        return (self.instalment,) * (self.months - 1) + (self.final_instalment,)

    @property
    def after_savings(self) -> tuple[Decimal, ...]:
        if self.months == 1:
            return (self.final_after_saving,)
        middle = (self.after_saving,) * (self.months - 2)
        return (self.first_after_saving, *middle, self.final_after_saving)

    @property
    def after_savings_total(self) -> Decimal:
        return sum(self.after_savings, ZERO)

    @property
    def fees_total(self) -> Decimal:
        return self.setup_fee + self.annual_fee * self.annual_fee_count

    @property
    def closing_points(self) -> Decimal:
        """Points at the end of the settling month, when the after-savings are released."""
        return self.points_curve[-1].closing

    @property
    def annual_fee_months(self) -> tuple[int, ...]:
        """Loan months whose start the annual fee falls due: 1, 13, 25, ..."""
        return tuple(1 + 12 * year for year in range(self.annual_fee_count))


def instalments(amount: Decimal, months: int) -> tuple[Decimal, ...]:
    """n instalments of L/n to the penny, half up; the last absorbs the remainder so they sum to L."""
    amount, months = _decimal("amount", amount), _whole("months", months)
    if months <= 0:
        raise ValueError("months must be at least one")
    with localcontext() as ctx:
        ctx.prec = PRECISION
        regular = round_money(amount / months)
    return (regular,) * (months - 1) + (amount - regular * (months - 1),)


def opening_balances(schedule: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
    """What is owed through each loan month: the amount less the instalments already paid."""
    owed = sum(schedule, ZERO)
    balances = []
    for paid in schedule:
        balances.append(owed)
        owed -= paid
    return tuple(balances)


def nominal_consumption(amount: Decimal, months: int) -> Decimal:
    """The rule book's L(n+1)/2, for exactly equal instalments."""
    amount, months = _decimal("amount", amount), _whole("months", months)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return amount * (months + 1) / 2


def consumption(amount: Decimal, months: int) -> Decimal:
    """Points the penny schedule consumes: the sum of its monthly opening balances.

    Equals L(n+1)/2 when L/n is whole pence; otherwise it differs by
    r(n-1)/2, r being what the last instalment absorbed.
    """
    return sum(opening_balances(instalments(amount, months)), ZERO)


def after_saving(consumption: Decimal, available_points: Decimal, instalment: Decimal) -> Decimal:
    """The rule-book after-saving, rounded up to the penny; nothing when the points suffice."""
    consumption = _decimal("consumption", consumption)
    available = _decimal("available_points", available_points)
    instalment = _decimal("instalment", instalment)
    if consumption <= 0 or available >= consumption:
        return ZERO
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return round_up((consumption - available) / consumption * instalment)


def settling_after_savings(
    consumption: Decimal, available_points: Decimal, regular: Decimal, months: int
) -> tuple[Decimal, Decimal]:
    """The first and last after-savings, around n-2 regular ones, closing the points at >= 0.

    After-saving k earns n+1-k months: the first earns n, the last one. The
    first takes what is left over in whole pence of n points, leaving the
    last near the regular amount; the last rounds up to close at >= 0.
    """
    needed = consumption - available_points
    if months == 1:
        final = max(round_up(needed), ZERO)
        return final, final
    middle = regular * (months * (months + 1) // 2 - months - 1)
    rest = needed - middle
    with localcontext() as ctx:
        ctx.prec = PRECISION
        first = max(((rest - regular) / months).quantize(PENNY, rounding=ROUND_FLOOR), ZERO)
    return first, max(round_up(rest - first * months), ZERO)


def _points_curve(
    available: Decimal, schedule: tuple[Decimal, ...], savings: tuple[Decimal, ...]
) -> tuple[PointsMonth, ...]:
    balances = (*opening_balances(schedule), ZERO)
    curve, points, saved = [], available, ZERO
    for month, owed in enumerate(balances, start=1):
        closing = points - owed + saved
        curve.append(PointsMonth(month, points, owed, saved, closing))
        points = closing
        if month <= len(savings):
            saved += savings[month - 1]
    return tuple(curve)


def refusals(
    amount: Decimal,
    months: int,
    points: Decimal = ZERO,
    policy: LoanPolicy = DEFAULT_POLICY,
    *,
    savings: Decimal | None = None,
    saved_months: int | None = None,
) -> tuple[FieldError, ...]:
    """Every reason the rules refuse this loan, as data; empty when it may be quoted."""
    amount, months, points = _decimal("amount", amount), _whole("months", months), _decimal("points", points)
    errors = _shape_errors(amount, months)
    errors += _pre_saving_errors(amount, policy, savings, saved_months)
    if not errors:
        errors += _balance_errors(amount, months, points, policy)
    return tuple(errors)


def _shape_errors(amount: Decimal, months: int) -> list[FieldError]:
    errors = []
    if amount <= 0:
        errors.append(FieldError("amount", "must be more than zero"))
    elif amount != amount.quantize(PENNY):
        errors.append(FieldError("amount", "must be a whole number of pence"))
    if months <= 0:
        errors.append(FieldError("months", "must be at least one month"))
    if errors:
        return errors
    schedule = instalments(amount, months)
    if schedule[0] <= 0 or schedule[-1] <= 0:
        errors.append(
            FieldError("months", f"a loan of {amount} cannot be repaid in {months} instalments of at least a penny")
        )
    return errors


def _pre_saving_errors(
    amount: Decimal, policy: LoanPolicy, savings: Decimal | None, saved_months: int | None
) -> list[FieldError]:
    errors = []
    needed = policy.min_pre_saving_months
    if needed > 0:
        if saved_months is None:
            reason = f"is required: the policy asks for {needed} months of pre-saving"
            errors.append(FieldError("saved_months", reason))
        elif _whole("saved_months", saved_months) < needed:
            errors.append(
                FieldError("saved_months", f"{saved_months} months of pre-saving is fewer than the {needed} required")
            )
    multiple = policy.max_loan_multiple
    if multiple is not None:
        if savings is None:
            errors.append(FieldError("savings", f"is required: loans are limited to {multiple} times savings"))
        elif amount > multiple * _decimal("savings", savings):
            errors.append(FieldError("amount", f"{amount} is more than {multiple} times savings of {savings}"))
    return errors


def _balance_errors(amount: Decimal, months: int, points: Decimal, policy: LoanPolicy) -> list[FieldError]:
    schedule = instalments(amount, months)
    saving = after_saving(consumption(amount, months), points, schedule[0])
    limit = schedule[0] * policy.max_after_saving_ratio
    if saving > limit:
        return [
            FieldError(
                "points",
                f"the contract cannot balance {points} points: it would need after-savings of {saving} "
                f"a month, more than the {limit} the policy allows",
            )
        ]
    return []


def quote(
    amount: Decimal,
    months: int,
    points: Decimal = ZERO,
    policy: LoanPolicy = DEFAULT_POLICY,
    *,
    savings: Decimal | None = None,
    saved_months: int | None = None,
) -> LoanContract:
    """The contract for a loan of `amount` over `months`, given the points available; or LoanRefused."""
    errors = refusals(amount, months, points, policy, savings=savings, saved_months=saved_months)
    if errors:
        raise LoanRefused(list(errors))
    amount, points = Decimal(amount), Decimal(points)
    schedule = instalments(amount, months)
    consumed = sum(opening_balances(schedule), ZERO)
    regular = after_saving(consumed, points, schedule[0])
    first, final = settling_after_savings(consumed, points, regular, months)
    saved = (first,) * min(months - 1, 1) + (regular,) * max(months - 2, 0) + (final,)
    return LoanContract(
        amount=amount,
        months=months,
        available_points=points,
        instalment=schedule[0],
        final_instalment=schedule[-1],
        after_saving=regular,
        first_after_saving=first,
        final_after_saving=final,
        points_consumed=consumed,
        setup_fee=round_money(amount * policy.setup_fee_rate),
        annual_fee=round_money(amount * policy.annual_fee_rate),
        annual_fee_count=-(-months // 12),
        share_deposit=round_money(amount * policy.share_deposit_rate),
        monthly_total=schedule[0] + regular,
        points_curve=_points_curve(points, schedule, saved),
    )


@dataclass(frozen=True, slots=True)
class EarlyRepayment:
    """Repaying everything at the end of `month`: after-savings stay locked `months_locked` more months."""

    month: int
    amount_due: Decimal
    points_consumed: Decimal
    points_at_repayment: Decimal
    after_savings_held: Decimal
    months_locked: int


def early_repayment(contract: LoanContract, month: int) -> EarlyRepayment:
    """Settle at the end of `month` (1..n): the outstanding balance replaces instalments month..n.

    The after-savings up to `month` are paid as contracted, then stop; the
    loan consumes points only for the months it ran, and the held
    after-savings stay locked for whole months until the points are >= 0.
    """
    month = _whole("month", month)
    if not 1 <= month <= contract.months:
        raise ValueError(f"month must be between 1 and {contract.months}")
    balances = opening_balances(contract.instalments)
    paid = contract.after_savings[:month]
    earned = sum((sum(paid[: k - 1], ZERO) for k in range(1, month + 1)), ZERO)
    consumed = sum(balances[:month], ZERO)
    points = contract.available_points - consumed + earned
    held = sum(paid, ZERO)
    locked = 0 if points >= 0 else -int((points / held).to_integral_value(rounding=ROUND_FLOOR))
    return EarlyRepayment(month, balances[month - 1], consumed, points, held, locked)


@dataclass(frozen=True, slots=True)
class ContractFlows:
    """A contract as dated balance changes for the points engine (both accounts at factor 1)."""

    loan: tuple[BalanceChange, ...]
    after_savings: tuple[BalanceChange, ...]
    released_on: date


def dated_flows(contract: LoanContract, disbursed_on: date) -> ContractFlows:
    """The loan (a negative balance) and the after-savings, dated by the day convention.

    Disbursed on the 1st, the engine's points at the end of the settling
    month equal `contract.closing_points` exactly; disbursed mid-month, the
    engine counts the partial months day by day and the figures differ a little.
    """
    if isinstance(disbursed_on, datetime) or not isinstance(disbursed_on, date):
        raise TypeError("disbursed_on must be a datetime.date")
    due = [add_months(disbursed_on, k) for k in range(1, contract.months + 1)]
    repaid = (BalanceChange(on, paid) for on, paid in zip(due, contract.instalments, strict=True))
    loan = (BalanceChange(disbursed_on, -contract.amount), *repaid)
    saved = tuple(BalanceChange(on, paid) for on, paid in zip(due, contract.after_savings, strict=True) if paid)
    released_on = add_months(disbursed_on, contract.months + 1)
    release = (BalanceChange(released_on, -contract.after_savings_total),) if contract.after_savings_total else ()
    return ContractFlows(loan, saved + release, released_on)
