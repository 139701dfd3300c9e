"""Properties of the JAK fund under random histories written through the command handlers.

1. The points held by all holders equal the sum, day by day, of savings x (1/days in the month)
   x factor, less the sum of loan balances x (1/days in the month): gifts only move points.
2. The fund's liquidity never goes below zero on any date, under what the ledger accepted.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.commands import fund as fund_commands
from ledger.commands.fund import StoreReader
from ledger.errors import ValidationFailed
from ledger.fund.books import FundBooks
from ledger.fund.flows import position_of
from ledger.fund.reading import FundIndex, read_holder
from tests.conftest import fresh_backend
from tests.fund_fixtures import ACTOR, FUND, fund_with_policy, member_account

PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
START = date(2024, 1, 1)
MEMBERS = ("m0", "m1", "m2")

amounts = st.integers(min_value=1, max_value=3000).map(lambda n: D(n) / 2)
steps = st.lists(st.tuples(
    st.sampled_from(["deposit", "withdraw", "gift", "loan", "pay", "payoff", "settle", "factor"]),
    st.integers(0, 2), st.integers(0, 2), amounts, st.integers(0, 45), st.integers(1, 18),
), min_size=3, max_size=14)


def _run(store, plan) -> date:
    fund_with_policy(store, kinds=(("jak", D("1"), 0), ("half", D("0.5"), 0)))
    for i, m in enumerate(MEMBERS):
        member_account(store, m, kind="jak" if i != 1 else "half")
    member_account(store, "coop", holder_kind="coop")
    fund_commands.deposit(store, "coop-jak", D("2000"), on=START, actor=ACTOR)
    day, loans = START, []
    for n, (op, a, b, amount, gap, months) in enumerate(plan):
        day += timedelta(days=gap)
        m, other = MEMBERS[a], MEMBERS[b]
        account = f"{m}-{'half' if a == 1 else 'jak'}"
        try:
            if op == "deposit":
                fund_commands.deposit(store, account, amount, on=day, actor=ACTOR)
            elif op == "withdraw":
                fund_commands.withdraw(store, account, amount, on=day, actor=ACTOR)
            elif op == "gift":
                fund_commands.gift_points(store, m, other, amount, on=day, actor=ACTOR)
            elif op == "factor":
                fund_commands.set_policy(store, FUND, on=day, actor=ACTOR,
                               kinds=(("jak", D("1"), 0), ("half", D(b + 1) / 4, 0)))
            elif op == "loan":
                loan = f"L{n}"
                fund_commands.grant_loan(store, loan, holder=m, account=account, amount=amount * 2, months=months, on=day, actor=ACTOR)
                fund_commands.buy_share_deposit(store, loan, on=day, actor=ACTOR)
                fund_commands.disburse(store, loan, on=day, actor=ACTOR)
                loans.append(loan)
            elif op == "pay" and loans:
                fund_commands.receive_instalment(store, loans[a % len(loans)], amount, on=day, actor=ACTOR)
            elif op == "payoff" and loans:
                from ledger.commands.fund import _loan

                state = _loan(StoreReader(store), loans[a % len(loans)], day, "test")
                owed = state.outstanding + state.fee_arrears + state.after_saving_arrears
                if owed > 0:
                    fund_commands.receive_instalment(store, loans[a % len(loans)], owed, on=day, actor=ACTOR)
            elif op == "settle":
                fund_commands.releases(store, through=day)
        except ValidationFailed:
            pass
    return day


def _brute_force_points(store, through: date) -> Fraction:
    """Day by day from the raw log: end-of-day balances x factor / days in the month. A repaid loan's
    after-savings move to the free balance the day after the first day, from the repayment on, whose
    end-of-day points of the holder are >= 0 (a recorded AfterSavingsReleased counts for nothing)."""
    events = sorted(store.read(), key=lambda e: (e.effective_date, e.position))
    kinds, factors, loan_account, holder_of = {}, defaultdict(dict), {}, {}
    balances: dict[tuple, Decimal] = defaultdict(lambda: D(0))  # (account, loan or None) -> amount; ("loan", id)
    by_day = defaultdict(list)
    for e in events:
        by_day[e.effective_date].append(e)
    total, day = Fraction(0), START
    factor_now: dict[str, D] = {}
    points: dict[str, Fraction] = defaultdict(Fraction)  # by holder, through the end of the day
    outstanding: dict[str, Decimal] = defaultdict(lambda: D(0))
    repaid_on, written_off, released, due = {}, set(), set(), []
    while day <= through:
        for loan in due:  # released today: the locked amount moves to the free balance
            account = loan_account[loan]
            balances[(account, None)] += balances.pop((account, loan), D(0))
            released.add(loan)
        due = []
        for e in by_day.get(day, ()):
            p = e.payload
            if e.type == "FundPolicySet":
                for k in p["account_kinds"]:
                    factor_now[k["kind"]] = D(k["factor"])
            elif e.type == "SavingsAccountOpened":
                kinds[p["account_id"]] = p["kind"]
                holder_of[p["account_id"]] = p["holder_id"]
            elif e.type == "SavingsDeposited":
                loan = p["after_saving_for_loan"]
                balances[(p["account_id"], None if loan in released else loan)] += D(p["amount"])
            elif e.type == "SavingsWithdrawn":
                balances[(p["account_id"], None)] -= D(p["amount"])
            elif e.type == "LoanGranted":
                loan_account[p["loan_id"]] = p["account_id"]
                holder_of[p["loan_id"]] = p["holder_id"]
            elif e.type == "LoanDisbursed":
                balances[("loan", p["loan_id"])] -= D(p["amount"])
                outstanding[p["loan_id"]] += D(p["amount"])
            elif e.type == "InstalmentReceived":
                balances[("loan", p["loan_id"])] += D(p["repayment"])
                outstanding[p["loan_id"]] -= D(p["repayment"])
                balances[(loan_account[p["loan_id"]], p["loan_id"])] += D(p["after_saving"])
            elif e.type == "LoanWrittenOff":
                balances[("loan", p["loan_id"])] += D(p["amount"])
                outstanding[p["loan_id"]] -= D(p["amount"])
                written_off.add(p["loan_id"])
            elif e.type == "PointsGifted":
                points[p["from_member_id"]] -= Fraction(D(p["points"]))
                points[p["to_member_id"]] += Fraction(D(p["points"]))
            if e.type in ("InstalmentReceived", "LoanWrittenOff") and outstanding[p["loan_id"]] <= 0:
                repaid_on.setdefault(p["loan_id"], day)
        dim = calendar.monthrange(day.year, day.month)[1]
        for (account, loan), amount in balances.items():
            if account == "loan" or loan is not None:
                factor = D(1)
            else:
                factor = factor_now[kinds[account]]
            earned = Fraction(amount) * Fraction(factor) / dim
            total += earned
            points[holder_of[loan if account == "loan" else account]] += earned
        due = sorted(loan for loan in repaid_on if loan not in released and loan not in written_off
                     and points[holder_of[loan]] >= 0)
        day += timedelta(days=1)
    return total


Decimal = D


@PROPERTY
@given(plan=steps)
def test_points_of_all_holders_are_savings_times_time_times_factor_less_loans_times_time(backend, tmp_path, plan):
    with fresh_backend(backend.name, tmp_path) as db:
        store = db.store()
        last = _run(store, plan)
        reader = StoreReader(store)
        index = FundIndex(reader)
        for on in (START + timedelta(days=20), last, last + timedelta(days=100)):
            held = sum((read_holder(reader, h, on, index).points_exact for h in index.holders()), Fraction(0))
            assert held == _brute_force_points(store, on)


@PROPERTY
@given(plan=steps)
def test_the_fund_never_goes_below_zero_under_accepted_contracts(backend, tmp_path, plan):
    with fresh_backend(backend.name, tmp_path) as db:
        store = db.store()
        _run(store, plan)
        flows = FundBooks(StoreReader(store), FUND).flows()
        for day in sorted({f.on for f in flows}):
            assert position_of(flows, day).liquidity >= 0
