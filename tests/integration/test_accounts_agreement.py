"""The general ledger agrees with the projections to the penny, and balances, on the examples and on generated
books (both engines): the reserve, the debt and the top-up loans of `coop show`, each member's arrears less credit
of `member show`, the savings, locked after-savings, loans, fees and share deposits of `fund show`."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.commands.coop import record
from ledger.coop.member import admission_of
from ledger.money import round_money
from ledger.source import StoreSource
from projections.accounts import Period, chain_head, figures, general_ledger, trial_balance, whole_log
from projections.books import societies
from projections.coop import coop_show, member_show
from projections.fund import fund
from tests.conftest import fresh_backend
from tests.equity_fixtures import ACTOR
from tests.integration.test_entry_order import END, START, facts, flow_fact, setup
from tests.integration.test_fund_properties import _run, steps

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROPERTY = settings(max_examples=int(os.environ.get("MUTUAL_ACCOUNTS_EXAMPLES", "8")), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_agrees(store, on: date) -> None:
    view = StoreSource(store)
    entries = general_ledger(view, on)
    for e in entries:
        assert sum((p.amount for p in e.postings), D(0)) == 0, e
    tb = trial_balance(view, Period(None, on), None, chain_head(store, None), None)
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"], on
    named = societies(view)
    for coop in named["coop"]:
        try:
            shown = coop_show(view, coop, on)
        except Exception:  # registered after `on`
            continue
        gl = figures(entries, coop, on)
        assert round_money(gl.reserve) == shown["reserve"], (coop, on)
        if shown["mortgages"]:
            assert round_money(gl.mortgage_debt) == shown["mortgage_debt"] == shown["debt"], (coop, on)
        assert round_money(gl.top_up_loans) == shown["top_up_loans"], (coop, on)
        for e in view.of_type("MemberAdmitted"):
            adm = admission_of([e])
            if adm is None or adm.coop_id != coop or adm.admitted_on > on:
                continue
            member = member_show(view, adm.member_id, on)
            assert round_money(gl.debtors.get(adm.member_id, D(0))) == member["arrears"] - member["credit"], \
                (adm.member_id, on)
    for fund_id in named["fund"]:
        shown = fund(view, fund_id, on)
        gl = figures(entries, fund_id, on)
        assert round_money(gl.savings) == shown["savings"], (fund_id, on)
        assert round_money(gl.locked_after_savings) == shown["locked_after_savings"], (fund_id, on)
        assert round_money(gl.loans_outstanding) == shown["loans_outstanding"], (fund_id, on)
        assert round_money(gl.fees) == shown["fees"], (fund_id, on)
        assert round_money(gl.share_deposits) == shown["share_capital"], (fund_id, on)


def test_the_examples_general_ledger_balances_and_agrees_with_every_projection_at_every_year_end(backend):
    store = backend.store()
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        store.import_lines((EXAMPLES / name).read_bytes().splitlines(), default_actor="test")
    days = [date(year, 12, 31) for year in range(2004, 2031, 2)] + [date(2019, 6, 30), date(2025, 3, 31)]
    for on in days:
        assert_agrees(store, on)


@PROPERTY
@given(flow=facts, stake=st.sampled_from(["0", "0.25"]), conventional=st.booleans(),
       asked=st.lists(st.integers(0, (END - START).days), min_size=1, max_size=3))
def test_a_generated_coops_general_ledger_balances_and_agrees_with_coop_and_member_show(backend, tmp_path, flow,
                                                                                       stake, conventional, asked):
    with fresh_backend(backend.name, tmp_path) as db:
        store = db.store()
        record(store, setup(stake, conventional), actor=ACTOR)
        lines = sorted((flow_fact(kind, day, amount, n) for n, (kind, day, amount) in enumerate(flow)),
                       key=lambda line: line["effective_date"])
        record(store, lines, actor=ACTOR)
        for on in sorted({END, END + timedelta(days=400), *(START + timedelta(days=d) for d in asked)}):
            assert_agrees(store, on)


@PROPERTY
@given(plan=steps)
def test_a_generated_funds_general_ledger_balances_and_agrees_with_fund_show(backend, tmp_path, plan):
    with fresh_backend(backend.name, tmp_path) as db:
        store = db.store()
        last = _run(store, plan)
        for on in (date(2024, 1, 20), last, last + timedelta(days=100), last + timedelta(days=800)):
            assert_agrees(store, on)


def test_the_whole_log_read_in_one_pass_gives_the_same_books_as_the_store_read_type_by_type(backend):
    store = backend.store()
    for name in ("coop-ten-years.jsonl", "appendix6.jsonl"):
        store.import_lines((EXAMPLES / name).read_bytes().splitlines(), default_actor="test")
    head = chain_head(store, None)
    for on in (date(2010, 6, 30), date(2025, 3, 31)):
        period = Period(date(2008, 1, 1), on)
        assert trial_balance(whole_log(store, None, head), period, None, head, None) == \
            trial_balance(StoreSource(store), period, None, head, None)
        assert [e.to_json() for e in general_ledger(whole_log(store, None, head), on, "riverside")] == \
            [e.to_json() for e in general_ledger(StoreSource(store), on, "riverside")]


def test_a_payment_the_bank_took_back_is_owed_again_in_the_general_ledger_as_in_member_show(backend):
    store = backend.store()
    store.import_lines((EXAMPLES / "coop-ten-years.jsonl").read_bytes().splitlines(), default_actor="test")
    paid = next(e for e in store.read(type="PaymentReceived") if e.payload["member_id"] == "alice"
                and e.effective_date.year == 2024)
    returned = {"stream": "member-alice", "type": "PaymentReturned", "effective_date": paid.effective_date.isoformat(),
                "payload": {"member_id": "alice", "amount": paid.payload["amount"], "bank_reference": "RTN-1"}}
    record(store, [returned], actor=ACTOR)
    owed = figures(general_ledger(StoreSource(store), date(2024, 12, 31)), "riverside", date(2024, 12, 31))
    assert owed.debtors["alice"] >= D(paid.payload["amount"])
    for on in (paid.effective_date, date(2024, 12, 31), date(2025, 3, 31)):
        assert_agrees(store, on)
