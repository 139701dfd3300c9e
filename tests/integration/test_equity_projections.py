"""Member, dwelling, co-op and register projections; invariants; accrual -- through the store."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from ledger.commands.coop import accrue, record
from ledger.errors import NotFound, ValidationFailed
from projections.coop import coop_show, dwelling_show, member_show, register_show
from projections.view import LedgerView
from tests.equity_fixtures import ACTOR, admit, dwelling, ev, index_series, received, revalue, society

ON = date(2010, 1, 1)


def small_coop(deduction="0.10", minimum_tenure_years=0) -> list[dict]:
    """Report 6.5's figures: 700 funded units bought at £100 (deposit £5,000, debt share £65,000)."""
    return [
        society("clt1", "clt", on=date(2009, 1, 1)),
        society("coop1", "coop", on=date(2009, 1, 1), clt_id="clt1"),
        ev("society-coop1", "ResaleFormulaSet", date(2009, 1, 1),
           {"coop_id": "coop1", "deduction": deduction, "minimum_tenure_years": minimum_tenure_years}),
        dwelling("d1", "coop1", "100000", "1000", "300", on=date(2009, 6, 1)),
        dwelling("d2", "coop1", "100000", "1000", "300", on=date(2009, 6, 1)),
        admit("p1", "coop1", "d1", D("5000"), D("65000"), on=ON, salary="20000", rate="0.30", mortgage_id=None),
        ev("member-p1", "ShareCapitalBought", ON, {"member_id": "p1", "society_id": "coop1", "amount": "1"}),
        ev("member-p1", "MortgageYearPosted", date(2010, 12, 31),
           {"year": 1, "opening_debt": "65000", "interest": "1527.50", "payment": "2627.50", "indexation": "0",
            "closing_debt": "63900", "index_rate": "0"}),
    ]


def show(store, member="p1", on=date(2012, 6, 1), **kw):
    return member_show(LedgerView(store, **kw), member, on)


def test_report_6_5_worked_example_pays_12_400(store):
    record(store, small_coop() + [revalue("d1", "110000", date(2012, 1, 1))], actor=ACTOR)
    m = show(store)
    assert m["payout_if_leaving"] == D("12400.00")
    detail = m["payout_detail"]
    assert (detail["deposit"], detail["principal_repaid"], detail["growth"], detail["deduction"]) == \
        (D("5000.00"), D("1100.00"), D("7000.00"), D("700.00"))
    assert m["gross_equity"] == D("13100.00") and m["principal_repaid"] == D("1100.00")
    assert m["units"]["clt"] == D("300.000000") and m["share_capital"] == D("1.00")


def test_a_falling_market_pays_no_growth_and_never_a_negative_payout(store):
    record(store, small_coop() + [revalue("d1", "95000", date(2012, 1, 1))], actor=ACTOR)
    m = show(store)
    assert m["payout_detail"]["growth"] == 0
    assert m["payout_if_leaving"] == m["gross_equity"] == D("2600.00")  # capped at the member's equity
    record(store, [revalue("d1", "80000", date(2012, 3, 1))], actor=ACTOR)
    m = show(store)
    assert m["payout_if_leaving"] == D("0.00") and m["gross_equity"] == D("0.00") and D(m["units"]["member"]) == 0


def test_arrears_are_deducted_from_the_payout(store):
    record(store, small_coop() + [
        revalue("d1", "110000", date(2012, 1, 1)),
        ev("member-p1", "PaymentDue", date(2012, 2, 1), {"member_id": "p1", "period": "2012-02", "amount": "500"}),
        received("p1", D("200"), date(2012, 2, 3), "BACS-1"),
    ], actor=ACTOR)
    m = show(store)
    assert m["arrears"] == D("300.00") and m["payments_due"] == D("500.00") and m["payments_received"] == D("200.00")
    assert m["payout_if_leaving"] == D("12100.00")


