"""Every pound received lands somewhere a treasurer can see, and the co-op's figures reconcile with its members'.

One member admitted on the day the co-op draws its mortgage, with a debt share equal to the loan: the lender's
years and the member's fall on the same days, so the co-op's debt must equal the members' debt shares plus
top-up loans plus the staircasing money the co-op holds for the lender (less debt it added to shares for units
it took back) after every kind of event; and the receipts must equal charges + mortgage payments + equity stake
+ reserve + what is held in years not yet closed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ledger.commands.coop import accrue, record
from ledger.errors import ValidationFailed
from projections.coop import coop_show
from projections.view import LedgerView
from tests.equity_fixtures import ACTOR, admit, charges, dwelling, ev, index_series, received, revalue, society

ON = date(2020, 1, 1)


def setup() -> list[dict]:
    return [
        society("clt1", "clt", on=date(2019, 1, 1)),
        society("c1", "coop", on=date(2019, 1, 1), clt_id="clt1"),
        dwelling("d1", "c1", "150000", "1000", "200", on=date(2019, 6, 1)),
        charges("d1", D("2400"), date(2019, 6, 1)),
        *index_series("RPI", 2018, 2026, D("0.03")),
        ev("mortgage-mg1", "CollectiveMortgageDrawn", ON,
           {"mortgage_id": "mg1", "coop_id": "c1", "kind": "index-linked", "principal": "110000.00", "rate": "0.0235",
            "index_series": "RPI", "term_years": 25}),
        admit("m1", "c1", "d1", D("10000"), D("110000"), on=ON, salary="24000", rate="0.33", mortgage_id="mg1"),
    ]


EVENTS = [
    ("a receipt", received("m1", D("660"), date(2020, 2, 3), "BACS-1")),
    ("an extra payment", ev("member-m1", "ExtraPaymentReceived", date(2020, 3, 1),
                            {"member_id": "m1", "amount": "5000.00", "bank_reference": "X-1"})),
    ("a prepayment to the lender", ev("mortgage-mg1", "MortgagePrepaid", date(2020, 3, 20),
                                      {"mortgage_id": "mg1", "amount": "3000.00"})),
    ("units bought from the co-op", ev("dwelling-d1", "UnitsTransferred", date(2020, 4, 1),
                                       {"dwelling_id": "d1", "from_holder": "financed", "to_holder": "member",
                                        "units": "10", "price": "1500.00"})),
    ("units sold back", ev("member-m1", "PaymentReductionAgreed", date(2020, 5, 1),
                           {"member_id": "m1", "annual_payment": "7500.00", "units_sold": "4", "reason": "hardship"})),
    ("share capital", ev("member-m1", "ShareCapitalBought", date(2020, 5, 2),
                         {"member_id": "m1", "society_id": "c1", "amount": "1"})),
    ("reserve spending", ev("society-c1", "ReserveSpent", date(2020, 6, 1),
                            {"coop_id": "c1", "amount": "250.00", "purpose": "roof"})),
    ("a revaluation", revalue("d1", "160000", date(2020, 7, 1))),
    ("a top-up loan", ev("mortgage-mg1", "TopUpLoanDrawn", date(2020, 8, 1),
                         {"mortgage_id": "mg1", "amount": "1000.00", "purpose": "boiler"})),
]


def figures(store, on: date) -> dict:
    return coop_show(LedgerView(store), "c1", on)


def test_an_extra_payment_is_held_for_the_lender_until_it_is_passed_on(store):
    record(store, setup(), actor=ACTOR)
    record(store, [EVENTS[1][1]], actor=ACTOR)
    shown = figures(store, date(2020, 3, 1))
    assert shown["debt"] == D("110000.00") and shown["members_debt_shares"] == D("105000.00")
    assert shown["prepayments_held"] == D("5000.00") and shown["debt_reconciliation"]["difference"] == 0
    record(store, [EVENTS[2][1]], actor=ACTOR)
    shown = figures(store, date(2020, 3, 20))
    assert shown["debt"] == D("107000.00") and shown["prepayments_held"] == D("2000.00")
    assert shown["mortgage_prepaid"] == D("3000.00")


def test_a_prepayment_cannot_pass_on_more_than_the_co_op_holds(store):
    record(store, setup(), actor=ACTOR)
    with pytest.raises(ValidationFailed, match=r"payload.amount.*holds"):
        record(store, [EVENTS[2][1]], actor=ACTOR)


def test_after_every_kind_of_event_the_co_op_reconciles_with_its_members(store):
    record(store, setup(), actor=ACTOR)
    for what, event in EVENTS:
        record(store, [event], actor=ACTOR)
        accrue(store, date.fromisoformat(event["effective_date"]), actor=ACTOR)
        shown = figures(store, date.fromisoformat(event["effective_date"]))
        assert shown["debt_reconciliation"]["difference"] == 0, (what, shown["debt_reconciliation"])
        allocation = shown["receipts_allocation"]
        assert shown["payments_received"] == allocation["received_in_closed_years"] + allocation["held_in_open_years"]


def test_closed_years_allocate_every_receipt(store):
    record(store, setup() + [received("m1", D("660"), date(2020, m, 3), f"B-{m}") for m in range(1, 13)]
           + [received("m1", D("700"), date(2021, 1, 3), "B-13")], actor=ACTOR)
    accrue(store, date(2021, 6, 30), actor=ACTOR)
    shown = figures(store, date(2021, 6, 30))
    a = shown["receipts_allocation"]
    assert a["received_in_closed_years"] == D("7920.00") and a["held_in_open_years"] == D("700.00")
    assert a["received_in_closed_years"] == a["charges"] + a["mortgage_payments"] + a["equity_stake"] + a["to_reserve"]
    assert a["to_reserve"] == shown["reserve"]
    # the lender's year and the member's debt share's year are the same year: the debt still reconciles
    assert shown["debt_reconciliation"]["difference"] == 0
