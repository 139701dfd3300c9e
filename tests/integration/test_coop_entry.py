"""The typed entry of co-op facts (ledger/commands/coop_entry.py), below the CLI: a plan goes through `record`'s
checks, a preview writes nothing, member leave reads the payout from the member's fold, a batch's events are seen
by a type scan made after them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ledger.commands import coop_entry as entry
from ledger.commands.coop import World, check_batch, record
from ledger.errors import ValidationFailed
from ledger.events.coop import CollectiveMortgageDrawn, MemberAdmitted
from projections.coop import member_show
from projections.view import LedgerView
from tests.equity_fixtures import ACTOR, ev, revalue
from tests.integration.test_equity_projections import small_coop

LEFT = date(2012, 6, 1)


def test_a_plan_is_recorded_through_record_and_a_second_time_is_a_replay(store):
    record(store, small_coop(), actor=ACTOR)
    plan = entry.receive_payment("p1", amount=D("250.00"), period="2011-03", bank_reference="BACS-7",
                                 on=date(2011, 3, 4))
    first = entry.enter(store, plan, actor=ACTOR)
    again = entry.enter(store, plan, actor="another-clerk")
    assert (first.written, again.written, again.already_recorded) == (1, 0, 1)


def test_a_preview_runs_the_checks_and_writes_nothing(store):
    record(store, small_coop(), actor=ACTOR)
    head = store.head()
    shown = entry.preview(store, entry.revalue_dwelling("d1", value=D("110000"), basis="valuation", series=None,
                                                        on=date(2012, 1, 1)), actor=ACTOR)
    assert shown.figures["dwelling d1 unit_value"] == {"before": D("100.00"), "after": D("110.00")}
    assert store.head() == head
    with pytest.raises(ValidationFailed, match="before member p1 was admitted"):
        entry.preview(store, entry.receive_payment("p1", amount=D("1.00"), period="2009-01", bank_reference="x",
                                                   on=date(2009, 1, 2)), actor=ACTOR)
    assert store.head() == head


def test_member_leave_pays_what_member_show_gives_on_the_leaving_day(store):
    record(store, small_coop() + [revalue("d1", "110000", date(2012, 1, 1))], actor=ACTOR)
    # the co-op's reserve is its members' years: p1's first year paid the mortgage and nothing came in
    with pytest.raises(ValidationFailed, match="--funding: co-op coop1's reserve on 2012-06-01 is -2627.50, less "
                                               "than the payout of 12400.00"):
        entry.leave(store, "p1", on=LEFT, incoming=None, funding="reserve", mortgage=None, actor=ACTOR)
    record(store, [ev("society-coop1", "ReserveTransferred", date(2012, 1, 1),
                      {"coop_id": "coop1", "amount": "20000", "purpose": "members' loan stock"})], actor=ACTOR)
    plan = entry.leave(store, "p1", on=LEFT, incoming=None, funding="reserve", mortgage=None, actor=ACTOR)
    assert [e.type for e in plan.entries] == ["LeaseAssigned", "EquityPaidOut", "ReserveSpent",
                                              "ShareCapitalWithdrawn"]
    assert plan.detail["payout"] == D("12400.00")  # report 6.5's worked example
    entry.enter(store, plan, actor=ACTOR)
    shown = member_show(LedgerView(store), "p1", LEFT)
    assert shown["equity_paid_out"] == D("12400.00") and shown["payout_if_leaving"] == 0
    assert shown["payout_detail"]["payout_at_leaving"] == plan.detail["payout"]
    again = entry.leave(store, "p1", on=LEFT, incoming=None, funding="reserve", mortgage=None, actor=ACTOR)
    assert again.entries == plan.entries  # planned again the same: a retry is a replay
    assert entry.enter(store, again, actor=ACTOR).written == 0
    # the same leaving retried with another funding is refused: one payout is funded once
    with pytest.raises(ValidationFailed, match="--funding: member p1's payout on 2012-06-01 is funded already"):
        entry.leave(store, "p1", on=LEFT, incoming=None, funding="top-up", mortgage="m1", actor=ACTOR)
    # in the general ledger the cash leaves the bank once (the payout); the reserve is appropriated, not spent twice
    from ledger.accounts.postings import legs_of

    [spent] = [e for e in store.read(stream="society-coop1") if e.type == "ReserveSpent"]
    assert spent.payload["funds_payout_of"] == "p1"
    assert not any(leg.role == "bank" for leg in legs_of(spent.type, spent.payload, spent.stream))


def test_a_leave_without_a_mortgage_to_top_up_is_refused_by_name(store):
    record(store, small_coop(), actor=ACTOR)
    with pytest.raises(ValidationFailed, match="--mortgage: co-op coop1 has 0 mortgages"):
        entry.leave(store, "p1", on=LEFT, incoming=None, funding="top-up", mortgage=None, actor=ACTOR)


def test_the_admission_is_built_in_one_place_for_admit_and_for_the_incoming_member(store):
    terms = entry.JoiningTerms(D("20000"), D("0.30"), D("5000.00"), D("65000.00"))
    admitted = entry.admission("p9", coop="coop1", dwelling="d2", terms=terms, on=date(2011, 1, 1))
    assert admitted.type == MemberAdmitted.event_type
    assert admitted.payload == {"member_id": "p9", "coop_id": "coop1", "dwelling_id": "d2",
                                "annual_payment": "6000.00", "deposit": "5000.00", "debt_share": "65000.00"}
    plan = entry.admit_member("p9", coop="coop1", dwelling="d2", terms=terms, share=None, on=date(2011, 1, 1))
    assert plan.entries == (admitted,)
    assert plan.personal == {"p9": {"net_salary": "20000"}}  # the salary goes to the register, not the chain


def test_a_payment_rate_outside_30_to_35_per_cent_is_refused_by_name(store):
    terms = entry.JoiningTerms(D("20000"), D("0.40"), D("5000.00"), D("65000.00"))
    with pytest.raises(ValidationFailed, match="payload.payment_rate"):
        entry.admission("p9", coop="coop1", dwelling="d2", terms=terms, on=date(2011, 1, 1))


def test_a_member_admitted_by_command_has_their_salary_in_the_register_and_not_in_the_chain(store):
    from ledger.commands.people import show_person

    record(store, small_coop(), actor=ACTOR)
    terms = entry.JoiningTerms(D("20000"), D("0.30"), D("5000.00"), D("65000.00"))
    entry.enter(store, entry.admit_member("p9", coop="coop1", dwelling="d2", terms=terms, share=None,
                                          on=date(2011, 1, 1)), actor=ACTOR)
    person, _ = show_person(store, "p9")
    assert person.fields["net_salary"] == "20000"
    assert all("net_salary" not in e.payload for e in store.read(stream="member-p9"))


def test_a_batch_event_is_seen_by_a_type_scan_made_after_it(store):
    record(store, small_coop(), actor=ACTOR)
    drawn = ev("mortgage-m9", "CollectiveMortgageDrawn", date(2011, 1, 1),
               {"mortgage_id": "m9", "coop_id": "coop1", "kind": "conventional", "principal": "1000", "rate": "0.04",
                "term_years": 10})
    world = check_batch(store, [drawn], actor=ACTOR).world
    assert [e.payload["mortgage_id"] for e in world.of_type(CollectiveMortgageDrawn.event_type)] == ["m9"]
    assert World(store).of_type(CollectiveMortgageDrawn.event_type) == []


def test_a_salary_the_register_cannot_keep_is_refused_before_the_admission_is_recorded(store):
    record(store, small_coop(), actor=ACTOR)
    head = store.head()
    terms = entry.JoiningTerms(D("9999999999999"), D("0.30"), D("5000.00"), D("65000.00"))
    plan = entry.admit_member("p9", coop="coop1", dwelling="d2", terms=terms, share=None, on=date(2011, 1, 1))
    with pytest.raises(ValidationFailed, match="net_salary"):
        entry.enter(store, plan, actor=ACTOR)
    assert store.head() == head  # nothing in the chain without its salary in the register, and the other way round