def test_leaving_before_the_minimum_tenure_returns_deposit_and_principal_only(store):
    record(store, small_coop(minimum_tenure_years=3) + [revalue("d1", "110000", date(2011, 2, 1))], actor=ACTOR)
    assert show(store, on=date(2011, 6, 1))["payout_if_leaving"] == D("6100.00")
    assert show(store, on=date(2013, 1, 1))["payout_if_leaving"] == D("12400.00")


def test_the_formula_in_force_on_the_day_applies(store):
    record(store, small_coop() + [
        revalue("d1", "110000", date(2012, 1, 1)),
        ev("society-coop1", "ResaleFormulaSet", date(2013, 1, 1), {"coop_id": "coop1", "deduction": "0.5"}),
    ], actor=ACTOR)
    assert show(store, on=date(2012, 12, 31))["payout_if_leaving"] == D("12400.00")
    assert show(store, on=date(2013, 1, 1))["payout_if_leaving"] == D("9600.00")


def test_dates_before_a_stream_existed_are_an_error_and_future_dates_answer_with_the_books_so_far(store):
    record(store, small_coop(), actor=ACTOR)
    with pytest.raises(NotFound, match="not yet admitted"):
        show(store, on=date(2009, 12, 31))
    with pytest.raises(NotFound, match="no such member"):
        show(store, member="nobody")
    with pytest.raises(NotFound, match="did not exist"):
        dwelling_show(LedgerView(store), "d1", date(2009, 5, 1))
    assert show(store, on=date(2099, 1, 1))["debt_share"] == D("63900.00")


def test_as_known_at_shows_the_books_as_they_stood(store):
    record(store, small_coop(), actor=ACTOR)
    before = store.head().recorded_at
    record(store, [revalue("d1", "110000", date(2012, 1, 1))], actor=ACTOR)
    assert show(store, as_known_at=before)["dwelling_value"] == D("100000.00")
    assert show(store)["dwelling_value"] == D("110000.00")


def test_leaving_payout_and_register(store):
    record(store, small_coop() + [
        revalue("d1", "110000", date(2012, 1, 1)),
        ev("dwelling-d1", "LeaseAssigned", date(2012, 6, 1), {"dwelling_id": "d1", "outgoing_member_id": "p1"}),
    ], actor=ACTOR)
    assert dwelling_show(LedgerView(store), "d1", date(2012, 5, 31))["occupant"] == "p1"
    assert dwelling_show(LedgerView(store), "d1", date(2012, 6, 1))["occupant"] is None
    m = show(store, on=date(2012, 7, 1))
    assert m["status"] == "left" and m["payout_if_leaving"] == D("12400.00") and m["debt_share"] == 0
    with pytest.raises(ValidationFailed, match="more than the 12400.00"):
        record(store, [ev("member-p1", "EquityPaidOut", date(2012, 6, 2), {"member_id": "p1", "amount": "12400.01"})], actor=ACTOR)
    record(store, [ev("member-p1", "EquityPaidOut", date(2012, 6, 2), {"member_id": "p1", "amount": "12400"})], actor=ACTOR)
    assert show(store, on=date(2012, 7, 1))["payout_if_leaving"] == 0
    reg = register_show(LedgerView(store), "coop1", date(2012, 5, 1))
    assert reg["voting_members"] == ["p1"]
    assert register_show(LedgerView(store), "coop1", date(2012, 7, 1))["voting_members"] == []


