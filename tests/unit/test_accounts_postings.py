"""Every event type maps to balanced postings, in one table (ledger/accounts/postings.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounts.chart import ROLES, Chart, component
from ledger.accounts.postings import RULES, legs_of
from ledger.events import REGISTRY
from tests.unit.test_layers import _files, _offenders

MONEY_FIELDS = ("amount", "charges", "principal", "interest", "indexation", "payment", "deposit", "repayment",
                "after_saving", "fee", "arrears_deducted", "debt_share", "opening_debt", "closing_debt")

_BEANCOUNT_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("999999999.99"), places=2).map(lambda d: format(d, "f"))
signed = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2).map(
    lambda d: format(d, "f"))


@st.composite
def payloads(draw: st.DrawFn, event_type: str) -> tuple[dict, str]:
    p: dict = {f: draw(money) for f in MONEY_FIELDS}
    if event_type == "PaymentDue":  # the charges are a part of the amount
        p["charges"] = format(min(Decimal(p["charges"]), Decimal(p["amount"])), "f")
    if event_type == "ReserveTransferred":
        p["amount"] = draw(signed)
    p.update(member_id="m1", society_id="s1", coop_id="c1", fund_id="f1", loan_id="l1", account_id="a1",
             purpose=draw(st.sampled_from(["repairs", "member m1 year 3: payments less charges, mortgage and "
                                                    "equity stake"])),
             after_saving_for_loan=draw(st.sampled_from([None, "l1"])))
    stream = draw(st.sampled_from(["mortgage-g1", "member-m1", "society-c1", "loan-l1", "account-a1"]))
    return p, stream


def test_every_registered_event_type_is_mapped_to_postings_or_explicitly_to_none():
    assert sorted(RULES) == sorted(REGISTRY)
    for name, rule in RULES.items():
        assert rule.says, name


def test_every_posting_names_a_role_of_the_chart():
    roles_named = {word.strip("`,;():") for rule in RULES.values() for word in rule.says.split()}
    for role in roles_named & set(ROLES):
        assert ROLES[role].type in ("Assets", "Liabilities", "Equity", "Income", "Expenses")


@pytest.mark.parametrize("event_type", sorted(RULES))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_events_postings_balance_to_zero(event_type, data):
    payload, stream = data.draw(payloads(event_type))
    legs = legs_of(event_type, payload, stream)
    assert sum((leg.amount for leg in legs), Decimal(0)) == 0, (event_type, legs)
    assert all(leg.role in ROLES for leg in legs)
    assert all(isinstance(leg.amount, Decimal) and leg.amount for leg in legs)
    if not RULES[event_type].moves_money:
        assert legs == ()


def test_a_derived_reserve_transfer_posts_nothing_and_a_recorded_one_posts_to_the_reserve():
    accrued = {"coop_id": "c1", "amount": "12.00",
               "purpose": "member m1 year 3: payments less charges, mortgage and equity stake"}
    assert legs_of("ReserveTransferred", accrued, "society-c1") == ()
    legs = legs_of("ReserveTransferred", {**accrued, "purpose": "from the surplus"}, "society-c1")
    assert {leg.role: leg.amount for leg in legs} == {"retained_surplus": Decimal("12.00"),
                                                      "reserve": Decimal("-12.00")}


def test_the_lenders_year_posts_and_the_debt_shares_year_is_a_memorandum():
    year = {"interest": "100.00", "indexation": "30.00", "payment": "500.00"}
    assert legs_of("MortgageYearPosted", year, "member-m1") == ()
    legs = {leg.role: leg.amount for leg in legs_of("MortgageYearPosted", year, "mortgage-g1")}
    assert legs == {"interest_expense": Decimal("100.00"), "indexation_expense": Decimal("30.00"),
                    "bank": Decimal("-500.00"), "mortgage": Decimal("370.00")}


def test_account_names_are_valid_for_beancount():
    chart = Chart()
    assert chart.account("riverside", "bank").name == "Assets:Riverside:Bank"
    assert chart.account("riverside-clt", "share_capital").name == "Equity:Riverside-clt:Share-capital"
    assert chart.account("c1", "members_debtors", "alice-b").name == "Assets:C1:Members:Arrears:M-alice-b"
    assert chart.account("c.1", "members_debtors", "alice_b").name.startswith("Assets:C-1-")
    assert component("2nd") == "2nd"
    for name in (chart.account(s, "members_debtors", m).name for s in ("c.1", "C1") for m in ("alice_b", "Ab")):
        assert all(_BEANCOUNT_COMPONENT.fullmatch(part) for part in name.split(":")), name


ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,12}", fullmatch=True)


@settings(max_examples=300)
@given(ids, ids)
def test_two_ids_never_share_an_account(a, b):
    """Members `x_1` and `x-1` once shared `M-x-1` (their arrears summed in one account); societies `riverside` and
    `Riverside` would have shared `Riverside`."""
    if a != b:
        assert component(a, "M-") != component(b, "M-")
        assert component(a) != component(b)
    assert component("x_1", "M-") != component("x-1", "M-") == "M-x-1"
    assert component("riverside") == "Riverside" != component("Riverside")


def test_the_accounts_domain_touches_no_database():
    assert _offenders(_files("ledger/accounts"), ("sqlalchemy", "psycopg", "sqlite3", "ledger.store", "ledger.source",
                                                  "ledger.commands", "orjson", "projections", "cli")) == []
