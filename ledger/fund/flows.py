"""The fund's cash flows and its position (liquidity) on any date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from ledger.folded import Event
from ledger.fund.typed import (
    DEPOSITED,
    DISBURSED,
    EXPENSE,
    FEE,
    RECEIVED,
    SHARES_BOUGHT,
    SHARES_RELEASED,
    WITHDRAWN,
    WRITTEN_OFF,
    fee_charged,
    fund_expense,
    instalment_received,
    loan_disbursed,
    loan_written_off,
    savings_deposited,
    savings_withdrawn,
    share_deposit_bought,
    share_deposit_released,
)
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


# The events that move one sum: each type's accessor, and the flows it makes of the sum.
_ONE_SUM: dict[str, tuple[Callable[[Event], Any], tuple[str, ...]]] = {
    EXPENSE: (fund_expense, ("expense",)),
    DEPOSITED: (savings_deposited, ("deposit",)),
    WITHDRAWN: (savings_withdrawn, ("withdrawal",)),
    DISBURSED: (loan_disbursed, ("disbursed",)),
    SHARES_BOUGHT: (share_deposit_bought, ("share_bought",)),
    SHARES_RELEASED: (share_deposit_released, ("share_released",)),
    WRITTEN_OFF: (loan_written_off, ("written_off", "write_off_loss")),
}


def fund_flows(society: Iterable[Event], accounts: Iterable[Event], loans: Iterable[Event]) -> list[Flow]:
    """Every recorded cash flow of a fund, in effective order. A write-off is a loss (an expense)."""
    flows: list[Flow] = []
    append, one_sum = flows.append, _ONE_SUM
    for events in (society, accounts, loans):
        for f in events:
            t = f.type
            found = one_sum.get(t)
            if found is not None:
                read, kinds = found
                amount = read(f).amount
                for kind in kinds:
                    append(Flow(f.effective_date, f.position, kind, amount))
            elif t == RECEIVED:
                paid = instalment_received(f)
                for kind, part in (("repaid", paid.repayment), ("after_saving", paid.after_saving),
                                   ("instalment_fee", paid.fee)):
                    if part:
                        append(Flow(f.effective_date, f.position, kind, part))
            elif t == FEE:
                fee = fee_charged(f)
                append(Flow(f.effective_date, f.position, "setup_fee" if fee.kind == "setup" else "annual_fee",
                            fee.amount))
    flows.sort(key=FLOW_ORDER)
    return flows


FLOW_ORDER = itemgetter(0, 1)  # (on, position): the order of a fund's flows


def position_of(flows: Iterable[Flow], as_of: date) -> FundPosition:
    totals = dict.fromkeys(("savings", "share_capital", "fees", "loans_outstanding", "expenses"), ZERO)
    for flow in flows:
        if flow.on <= as_of:
            name, sign = FLOW_EFFECT[flow.kind]
            totals[name] += flow.amount * sign
    return FundPosition(**totals)


def lowest_position_from(flows: list[Flow], day: date) -> FundPosition:
    """The fund's position at its lowest end-of-day liquidity on `day` or any later date a known flow takes effect
    (the first such day on a tie)."""
    days = sorted({day} | {f.on for f in flows if f.on > day})
    position = lowest = position_of(flows, day)
    later = [f for f in flows if f.on > day]
    i = 0
    for d in days[1:]:
        changes: dict[str, Decimal] = defaultdict(lambda: ZERO)
        while i < len(later) and later[i].on <= d:
            name, sign = FLOW_EFFECT[later[i].kind]
            changes[name] += later[i].amount * sign
            i += 1
        position = position.plus(**changes)
        if position.liquidity < lowest.liquidity:
            lowest = position
    return lowest