@pytest.mark.parametrize("line, message", [
    (admit("p2", "coop1", "d1", D("5000"), D("65000"), on=date(2011, 1, 1), mortgage_id=None), "occupied by member p1"),
    (received("p1", D("10"), date(2009, 12, 1), "x"), "before member p1 was admitted"),
    (ev("member-p1", "EquityPaidOut", date(2012, 1, 1), {"member_id": "p1", "amount": "1"}), "only made to a member who has left"),
    (ev("member-p1", "ShareCapitalBought", date(2012, 1, 1), {"member_id": "p1", "society_id": "coop1", "amount": "20000"}), "20,000"),
    (ev("dwelling-d1", "UnitsTransferred", date(2012, 1, 1), {"dwelling_id": "d1", "from_holder": "clt", "to_holder": "financed", "units": "301", "price": "0"}), "conserved"),
    (ev("index-RPI", "IndexValuePublished", date(2012, 1, 1), {"series": "RPI", "period": "2010", "value": "101"}), "already has a value"),
    (dwelling("d9", "coop1", "100000", "1000", "300", on=date(2008, 1, 1)), "before society coop1 was registered"),
    (dwelling("d9", "nowhere", "100000", "1000", "300"), "society nowhere is not registered"),
    (ev("society-coop1", "ReserveTransferred", date(2012, 1, 1), {"coop_id": "coop1", "amount": "0", "purpose": "x"}), "must not be zero"),
    (ev("member-p1", "PaymentReceived", date(2012, 1, 1), {"member_id": "p9", "amount": "1", "period": "2012-01", "bank_reference": "x"}), "but the stream is member-p1"),
])
def test_invariants_refuse_and_write_nothing(store, line, message):
    record(store, small_coop() + index_series("RPI", 2009, 2011, D("0.03")), actor=ACTOR)
    head = store.head()
    with pytest.raises(ValidationFailed, match=message):
        record(store, [received("p1", D("5"), date(2011, 1, 5), "ok"), line], actor=ACTOR)
    assert store.head() == head


def test_payments_after_leaving_are_refused(store):
    record(store, small_coop() + [
        ev("dwelling-d1", "LeaseAssigned", date(2012, 6, 1), {"dwelling_id": "d1", "outgoing_member_id": "p1"})], actor=ACTOR)
    with pytest.raises(ValidationFailed, match="after leaving"):
        record(store, [received("p1", D("5"), date(2012, 6, 1), "late")], actor=ACTOR)


def test_accrual_is_idempotent_and_a_missing_index_names_series_and_period(store):
    lines = [
        society("coop1", "coop", on=date(2009, 1, 1)),
        ev("society-coop1", "PaymentIndexationPolicySet", date(2009, 1, 1), {"coop_id": "coop1", "series": "RPI", "margin": "0.005"}),
        dwelling("d1", "coop1", "100000", "1000", "300", on=date(2009, 6, 1)),
        ev("dwelling-d1", "ChargesBudgetSet", date(2009, 6, 1), {"dwelling_id": "d1", "management": "600", "maintenance": "0",
                                                                  "insurance": "0", "services": "0", "sinking_fund": "0"}),
        *index_series("RPI", 2009, 2011, D("0.02")),
        ev("mortgage-m1", "CollectiveMortgageDrawn", ON, {"mortgage_id": "m1", "coop_id": "coop1", "kind": "index-linked",
                                                          "principal": "65000", "rate": "0.02", "index_series": "RPI", "term_years": 25}),
        admit("p1", "coop1", "d1", D("5000"), D("65000"), on=ON, salary="20000", rate="0.30"),
    ]
    record(store, lines, actor=ACTOR)
    first = accrue(store, date(2011, 12, 31), actor=ACTOR)
    assert first.written == first.planned > 0
    # the lender's two years; the member's debt share and the reserve are folds, not posted
    assert first.by_type == {"MortgageYearPosted": 2, "PaymentDue": 24, "PaymentIndexed": 1}
    head = store.head()
    again = accrue(store, date(2011, 12, 31), actor="someone-else")
    assert again.written == 0 and store.head() == head
    m = member_show(LedgerView(store), "p1", date(2011, 12, 31))
    assert m["annual_payment"] == D("6150.00")  # 6,000 indexed by RPI 2% + 0.5%
    assert m["payments_due"] == D("12150.00") and m["arrears"] == D("12150.00")
    assert m["mortgage_years_posted"] == 2
    assert coop_show(LedgerView(store), "coop1", date(2011, 12, 31))["charges_budget"] == D("600.00")
    with pytest.raises(Exception, match=r"index RPI has no value for period 2012"):
        accrue(store, date(2012, 12, 31), actor=ACTOR)
    assert store.head() == head
