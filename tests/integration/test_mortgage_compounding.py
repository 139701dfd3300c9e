"""A mortgage drawn with monthly compounding is accrued monthly; a term the ledger would not apply is refused by name
(issue #10 item 5; docs/rules-equity.md "Monthly compounding")."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.commands.coop import accrue, record
from ledger.errors import ValidationFailed
from tests.equity_fixtures import ACTOR, ev, society


def drawn(**terms) -> dict:
    payload = {"mortgage_id": "mg1", "coop_id": "coop1", "kind": "conventional", "principal": "12000", "rate": "0.12",
               "term_years": 2, **terms}
    return ev("mortgage-mg1", "CollectiveMortgageDrawn", date(2004, 4, 1), {k: v for k, v in payload.items() if v is not None})


def setup(store, **terms) -> None:
    record(store, [society("clt1", "clt"), society("coop1", "coop", clt_id="clt1"), drawn(**terms)], actor=ACTOR)


def posted(store) -> list[dict]:
    return [e.payload for e in store.read(stream="mortgage-mg1") if e.type == "MortgageYearPosted"]


def test_a_monthly_mortgage_posts_interest_computed_month_by_month(store):
    setup(store, compounding="monthly")
    accrue(store, date(2006, 3, 31), actor=ACTOR)
    years = posted(store)
    # the first payment solved on the monthly convention: 6,778.58 (annual: 7,100.38); interest 1,136.38 (annual: 1,440.00)
    assert [(p["interest"], p["payment"], p["closing_debt"]) for p in years] == [
        ("1136.38", "6778.58", "6357.80"), ("420.80", "6778.60", "0.00")]


def test_an_annual_mortgage_is_posted_as_before(store):
    setup(store)
    accrue(store, date(2005, 3, 31), actor=ACTOR)
    assert [(p["interest"], p["payment"]) for p in posted(store)] == [("1440.00", "7100.38")]


@pytest.mark.parametrize("terms, field", [
    ({"tilt": "0.02"}, "payload.tilt"),
    ({"index_series": "RPI"}, "payload.index_series"),
    ({"kind": "index-linked", "index_series": "RPI", "tilt": "0.01"}, "payload.tilt"),
    ({"compounding": "quarterly"}, "payload.compounding"),
])
def test_a_term_that_would_not_be_applied_is_refused_by_name(store, terms, field):
    with pytest.raises(ValidationFailed) as refused:
        setup(store, **terms)
    assert field in {e.field for e in refused.value.errors}
    assert store.head().position == 0
