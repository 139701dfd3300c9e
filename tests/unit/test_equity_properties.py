"""Properties of the member fold under any sequence of valid events (pure: no store)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.coop.fold import Fact

from ledger.coop.member import member_ledger, member_position

START = date(2010, 1, 1)


def fact(i, stream, type_, on, payload):
    return Fact(i, stream, i, type_, 1, on, payload, f"k{i}")


money = st.integers(min_value=1, max_value=400_000_00).map(lambda p: f"{p // 100}.{p % 100:02d}")
step = st.one_of(
    st.tuples(st.just("revalue"), st.integers(20_000, 400_000)),
    st.tuples(st.just("year"), st.integers(0, 100)),  # closing debt as a percentage of the current one
    st.tuples(st.just("extra"), st.integers(1, 50_000)),
    st.tuples(st.just("due"), st.integers(1, 2_000)),
    st.tuples(st.just("paid"), st.integers(1, 2_000)),
    st.tuples(st.just("clt_to_financed"), st.integers(1, 50)),
    st.tuples(st.just("reduction"), st.integers(0, 30)),
)


@settings(max_examples=200, deadline=None)
@given(
    value=st.integers(50_000, 300_000),
    clt=st.integers(0, 400),
    deposit_pct=st.integers(0, 20),
    deduction=st.sampled_from(["0", "0.1", "0.5", "1"]),
    cap=st.sampled_from([None, "0.25", "1"]),
    tenure=st.integers(0, 5),
    steps=st.lists(step, max_size=25),
    query_days=st.integers(0, 6000),
)
def test_units_conserved_equity_never_negative_payout_within_gross_equity(value, clt, deposit_pct, deduction, cap,
                                                                          tenure, steps, query_days):
    units = D(1000)
    non_clt = (units - clt) * D(value) / units
    deposit = (non_clt * deposit_pct / 100).quantize(D("0.01"))
    debt = non_clt - deposit
    dwelling = [fact(1, "dwelling-d1", "DwellingRegistered", START,
                     {"dwelling_id": "d1", "coop_id": "c1", "value": str(value), "units": "1000", "clt_units": str(clt)})]
    member = [fact(2, "member-m1", "MemberAdmitted", START,
                   {"member_id": "m1", "coop_id": "c1", "dwelling_id": "d1", "net_salary": "20000", "payment_rate": "0.3",
                    "deposit": str(deposit), "debt_share": str(debt)})]
    society = [fact(3, "society-c1", "ResaleFormulaSet", START,
                    {"coop_id": "c1", "deduction": deduction, "appreciation_cap": cap, "minimum_tenure_years": tenure})]
    on, i, clt_now, current_debt = START, 10, D(clt), debt
    for kind, n in steps:
        on += timedelta(days=97)
        i += 1
        if kind == "revalue":
            dwelling.append(fact(i, "dwelling-d1", "DwellingRevalued", on, {"dwelling_id": "d1", "value": str(n)}))
        elif kind == "year":
            closing = (current_debt * n / 100).quantize(D("0.01"))
            member.append(fact(i, "member-m1", "MortgageYearPosted", on,
                               {"year": 1, "opening_debt": str(current_debt), "interest": "0", "payment": "0",
                                "indexation": "0", "closing_debt": str(closing), "index_rate": "0"}))
            current_debt = closing
        elif kind == "extra":
            member.append(fact(i, "member-m1", "ExtraPaymentReceived", on, {"member_id": "m1", "amount": str(n), "bank_reference": "x"}))
            current_debt = max(current_debt - n, D(0))
        elif kind == "due":
            member.append(fact(i, "member-m1", "PaymentDue", on, {"member_id": "m1", "period": "2010-01", "amount": str(n)}))
        elif kind == "paid":
            member.append(fact(i, "member-m1", "PaymentReceived", on,
                               {"member_id": "m1", "amount": str(n), "period": "2010-01", "bank_reference": "x"}))
        elif kind == "clt_to_financed" and clt_now >= n:
            dwelling.append(fact(i, "dwelling-d1", "UnitsTransferred", on,
                                 {"dwelling_id": "d1", "from_holder": "clt", "to_holder": "financed", "units": str(n), "price": "0"}))
            clt_now -= n
        elif kind == "reduction":
            held = D(member_position(member, dwelling, society, on).units["member"])
            sold = min(D(n), held)
            member.append(fact(i, "member-m1", "PaymentReductionAgreed", on,
                               {"member_id": "m1", "annual_payment": "5000", "units_sold": str(sold), "reason": "x"}))
            current_debt = member_ledger(member, dwelling, on).debt_share
    as_of = START + timedelta(days=query_days)
    position = member_position(member, dwelling, society, as_of)
    u = position.units
    assert D(u["clt"]) + D(u["member"]) + D(u["financed"]) == D(u["total"]) == units
    assert min(D(u["clt"]), D(u["member"]), D(u["financed"])) >= 0
    assert position.gross_equity >= 0
    payout = position.payout
    assert 0 <= payout["payout"] <= payout["gross"] <= position.gross_equity
    assert payout["arrears_deducted"] <= position.ledger.arrears
