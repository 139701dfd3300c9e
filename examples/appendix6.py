"""The report's Appendix 6: the fund-balance forecast reproduced from the rules (an example, not a rule).

The forecast builds every flow from quoted contracts
(`ledger.rules.loans.quote`) month by month and sums them into the report's
yearly rows; its fund balance is the liquidity (`ledger.rules.fund.liquidity`)
at the end of each year. examples/make_appendix6.py writes the same scenario
as the ledger's events (examples/appendix6.jsonl).
Forecast timing (whole months, month 0 = the first month of year 1):
- a loan is paid out at the start of its month, with its share deposit,
  set-up fee and first annual fee; later annual fees at the start of each
  anniversary month while the loan runs;
- instalment k and after-saving k at the end of loan month k (in the
  points engine they are value-dated the 1st of the next month: the same
  instant; the forecast books them to the month they fall due in, as the
  report does);
- the second loan is paid out in the month after the first one's last
  instalment; share deposits come back with the last instalment when
  `refund_shares`; contract savings are released at the end of the
  settling month of the member's last loan;
- the landlord's sinking fund is paid in at the start of each year and
  spent at the end of every `spend_every_years`-th year.

Figures are exact pence (instalments and fees are penny amounts from the
contracts); the report prints whole pounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ledger.money import ZERO, round_money
from ledger.money import exact_decimal as _decimal
from ledger.rules.fund import FundPosition, can_fund
from ledger.rules.loans import DEFAULT_POLICY, LoanContract, LoanPolicy, quote


def _whole(name: str, value: object, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}")
    return value


# --- the forecast's plan ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """Members who borrow alike: a first loan, then one of `second_multiple` times it.

    Savings come from the contracts (a pre-saving of `pre_saving_rate` x
    the first loan, `pre_saving_lead_months` before it, then after-savings)
    unless `savings_by_year` gives the group's yearly savings outright, as
    the report's table does (paid in twelve monthly parts).
    """

    name: str
    members: int
    first_loan: Decimal
    draws_in_month: int
    first_months: int = 24
    second_multiple: int = 2
    second_months: int = 48
    pre_saving_rate: Decimal = Decimal("0.10")
    pre_saving_lead_months: int = 6
    savings_by_year: tuple[Decimal, ...] | None = None

    def __post_init__(self) -> None:
        _whole("members", self.members, 1)
        if _decimal("first_loan", self.first_loan) <= 0:
            raise ValueError("first_loan must be more than zero")
        _whole("draws_in_month", self.draws_in_month)
        _whole("first_months", self.first_months, 1)
        _whole("second_multiple", self.second_multiple)
        _whole("second_months", self.second_months, 1)
        _decimal("pre_saving_rate", self.pre_saving_rate)
        if _whole("pre_saving_lead_months", self.pre_saving_lead_months) > self.draws_in_month:
            raise ValueError("pre_saving_lead_months reaches back before the forecast starts")
        for amount in self.savings_by_year or ():
            _decimal("savings_by_year", amount)


@dataclass(frozen=True, slots=True)
class LandlordPlan:
    """The co-op's own sinking fund: saved every year, spent every few years.

    `charged_as_loan` charges the spending a set-up fee, a share deposit and
    `spend_every_years` annual fees, as the report's table does.
    """

    saving_per_year: Decimal = Decimal("2500")
    spend_every_years: int = 3
    charged_as_loan: bool = False

    def __post_init__(self) -> None:
        _decimal("saving_per_year", self.saving_per_year)
        _whole("spend_every_years", self.spend_every_years, 1)


@dataclass(frozen=True, slots=True)
class ForecastPlan:
    years: int
    groups: tuple[GroupPlan, ...]
    landlord: LandlordPlan = field(default_factory=LandlordPlan)
    policy: LoanPolicy = DEFAULT_POLICY
    refund_shares: bool = True

    def __post_init__(self) -> None:
        _whole("years", self.years, 1)


def _appendix_6_groups(savings: dict[str, tuple[Decimal, ...]] | None) -> tuple[GroupPlan, ...]:
    """Three groups of five: £500, £750, £1,000 over 24 months, paid out six months apart."""
    plans = (("First", "500", 6), ("Second", "750", 12), ("Third", "1000", 18))
    return tuple(
        GroupPlan(name, 5, Decimal(loan), month, savings_by_year=None if savings is None else savings[name])
        for name, loan, month in plans
    )


def _pounds(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


# The JAK reading of Appendix 6: savings from the contracts, the landlord
# spends its own savings (no fees), share deposits are withdrawn when repaid.
APPENDIX_6 = ForecastPlan(years=6, groups=_appendix_6_groups(None))

# The report's table as printed: its savings rows taken as given, the
# landlord's spending charged like a loan, no share deposits withdrawn.
APPENDIX_6_AS_PRINTED = ForecastPlan(
    years=6,
    groups=_appendix_6_groups(
        {
            "First": _pounds(500, 1000, 1000, 1000, 1000, 1000),
            "Second": _pounds(375, 1500, 1500, 1500, 1500, 1500),
            "Third": _pounds(0, 1000, 2000, 2000, 2000, 2000),
        }
    ),
    landlord=LandlordPlan(charged_as_loan=True),
    refund_shares=False,
)


# --- flows -----------------------------------------------------------------------------------------

START, PAYOUT, END = 0, 1, 2
INFLOWS = ("landlord_saving", "shares_purchased", "fees_on_new_loans", "fees_on_existing_loans",
           "savings", "first_repaid", "second_repaid")  # fmt: skip
OUTFLOWS = ("landlord_expenses", "borrowed", "shares_refunded", "savings_released")


@dataclass(frozen=True, slots=True)
class Flow:
    month: int
    phase: int
    kind: str
    amount: Decimal
    group: str = ""


def _loan_flows(
    contract: LoanContract, month: int, group: GroupPlan, repaid: str, after_savings: bool, refund: bool
) -> list[Flow]:
    """One group's loans under one contract, each member alike."""
    n, name = group.members, group.name
    flows = [
        Flow(month, PAYOUT, "borrowed", contract.amount * n, name),
        Flow(month, PAYOUT, "shares_purchased", contract.share_deposit * n),
        Flow(month, PAYOUT, "fees_on_new_loans", contract.setup_fee * n),
    ]
    flows += [
        Flow(month + due - 1, PAYOUT, "fees_on_existing_loans", contract.annual_fee * n)
        for due in contract.annual_fee_months
    ]
    for k, (paid, saved) in enumerate(zip(contract.instalments, contract.after_savings, strict=True)):
        flows.append(Flow(month + k, END, repaid, paid * n, name))
        if after_savings and saved:
            flows.append(Flow(month + k, END, "savings", saved * n, name))
    if refund:
        flows.append(Flow(month + contract.months - 1, END, "shares_refunded", contract.share_deposit * n))
    return flows


