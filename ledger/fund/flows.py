"""The fund's cash flows and its position (liquidity) on any date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from ledger.fund.common import Event
from ledger.money import ZERO
from ledger.rules.fund import FundPosition

# Each cash flow's effect on the fund's position (ledger.rules.fund.FundPosition).
FLOW_EFFECT = {
    "deposit": ("savings", 1),
    "after_saving": ("savings", 1),
    "withdrawal": ("savings", -1),
    "share_bought": ("share_capital", 1),
    "share_released": ("share_capital", -1),
    "setup_fee": ("fees", 1),
    "annual_fee": ("fees", 1),
    "instalment_fee": ("fees", 1),
    "disbursed": ("loans_outstanding", 1),
    "repaid": ("loans_outstanding", -1),
    "written_off": ("loans_outstanding", -1),
    "write_off_loss": ("expenses", 1),
    "expense": ("expenses", 1),
}


def liquidity_sign(kind: str) -> int:
    """+1 when the flow adds to the fund's liquidity, -1 when it takes from it."""
    name, sign = FLOW_EFFECT[kind]
    return sign if name in ("savings", "share_capital", "fees") else -sign


class Flow(NamedTuple):
    on: date
    position: int
    kind: str
    amount: Decimal
    projected: bool = False


def fund_flows(society: Iterable[Event], accounts: Iterable[Event], loans: Iterable[Event]) -> list[Flow]:
    """Every recorded cash flow of a fund, in effective order. A write-off is a loss (an expense)."""
    flows: list[Flow] = []
    for f in society:
        if f.type == "FundExpense":
            flows.append(Flow(f.effective_date, f.position, "expense", Decimal(f.payload["amount"])))
    for f in accounts:
        if f.type == "SavingsDeposited":
            flows.append(Flow(f.effective_date, f.position, "deposit", Decimal(f.payload["amount"])))
        elif f.type == "SavingsWithdrawn":
            flows.append(Flow(f.effective_date, f.position, "withdrawal", Decimal(f.payload["amount"])))
    for f in loans:
        p, on = f.payload, f.effective_date
        if f.type == "LoanDisbursed":
            flows.append(Flow(on, f.position, "disbursed", Decimal(p["amount"])))
        elif f.type == "InstalmentReceived":
            for kind, name in (("repaid", "repayment"), ("after_saving", "after_saving"), ("instalment_fee", "fee")):
                if Decimal(p[name]):
                    flows.append(Flow(on, f.position, kind, Decimal(p[name])))
        elif f.type == "FeeCharged":
            flows.append(Flow(on, f.position, "setup_fee" if p["kind"] == "setup" else "annual_fee", Decimal(p["amount"])))
        elif f.type == "ShareDepositBought":
            flows.append(Flow(on, f.position, "share_bought", Decimal(p["amount"])))
        elif f.type == "ShareDepositReleased":
            flows.append(Flow(on, f.position, "share_released", Decimal(p["amount"])))
        elif f.type == "LoanWrittenOff":
            flows.append(Flow(on, f.position, "written_off", Decimal(p["amount"])))
            flows.append(Flow(on, f.position, "write_off_loss", Decimal(p["amount"])))
    return sorted(flows, key=lambda x: (x.on, x.position))


def position_of(flows: Iterable[Flow], as_of: date) -> FundPosition:
    totals = dict.fromkeys(("savings", "share_capital", "fees", "loans_outstanding", "expenses"), ZERO)
    for flow in flows:
        if flow.on <= as_of:
            name, sign = FLOW_EFFECT[flow.kind]
            totals[name] += flow.amount * sign
    return FundPosition(**totals)


def lowest_liquidity_from(flows: list[Flow], day: date) -> Decimal:
    """The lowest end-of-day liquidity on `day` or any later date a known flow takes effect."""
    days = sorted({day} | {f.on for f in flows if f.on > day})
    position = position_of(flows, day)
    lowest = position.liquidity
    later = [f for f in flows if f.on > day]
    i = 0
    for d in days[1:]:
        changes: dict[str, Decimal] = defaultdict(lambda: ZERO)
        while i < len(later) and later[i].on <= d:
            name, sign = FLOW_EFFECT[later[i].kind]
            changes[name] += later[i].amount * sign
            i += 1
        position = position.plus(**changes)
        lowest = min(lowest, position.liquidity)
    return lowest
