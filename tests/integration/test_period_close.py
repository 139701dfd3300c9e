"""Period close: a society closes a financial year; later events dated inside it need a prior-period adjustment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ledger.commands import fund as fund_commands
from ledger.commands.audit import close_period, closed_periods, reverse_event
from ledger.commands.coop import accrue, record
from ledger.errors import ValidationFailed
from ledger.periods import prior_period_adjustment
from projections.coop import member_show
from projections.view import LedgerView
from tests.equity_fixtures import ACTOR, received
from tests.integration.test_equity_projections import small_coop
from tests.fund_fixtures import fund_with_policy, member_account, run_loan

FY2011 = (date(2011, 1, 1), date(2011, 12, 31))


@pytest.fixture
def closed(store):
    record(store, small_coop(), actor=ACTOR)
    accrue(store, FY2011[1], actor=ACTOR)
    close_period(store, "coop1", *FY2011, "treasurer")
    return store


def late_payment(**metadata):
    line = received("p1", D("75"), date(2011, 11, 5), "BACS-LATE")
    line["metadata"] = {"actor": ACTOR, **metadata}
    return line


def test_a_payment_dated_in_a_closed_period_is_refused_with_a_clear_reason_and_nothing_written(closed):
    head = closed.head().position
    with pytest.raises(ValidationFailed) as refused:
        record(closed, [late_payment()], actor=ACTOR)
    text = str(refused.value)
    assert "effective_date" in text and "closed period 2011-01-01 to 2011-12-31" in text and "prior-period" in text
    assert closed.head().position == head


def test_the_same_payment_as_a_prior_period_adjustment_with_a_reason_is_accepted(closed):
    result = record(closed, [late_payment(adjustment="prior-period", reason="statement arrived after the close")],
                    actor=ACTOR)
    assert result.written == 1
    stored = list(closed.read(stream="member-p1", type="PaymentReceived"))[-1]
    assert stored.metadata["adjustment"] == "prior-period"
    assert member_show(LedgerView(closed), "p1", date(2012, 1, 1))["payments_received"] == D("75.00")


def test_a_prior_period_adjustment_without_a_reason_is_refused(closed):
    with pytest.raises(ValidationFailed, match="closed period"):
        record(closed, [late_payment(adjustment="prior-period")], actor=ACTOR)


def test_an_unknown_adjustment_kind_is_refused_by_the_store(closed):
    with pytest.raises(ValidationFailed, match="metadata.adjustment"):
        record(closed, [late_payment(adjustment="whenever", reason="x")], actor=ACTOR)


def test_events_after_the_closed_period_are_recorded_as_usual(closed):
    assert record(closed, [received("p1", D("75"), date(2012, 1, 5), "B")], actor=ACTOR).written == 1


def test_closing_overlapping_or_earlier_periods_is_refused(closed):
    head = closed.head().position
    for start, end, words in [(date(2011, 6, 1), date(2012, 5, 31), "overlaps"),
                              (date(2011, 12, 31), date(2012, 12, 31), "overlaps"),
                              (date(2010, 1, 1), date(2010, 12, 31), "before")]:
        with pytest.raises(ValidationFailed) as refused:
            close_period(closed, "coop1", start, end, "treasurer")
        assert words in str(refused.value) and "2011-12-31" in str(refused.value)
    with pytest.raises(ValidationFailed, match="start: 2013-01-01 is after the end"):
        close_period(closed, "coop1", date(2013, 1, 1), date(2012, 12, 31), "treasurer")
    with pytest.raises(ValidationFailed, match="society nope is not in the books"):
        close_period(closed, "nope", date(2011, 1, 1), date(2011, 12, 31), "treasurer")
    assert closed.head().position == head
    accrue(closed, date(2012, 12, 31), actor=ACTOR)
    close_period(closed, "coop1", date(2012, 1, 1), date(2012, 12, 31), "treasurer")
    assert [(p["start"], p["end"]) for p in closed_periods(LedgerView(closed), "coop1")] == \
        [FY2011, (date(2012, 1, 1), date(2012, 12, 31))]


def test_a_close_binds_only_its_own_society(closed):
    close_period(closed, "clt1", date(2012, 1, 1), date(2012, 12, 31), "treasurer")
    assert record(closed, [received("p1", D("75"), date(2012, 2, 5), "B")], actor=ACTOR).written == 1


def test_a_correction_inside_a_closed_period_needs_a_prior_period_adjustment(store):
    record(store, small_coop() + [received("p1", D("200"), date(2011, 2, 3), "BACS-1")], actor=ACTOR)
    accrue(store, FY2011[1], actor=ACTOR)
    close_period(store, "coop1", *FY2011, "treasurer")
    position = next(store.read(stream="member-p1", type="PaymentReceived")).position
    with pytest.raises(ValidationFailed, match="closed period"):
        reverse_event(store, position, "returned", "treasurer")
    result = reverse_event(store, position, "returned, found at audit", "treasurer", prior_period_adjustment=True)
    [c] = member_show(LedgerView(store), "p1", date(2012, 1, 1))["corrections"]
    assert c["reversal_position"] == result.reversal_position and c["prior_period_adjustment"] is True


def test_a_year_cannot_be_closed_while_accruals_inside_it_are_due(store):
    record(store, small_coop(), actor=ACTOR)
    assert accrue(store, date(2010, 12, 31), actor=ACTOR).written > 0
    close_period(store, "coop1", date(2010, 1, 1), date(2010, 12, 31), "treasurer")
    assert accrue(store, date(2010, 12, 31), actor=ACTOR).written == 0
    head = store.head().position
    with pytest.raises(ValidationFailed, match=r"end: 12 accruals of coop1 fall inside the period .*"
                                               r"run `mutual accrue --through 2011-12-31` first"):
        close_period(store, "coop1", *FY2011, "treasurer")
    assert store.head().position == head
    accrue(store, date(2011, 12, 31), actor=ACTOR)
    close_period(store, "coop1", *FY2011, "treasurer")


def test_accruals_inside_a_period_closed_before_they_were_posted_are_prior_period_adjustments(store):
    """A ledger whose year was closed before it was accrued (as older versions allowed): accrue still posts
    what the terms called for, marked as prior-period adjustments with the reason."""
    from ledger.events.audit import PeriodClosed
    from ledger.store import NewEvent

    record(store, small_coop(), actor=ACTOR)
    closing = PeriodClosed(society_id="coop1", period_start="2011-01-01", period_end="2011-12-31")
    store.append("society-coop1", [NewEvent(closing, date(2011, 12, 31), "close:legacy")], metadata={"actor": "t"})
    result = accrue(store, date(2011, 12, 31), actor=ACTOR)
    assert result.written == result.planned == 24
    dues = list(store.read(stream="member-p1", type="PaymentDue"))
    inside = [e for e in dues if e.effective_date.year == 2011]
    assert len(inside) == 12 and all(e.metadata["adjustment"] == "prior-period" for e in inside)
    assert "closed before it was posted" in inside[0].metadata["reason"]
    assert all("adjustment" not in e.metadata for e in dues if e.effective_date.year == 2010)
    assert accrue(store, date(2011, 12, 31), actor=ACTOR).written == 0


def test_an_import_is_raw_and_not_checked_against_closes_but_its_adjustment_metadata_is(closed):
    import orjson

    assert closed.import_lines([orjson.dumps(late_payment())]).written == 1
    adjusted = late_payment(adjustment="prior-period", reason="late")
    adjusted["payload"]["bank_reference"] = "OTHER"
    assert closed.import_lines([orjson.dumps(adjusted)]).written == 1
    with pytest.raises(ValidationFailed, match="metadata.adjustment"):
        closed.import_lines([orjson.dumps(late_payment(adjustment="later"))])


@pytest.fixture
def fund_books(store):
    fund_with_policy(store)
    member_account(store, "saver")
    fund_commands.deposit(store, "saver-jak", D("20000"), on=date(2024, 1, 1), actor=ACTOR)
    account = member_account(store, "m1")
    run_loan(store, "L1", "m1", account, "1200", 12, date(2024, 2, 1), pay_months=2)
    close_period(store, "jak1", date(2024, 1, 1), date(2024, 6, 30), "treasurer")
    return store


def test_a_fund_instalment_dated_in_a_closed_fund_period_is_refused_unless_adjusted(fund_books):
    store = fund_books
    head = store.head().position
    with pytest.raises(ValidationFailed) as refused:
        fund_commands.receive_instalment(store, "L1", D("200"), on=date(2024, 4, 1), actor=ACTOR, reference="late feed 7")
    assert "closed period 2024-01-01 to 2024-06-30" in str(refused.value)
    with pytest.raises(ValidationFailed, match="closed period"):
        fund_commands.deposit(store, "saver-jak", D("5"), on=date(2024, 3, 1), actor=ACTOR)
    assert store.head().position == head
    with prior_period_adjustment("standing order paid, bank feed was late"):  # (a second payment of 200 that day:
        # told apart from the instalment paid on 2024-04-01 by its reference, docs/events.md "Idempotency")
        fund_commands.receive_instalment(store, "L1", D("200"), on=date(2024, 4, 1), actor=ACTOR, reference="late feed 7")
    last = list(store.read(stream="loan-L1"))[-1]
    assert last.metadata == {"actor": ACTOR, "adjustment": "prior-period",
                             "reason": "standing order paid, bank feed was late"}
    fund_commands.deposit(store, "saver-jak", D("5"), on=date(2024, 7, 1), actor=ACTOR)  # after the close: as usual


def test_the_corrections_list_reads_reversals_and_prior_period_adjustments_from_their_own_index(closed):
    """`corrections` (the corrections page, `mutual corrections`) lists both kinds and nothing else, even an event
    whose reason quotes the adjustment's metadata; the query is answered from ix_events_corrections."""
    from sqlalchemy import text

    from ledger.store.recorder import CORRECTIONS
    from projections.log import corrections

    record(closed, [late_payment(adjustment="prior-period", reason="statement arrived after the close")],
           actor=ACTOR)
    quoted = received("p1", D("5"), date(2012, 2, 1), "BACS-QUOTE")
    quoted["metadata"] = {"actor": ACTOR, "reason": '"adjustment":"prior-period"'}
    record(closed, [quoted], actor=ACTOR)
    payment = list(closed.read(stream="member-p1", type="PaymentReceived"))[-1]
    reverse_event(closed, payment.position, "keyed twice", ACTOR)
    listed = corrections(closed)
    assert [row["type"] for row in listed] == ["EventReversed", "PaymentReceived"]  # newest first
    assert listed[1]["prior_period"] is True and listed[0]["reversed_position"] == payment.position
    with closed.engine.connect() as conn:
        if closed.engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN SELECT position FROM events WHERE position > 0 "
                                        f"AND {CORRECTIONS} ORDER BY position").all()
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = conn.exec_driver_sql(f"EXPLAIN SELECT position FROM events WHERE position > 0 "
                                        f"AND {CORRECTIONS.replace('%', '%%')} ORDER BY position", ()).all()
    assert "ix_events_corrections" in " ".join(str(row) for row in plan)