def group_contracts(group: GroupPlan, policy: LoanPolicy = DEFAULT_POLICY) -> tuple[LoanContract, LoanContract]:
    """Each member's two contracts; with contract savings, points come from the pre-saving.

    The second loan is quoted on the points standing the day before it:
    the first contract's curve at the end of its last month plus what the
    pre-saving (still in the fund) earned meanwhile. The first loan's
    after-savings go on earning too, but the formula credits only points
    already earned, so the second contract closes above zero.
    """
    second_amount = group.first_loan * group.second_multiple
    if group.savings_by_year is not None:
        return (quote(group.first_loan, group.first_months, ZERO, policy),
                quote(second_amount, group.second_months, ZERO, policy))  # fmt: skip
    pre = round_money(group.first_loan * group.pre_saving_rate)
    first = quote(group.first_loan, group.first_months, pre * group.pre_saving_lead_months, policy)
    standing = first.points_curve[first.months - 1].closing + pre * group.first_months
    return first, quote(second_amount, group.second_months, standing, policy)


def _group_flows(group: GroupPlan, plan: ForecastPlan) -> list[Flow]:
    first, second = group_contracts(group, plan.policy)
    contract_savings = group.savings_by_year is None
    second_month = group.draws_in_month + first.months
    flows = _loan_flows(first, group.draws_in_month, group, "first_repaid", contract_savings, plan.refund_shares)
    flows += _loan_flows(second, second_month, group, "second_repaid", contract_savings, plan.refund_shares)
    if contract_savings:
        pre = round_money(group.first_loan * group.pre_saving_rate) * group.members
        flows.append(Flow(group.draws_in_month - group.pre_saving_lead_months, START, "savings", pre, group.name))
        held = pre + (first.after_savings_total + second.after_savings_total) * group.members
        flows.append(Flow(second_month + second.months, END, "savings_released", held, group.name))
    else:
        for year, amount in enumerate(group.savings_by_year or ()):
            flows += [
                Flow(12 * year + month, END, "savings", part, group.name)
                for month, part in enumerate(_monthly(amount))
                if part
            ]
    return flows


def _monthly(amount: Decimal) -> tuple[Decimal, ...]:
    """A year's amount paid in twelve penny parts, the last absorbing the rounding."""
    part = round_money(amount / 12)
    return (part,) * 11 + (amount - part * 11,)


