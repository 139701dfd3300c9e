"""The fund year by year: recorded flows, then the flows still to come under the contracts in force."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.calendar import add_months
from ledger.fund.common import ONE_DAY, Streams, money_json
from ledger.fund.flows import FLOW_ORDER, Flow, liquidity_sign, position_of
from ledger.fund.loan import Contract, LoanState, grant_of, loan_state
from ledger.money import ZERO


def projected_flows(loans: Streams, as_of: date, refund_shares: bool = True) -> list[Flow]:
    """The flows still to come under the contracts in force on `as_of` (nothing recorded after it is assumed).

    A disbursed loan pays the scheduled instalments and after-savings that
    fall due after `as_of` (the last one also collecting any arrears), and
    the annual fees of later anniversaries; a loan granted but not yet paid
    out is paid out on its grant date (or the day after `as_of`) with its
    share deposit and fees. Share deposits come back with the last instalment.
    """
    out: list[Flow] = []
    for facts in loans.values():
        known = [f for f in facts if f.effective_date <= as_of]
        if grant_of(known) is None:
            continue  # granted after `as_of`: not a contract in force then
        state = loan_state(known, as_of)
        if state.status in ("repaid", "written_off"):
            continue
        disbursed_on, outstanding, payout = _payout(state, as_of)
        out += payout
        out += _instalments(state, disbursed_on, outstanding, as_of, refund_shares)
        out += _annual_fees(state.contract, disbursed_on, as_of)
    return sorted(out, key=FLOW_ORDER)


def _payout(state: LoanState, as_of: date) -> tuple[date, Decimal, list[Flow]]:
    """(the day it is paid out, what it owes from then, the payout's flows): a loan not yet paid out is paid out on
    its grant date or the day after `as_of`, with its share deposit and set-up fee."""
    c = state.contract
    if state.disbursed_on is not None:
        return state.disbursed_on, state.outstanding, []
    on = max(c.granted_on, as_of + ONE_DAY)
    flows = [Flow(on, 0, "disbursed", c.principal, True)]
    if c.share_deposit > state.share_deposit_paid:
        flows.append(Flow(on, 0, "share_bought", c.share_deposit - state.share_deposit_paid, True))
    if c.setup_fee:
        flows.append(Flow(on, 0, "setup_fee", c.setup_fee, True))
    return on, c.principal, flows


def _instalments(state: LoanState, disbursed_on: date, outstanding: Decimal, as_of: date,
                 refund_shares: bool) -> list[Flow]:
    """The instalments and after-savings falling due after `as_of`, the last collecting any arrears (and the share
    deposit back, when `refund_shares`)."""
    c, flows = state.contract, []
    saved_short = max(sum(c.after_savings[:state.instalments_due], ZERO) - state.after_savings_paid, ZERO) \
        if state.disbursed_on else ZERO
    future = [k for k in range(1, c.months + 1) if add_months(disbursed_on, k) > as_of]
    for idx, k in enumerate(future):
        last = idx == len(future) - 1
        on = add_months(disbursed_on, k)
        paid = outstanding if last else min(c.instalments[k - 1], outstanding)
        outstanding -= paid
        if paid:
            flows.append(Flow(on, 0, "repaid", paid, True))
        saving = c.after_savings[k - 1] + (saved_short if last else ZERO)
        if saving:
            flows.append(Flow(on, 0, "after_saving", saving, True))
        if last and refund_shares:
            held = max(state.share_deposit_paid - state.share_deposit_released, ZERO) if state.disbursed_on \
                else c.share_deposit
            if held:
                flows.append(Flow(on, 0, "share_released", held, True))
    return flows


def _annual_fees(c: Contract, disbursed_on: date, as_of: date) -> list[Flow]:
    """The annual fees of the anniversaries after `as_of`."""
    return [Flow(on, 0, "annual_fee", c.annual_fee, True)
            for on in (add_months(disbursed_on, 12 * j) for j in range(c.annual_fee_count))
            if on > as_of and c.annual_fee]


FORECAST_COLUMNS = ("deposits", "after_savings", "shares_bought", "setup_fees", "annual_fees", "repaid",
                    "total_inflows", "withdrawals", "expenses", "disbursed", "shares_released", "total_outflows")
_COLUMN_OF = {
    "deposit": "deposits", "after_saving": "after_savings", "share_bought": "shares_bought",
    "setup_fee": "setup_fees", "annual_fee": "annual_fees", "instalment_fee": "annual_fees", "repaid": "repaid",
    "withdrawal": "withdrawals", "expense": "expenses", "disbursed": "disbursed",
    "share_released": "shares_released",
}
_INFLOW = {"deposits", "after_savings", "shares_bought", "setup_fees", "annual_fees", "repaid"}


def forecast_years(flows: list[Flow], start: date, years: int) -> list[dict[str, Any]]:
    """The fund year by year from `start`: each year's cash inflows, outflows and closing liquidity.

    A write-off moves no cash (loans outstanding fall, the loss is an
    expense: net nil); it is shown in `written_off`, outside the totals.
    """
    rows = []
    opening = position_of(flows, start - ONE_DAY).liquidity
    for y in range(years):
        first, last = add_months(start, 12 * y), add_months(start, 12 * (y + 1)) - ONE_DAY
        totals = dict.fromkeys((*FORECAST_COLUMNS, "written_off"), ZERO)
        lowest = balance = opening
        projected = False
        for day_flows in _by_day(f for f in flows if first <= f.on <= last):
            for flow in day_flows:
                if flow.kind in ("written_off", "write_off_loss"):
                    # no cash moves: loans outstanding fall and the loss is an expense, net nil
                    totals["written_off"] += flow.amount if flow.kind == "written_off" else ZERO
                    continue
                totals[_COLUMN_OF[flow.kind]] += flow.amount
                projected |= flow.projected
                balance += flow.amount * liquidity_sign(flow.kind)
            lowest = min(lowest, balance)
        totals["total_inflows"] = sum((totals[k] for k in _INFLOW), ZERO)
        totals["total_outflows"] = sum((totals[k] for k in FORECAST_COLUMNS
                                        if k not in _INFLOW and not k.startswith("total")), ZERO)
        row = {"year": y + 1, "from": first, "to": last, "opening_balance": opening, **totals,
               "fund_balance": balance, "lowest_balance": lowest, "projected": projected}
        rows.append(money_json(row, list(row)))
        opening = balance
    return rows


def _by_day(flows: Iterable[Flow]) -> Iterable[list[Flow]]:
    current: list[Flow] = []
    for flow in sorted(flows, key=FLOW_ORDER):
        if current and current[0].on != flow.on:
            yield current
            current = []
        current.append(flow)
    if current:
        yield current