def _landlord_flows(landlord: LandlordPlan, years: int, policy: LoanPolicy) -> list[Flow]:
    flows = [Flow(12 * year, START, "landlord_saving", landlord.saving_per_year) for year in range(years)]
    spend = landlord.saving_per_year * landlord.spend_every_years
    for year in range(landlord.spend_every_years, years + 1, landlord.spend_every_years):
        month = 12 * year - 1
        flows.append(Flow(month, END, "landlord_expenses", spend))
        if landlord.charged_as_loan:
            flows.append(Flow(month, END, "shares_purchased", round_money(spend * policy.share_deposit_rate)))
            flows.append(Flow(month, END, "fees_on_new_loans", round_money(spend * policy.setup_fee_rate)))
            annual = round_money(spend * policy.annual_fee_rate)
            flows += [
                Flow(month + 12 * k, END, "fees_on_existing_loans", annual) for k in range(landlord.spend_every_years)
            ]
    return flows


def plan_flows(plan: ForecastPlan) -> tuple[Flow, ...]:
    """Every flow of the plan inside its horizon, in the order they happen."""
    flows = _landlord_flows(plan.landlord, plan.years, plan.policy)
    for group in plan.groups:
        flows += _group_flows(group, plan)
    inside = [f for f in flows if 0 <= f.month < 12 * plan.years]
    order = {kind: i for i, kind in enumerate(INFLOWS + OUTFLOWS)}
    return tuple(sorted(inside, key=lambda f: (f.month, f.phase, f.kind != "borrowed", order[f.kind])))


# --- the forecast's table ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupYear:
    name: str
    savings: Decimal
    first_repaid: Decimal
    second_repaid: Decimal
    borrowed: Decimal
    savings_released: Decimal


@dataclass(frozen=True, slots=True)
class ForecastYear:
    """One column of the Appendix 6 table, plus the liquidity checks the report lacks."""

    year: int
    landlord_saving: Decimal
    shares_purchased: Decimal
    fees_on_new_loans: Decimal
    fees_on_existing_loans: Decimal
    groups: tuple[GroupYear, ...]
    total_inflows: Decimal
    landlord_expenses: Decimal
    shares_refunded: Decimal
    total_outflows: Decimal
    fund_balance: Decimal
    lowest_balance: Decimal
    unfunded: tuple[str, ...]


_POSITION_EFFECT = {
    "landlord_saving": ("savings", 1),
    "savings": ("savings", 1),
    "savings_released": ("savings", -1),
    "shares_purchased": ("share_capital", 1),
    "shares_refunded": ("share_capital", -1),
    "fees_on_new_loans": ("fees", 1),
    "fees_on_existing_loans": ("fees", 1),
    "borrowed": ("loans_outstanding", 1),
    "first_repaid": ("loans_outstanding", -1),
    "second_repaid": ("loans_outstanding", -1),
    "landlord_expenses": ("expenses", 1),
}


def _total(flows: Iterable[Flow], kind: str, group: str | None = None) -> Decimal:
    return sum((f.amount for f in flows if f.kind == kind and (group is None or f.group == group)), ZERO)


def _year_row(year: int, flows: list[Flow], groups: tuple[GroupPlan, ...], balance: Decimal,
              lowest: Decimal, unfunded: list[str]) -> ForecastYear:  # fmt: skip
    rows = tuple(
        GroupYear(g.name, *(_total(flows, k, g.name) for k in ("savings", "first_repaid", "second_repaid",
                                                               "borrowed", "savings_released")))
        for g in groups
    )
    inflows = sum((f.amount for f in flows if f.kind in INFLOWS), ZERO)
    outflows = sum((f.amount for f in flows if f.kind in OUTFLOWS), ZERO)
    return ForecastYear(
        year=year,
        landlord_saving=_total(flows, "landlord_saving"),
        shares_purchased=_total(flows, "shares_purchased"),
        fees_on_new_loans=_total(flows, "fees_on_new_loans"),
        fees_on_existing_loans=_total(flows, "fees_on_existing_loans"),
        groups=rows,
        total_inflows=inflows,
        landlord_expenses=_total(flows, "landlord_expenses"),
        shares_refunded=_total(flows, "shares_refunded"),
        total_outflows=outflows,
        fund_balance=balance,
        lowest_balance=lowest,
        unfunded=tuple(unfunded),
    )


def forecast(plan: ForecastPlan) -> tuple[ForecastYear, ...]:
    """The fund year by year; `unfunded` names each loan paid out while the fund could not fund it."""
    flows = plan_flows(plan)
    position, years = FundPosition(), []
    for year in range(plan.years):
        in_year = [f for f in flows if f.month // 12 == year]
        lowest, unfunded = position.liquidity, []
        for flow in in_year:
            if flow.kind == "borrowed" and not can_fund(position, flow.amount):
                unfunded.append(f"{flow.group} group, month {flow.month % 12 + 1}: {flow.amount}")
            name, sign = _POSITION_EFFECT[flow.kind]
            position = position.plus(**{name: flow.amount * sign})
            lowest = min(lowest, position.liquidity)
        years.append(_year_row(year + 1, in_year, plan.groups, position.liquidity, lowest, unfunded))
    return tuple(years)


# --- comparison with the printed table ----------------------------------------------------------

# Appendix 6, "Availability of co-operative funds for individual property
# improvements", whole pounds as printed; blank cells are 0. The text copy
# garbles the second group's repayment cells (three figures under year 3,
# one under year 6); the printed totals settle them as below.
APPENDIX_6_PRINTED: dict[str, tuple[Decimal, ...]] = {
    "Landlord sinking fund": _pounds(2500, 2500, 2500, 2500, 2500, 2500),
    "Shares purchased": _pounds(150, 525, 750, 1050, 0, 450),
    "Fees on new loans": _pounds(88, 306, 438, 613, 0, 263),
    "Fees on existing loans": _pounds(25, 113, 213, 300, 300, 250),
    "First tenant group savings": _pounds(500, 1000, 1000, 1000, 1000, 1000),
    "First group 1st loans repaid": _pounds(625, 1250, 625, 0, 0, 0),
    "First group 2nd loans repaid": _pounds(0, 0, 625, 1250, 1250, 1250),
    "Second tenant group savings": _pounds(375, 1500, 1500, 1500, 1500, 1500),
    "Second group 1st loans repaid": _pounds(0, 1875, 1875, 0, 0, 0),
    "Second group 2nd loans repaid": _pounds(0, 0, 0, 1875, 1875, 1875),
    "Third tenant group savings": _pounds(0, 1000, 2000, 2000, 2000, 2000),
    "Third group 1st loans repaid": _pounds(0, 1250, 2500, 1250, 0, 0),
    "Third group 2nd loans repaid": _pounds(0, 0, 0, 1250, 2500, 2500),
    "Total inflows": _pounds(4263, 11319, 14025, 14588, 12925, 13588),
    "Landlord property expenses": _pounds(0, 0, 7500, 0, 0, 7500),
    "First tenant group borrows": _pounds(2500, 0, 5000, 0, 0, 0),
    "Second tenant group borrows": _pounds(0, 3750, 0, 7500, 0, 0),
    "Third tenant group borrows": _pounds(0, 5000, 0, 10000, 0, 0),
    "Total outflows": _pounds(2500, 8750, 12500, 17500, 0, 7500),
    "Fund balance": _pounds(1763, 4331, 5856, 2944, 15869, 21956),
}


def printed_layout(rows: tuple[ForecastYear, ...]) -> dict[str, tuple[Decimal, ...]]:
    """The forecast in the report's rows (shares refunded and savings released have no printed row)."""
    table: dict[str, list[Decimal]] = {}

    def put(label: str, value: Decimal) -> None:
        table.setdefault(label, []).append(value)

    for row in rows:
        put("Landlord sinking fund", row.landlord_saving)
        put("Shares purchased", row.shares_purchased)
        put("Fees on new loans", row.fees_on_new_loans)
        put("Fees on existing loans", row.fees_on_existing_loans)
        for g in row.groups:
            put(f"{g.name} tenant group savings", g.savings)
            put(f"{g.name} group 1st loans repaid", g.first_repaid)
            put(f"{g.name} group 2nd loans repaid", g.second_repaid)
        put("Total inflows", row.total_inflows)
        put("Landlord property expenses", row.landlord_expenses)
        for g in row.groups:
            put(f"{g.name} tenant group borrows", g.borrowed)
        put("Total outflows", row.total_outflows)
        put("Fund balance", row.fund_balance)
    return {label: tuple(values) for label, values in table.items()}


@dataclass(frozen=True, slots=True)
class Difference:
    row: str
    year: int
    forecast: Decimal
    printed: Decimal

    @property
    def difference(self) -> Decimal:
        return self.forecast - self.printed


def compare(
    rows: tuple[ForecastYear, ...],
    printed: dict[str, tuple[Decimal, ...]] = APPENDIX_6_PRINTED,
    tolerance: Decimal = Decimal("1"),
) -> tuple[Difference, ...]:
    """Cells where the forecast and the print differ by more than `tolerance` pounds.

    The default £1 allows for the print's whole pounds and for its unrounded
    L/n instalments (the contracts pay whole pence, the last absorbing the rest).
    """
    ours = printed_layout(rows)
    found = []
    for label, values in printed.items():
        for year, value in enumerate(values, start=1):
            mine = ours.get(label, ())[year - 1] if year <= len(ours.get(label, ())) else ZERO
            if abs(mine - value) > tolerance:
                found.append(Difference(label, year, mine, value))
    return tuple(found)
