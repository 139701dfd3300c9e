"""Corrections: a reversal names an earlier event by position, may carry its replacement, and shows in history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import orjson
import pytest

from ledger.commands import fund as fund_commands
from ledger.commands.audit import close_period, reverse_event
from ledger.commands.coop import record
from ledger.errors import ValidationFailed
from ledger.events import REGISTRY
from ledger.events.base import json_defaults
from projections import fund as read_fund
from projections.coop import member_show
from projections.view import LedgerView, ReplayView
from tests.equity_fixtures import ACTOR, ev, received
from tests.integration.test_equity_projections import small_coop
from tests.fund_fixtures import fund_with_policy, member_account, run_loan

ON = date(2012, 6, 1)


def _payment_books(store):
    record(store, small_coop() + [received("p1", D("200"), date(2012, 2, 3), "BACS-1"),
                                  received("p1", D("300"), date(2012, 3, 3), "BACS-2")], actor=ACTOR)
    return [e.position for e in store.read(stream="member-p1", type="PaymentReceived")]


def show(store, on=ON, **kw):
    return member_show(LedgerView(store, **kw), "p1", on)


def test_reversing_a_payment_removes_it_from_member_show_and_lists_the_correction(store):
    first, _ = _payment_books(store)
    assert show(store)["payments_received"] == D("500.00") and "corrections" not in show(store)
    result = reverse_event(store, first, "the bank returned it", "treasurer")
    assert result.stream == "member-p1" and result.written == 1
    m = show(store)
    assert m["payments_received"] == D("300.00")
    [c] = m["corrections"]
    assert (c["reversed_position"], c["reversal_position"], c["reason"], c["actor"], c["replacement_type"]) == \
        (first, result.reversal_position, "the bank returned it", "treasurer", None)
    assert c["recorded_at"] is not None
    reversal = next(store.read(after=result.reversal_position - 1, to_position=result.reversal_position))
    assert reversal.type == "EventReversed" and reversal.effective_date == date(2012, 2, 3)  # the original's


def test_a_replacement_takes_the_reversed_events_place(store):
    first, _ = _payment_books(store)
    fixed = {"member_id": "p1", "amount": "250", "period": "2012-02", "bank_reference": "BACS-1"}
    result = reverse_event(store, first, "keyed as 200, the statement says 250", "treasurer",
                           replacement_type="PaymentReceived", replacement_payload=fixed)
    m = show(store)
    assert m["payments_received"] == D("550.00")
    assert m["corrections"][0]["replacement_type"] == "PaymentReceived"
    events = LedgerView(store).stream("member-p1")
    assert first not in [e.position for e in events]
    replacement = next(e for e in events if e.position == result.reversal_position)
    assert replacement.type == "PaymentReceived" and replacement.payload["amount"] == "250"
    assert replacement.effective_date == date(2012, 2, 3)
    assert all(e.type != "EventReversed" for e in events)
    # type scans see the replacement too, not the original
    amounts = sorted(e.payload["amount"] for e in LedgerView(store).of_type("PaymentReceived"))
    assert amounts == ["250", "300.00"]


def test_reversing_twice_is_refused_and_writes_nothing(store):
    first, _ = _payment_books(store)
    reverse_event(store, first, "returned", "treasurer")
    head = store.head().position
    with pytest.raises(ValidationFailed) as refused:
        reverse_event(store, first, "returned again", "treasurer")
    assert "position" in str(refused.value) and "already reversed" in str(refused.value)
    assert store.head().position == head


def test_an_as_known_at_view_before_the_correction_still_shows_the_original(store):
    first, _ = _payment_books(store)
    before = store.head().recorded_at
    reverse_event(store, first, "returned", "treasurer")
    earlier = show(store, as_known_at=before)
    assert earlier["payments_received"] == D("500.00") and "corrections" not in earlier
    assert show(store)["payments_received"] == D("300.00")


def test_a_correction_applies_whichever_side_of_the_date_the_original_and_the_replacement_fall(store):
    first, _ = _payment_books(store)
    fixed = {"member_id": "p1", "amount": "200", "period": "2012-08", "bank_reference": "BACS-1"}
    reverse_event(store, first, "it cleared in August", "treasurer", replacement_type="PaymentReceived",
                  replacement_payload=fixed, effective_date=date(2012, 8, 1))
    assert show(store)["payments_received"] == D("300.00")  # the original is gone; the replacement is not yet due
    assert show(store, on=date(2012, 9, 1))["payments_received"] == D("500.00")


def test_a_replay_view_applies_the_same_corrections(store):
    first, second = _payment_books(store)
    reverse_event(store, first, "returned", "treasurer")
    reverse_event(store, second, "wrong amount", "treasurer", replacement_type="PaymentReceived",
                  replacement_payload={"member_id": "p1", "amount": "30", "period": "2012-03", "bank_reference": "B"})
    replay = ReplayView(store.read())
    assert member_show(replay, "p1", ON) == show(store)
    assert replay.counts_by_type()["EventReversed"] == 2  # the log as recorded
    assert [e.payload["amount"] for e in replay.of_type("PaymentReceived")] == ["30"]


def test_a_bad_replacement_is_refused_naming_the_field_and_writes_nothing(store):
    first, _ = _payment_books(store)
    head = store.head().position
    cases = [
        ({"member_id": "p1", "amount": 250.0, "period": "2012-02", "bank_reference": "B"}, "PaymentReceived",
         "replacement_payload.amount"),
        ({"member_id": "p2", "amount": "250", "period": "2012-02", "bank_reference": "B"}, "PaymentReceived",
         "replacement_payload.member_id"),
        ({"series": "RPI", "period": "2012", "value": "100"}, "IndexValuePublished", "replacement_type"),
        ({}, "NoSuchEvent", "replacement_type"),
        (None, "PaymentReceived", "replacement_payload"),
    ]
    for payload, type_, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            reverse_event(store, first, "fix", "treasurer", replacement_type=type_, replacement_payload=payload)
        assert field in str(refused.value), (type_, str(refused.value))
    assert store.head().position == head


def _imported_reversal(position: int, replacement_type=None, replacement_payload=None, stream="member-p1") -> bytes:
    payload = {"position": position, "reason": "keyed wrong"}
    if replacement_type is not None:
        payload["replacement_type"] = replacement_type
    if replacement_payload is not None:
        payload["replacement_payload"] = replacement_payload
    return orjson.dumps({"stream": stream, "type": "EventReversed", "effective_date": "2012-02-03",
                         "payload": payload})


def test_an_imported_replacement_is_checked_as_an_event_of_its_own_type_and_a_bad_one_writes_nothing(store):
    first, _ = _payment_books(store)
    head = store.head()
    good = {"member_id": "p1", "amount": "250", "period": "2012-02", "bank_reference": "B"}
    cases = [
        (("PaymentReceived", {**good, "amount": 250.5}), "payload.replacement_payload.amount"),
        (("PaymentReceived", {**good, "amount": "NaN"}), "payload.replacement_payload.amount"),
        (("PaymentReceived", {**good, "tip": "1"}), "payload.replacement_payload.tip"),
        (("PaymentReceived", {"member_id": "p1"}), "payload.replacement_payload.amount"),
        (("IndexValuePublished", {"series": "RPI", "period": "2012", "value": "100"}), "payload.replacement_type"),
        (("NoSuchEvent", {}), "payload.replacement_type"),
        (("EventReversed", {"position": 1, "reason": "x"}), "payload.replacement_type"),
        (("PaymentReceived", None), "payload.replacement_payload"),
        ((None, good), "payload.replacement_type"),
    ]
    for (type_, payload), field in cases:
        with pytest.raises(ValidationFailed) as refused:
            store.import_lines([_imported_reversal(first, type_, payload)], default_actor="auditor")
        assert f"line 1: {field}:" in str(refused.value), (type_, str(refused.value))
    assert store.head() == head


def test_an_imported_replacement_is_kept_as_written_and_read_with_its_types_defaults(store):
    _payment_books(store)
    record(store, [ev("member-p1", "PaymentDue", date(2012, 2, 1),
                      {"member_id": "p1", "period": "2012-02", "amount": "300", "charges": "20"})], actor=ACTOR)
    [due] = [e.position for e in store.read(stream="member-p1", type="PaymentDue")]
    sparse = {"member_id": "p1", "period": "2012-02", "amount": "250"}  # no charges: its default is "0"
    assert json_defaults(REGISTRY["PaymentDue"]) == {"charges": "0"}
    line = _imported_reversal(due, "PaymentDue", sparse)
    store.import_lines([line], default_actor="auditor")
    reversal = list(store.read(stream="member-p1"))[-1]
    assert reversal.payload["replacement_payload"] == sparse  # as written: the log re-imports to the same hashes
    replacement = next(e for e in LedgerView(store).stream("member-p1") if e.position == reversal.position)
    assert replacement.payload == {**sparse, "charges": "0"}
    assert show(store)["payments_due"] == D("250.00")
    assert store.import_lines([line], default_actor="auditor").written == 0


def test_a_missing_position_a_period_close_and_a_bare_reversal_cannot_be_reversed(store):
    first, _ = _payment_books(store)
    with pytest.raises(ValidationFailed, match="no event at position 999"):
        reverse_event(store, 999, "fix", "treasurer")
    close = close_period(store, "coop1", date(2009, 1, 1), date(2009, 12, 31), "treasurer").positions[0]
    with pytest.raises(ValidationFailed, match="period close"):
        reverse_event(store, close, "reopen", "treasurer")
    bare = reverse_event(store, first, "returned", "treasurer").reversal_position
    with pytest.raises(ValidationFailed, match="reversal without a replacement"):
        reverse_event(store, bare, "undo", "treasurer")


def test_a_replacement_can_itself_be_corrected_and_the_original_stays_reversed(store):
    first, _ = _payment_books(store)
    payload = {"member_id": "p1", "amount": "250", "period": "2012-02", "bank_reference": "BACS-1"}
    r1 = reverse_event(store, first, "was 250", "treasurer", replacement_type="PaymentReceived",
                       replacement_payload=payload)
    reverse_event(store, r1.reversal_position, "was 240 after all", "auditor", replacement_type="PaymentReceived",
                  replacement_payload={**payload, "amount": "240"})
    m = show(store)
    assert m["payments_received"] == D("540.00") and len(m["corrections"]) == 2


def test_record_refuses_correction_and_close_events_it_cannot_check(store):
    first, _ = _payment_books(store)
    line = {"stream": "member-p1", "type": "EventReversed", "effective_date": "2012-02-03",
            "payload": {"position": first, "reason": "sneaky"}, "metadata": {"actor": ACTOR}}
    with pytest.raises(ValidationFailed, match="mutual correct"):
        record(store, [line], actor=ACTOR)


def test_record_checks_every_event_type_or_names_the_command_that_does(store):
    from ledger.commands.coop import CHECKED_BY_ITS_COMMAND, EQUITY_TYPES

    assert not EQUITY_TYPES & CHECKED_BY_ITS_COMMAND.keys()
    assert EQUITY_TYPES | CHECKED_BY_ITS_COMMAND.keys() == REGISTRY.keys()
    fund_with_policy(store)
    member_account(store, "m1")
    head = store.head()
    withdrawal = {"stream": "account-m1-jak", "type": "SavingsWithdrawn", "effective_date": "2024-02-01",
                  "payload": {"account_id": "m1-jak", "amount": "1000000.00"}, "metadata": {"actor": ACTOR}}
    with pytest.raises(ValidationFailed) as refused:  # beyond the balance: only `savings withdraw` checks that
        record(store, [withdrawal], actor=ACTOR)
    assert "type: a SavingsWithdrawn is recorded with `mutual savings withdraw`, which checks it" in str(refused.value)
    assert store.head() == head


def test_no_command_writes_a_release_of_after_savings_it_is_a_fold(store):
    """A hand-made AfterSavingsReleased would be accepted and ignored (the read side computes releases): refused by
    name, with the reason, by `record` and as a correction's replacement."""
    fund_with_policy(store)
    member_account(store, "m1")
    fund_commands.deposit(store, "m1-jak", D("10"), on=date(2024, 1, 1), actor=ACTOR)
    head = store.head()
    release = {"account_id": "m1-jak", "loan_id": "L1", "amount": "10.00"}
    line = {"stream": "account-m1-jak", "type": "AfterSavingsReleased", "effective_date": "2024-02-01",
            "payload": release, "metadata": {"actor": ACTOR}}
    with pytest.raises(ValidationFailed, match="type: a AfterSavingsReleased is not recorded: the release .* is "
                                               "computed from the facts on every read"):
        record(store, [line], actor=ACTOR)
    deposit = next(iter(store.read(stream="account-m1-jak", type="SavingsDeposited"))).position
    with pytest.raises(ValidationFailed, match="replacement_type: a AfterSavingsReleased is not recorded"):
        reverse_event(store, deposit, "it was a release", "treasurer", replacement_type="AfterSavingsReleased",
                      replacement_payload=release)
    assert store.head() == head


@pytest.fixture
def loan_books(store):
    fund_with_policy(store)
    member_account(store, "saver")
    fund_commands.deposit(store, "saver-jak", D("20000"), on=date(2024, 1, 1), actor=ACTOR)
    account = member_account(store, "m1")
    run_loan(store, "L1", "m1", account, "1200", 12, date(2024, 2, 1), pay_months=3)
    return store


def test_a_loan_instalment_corrected_shows_in_loan_shows_corrections(loan_books):
    store = loan_books
    on = date(2024, 6, 15)
    before = read_fund.loan(LedgerView(store), "L1", on)
    third = [e.position for e in store.read(stream="loan-L1", type="InstalmentReceived")][-1]
    reverse_event(store, third, "the standing order bounced", "treasurer")
    view = LedgerView(store)
    after = read_fund.loan(view, "L1", on)
    assert after.instalments_received == before.instalments_received - 1
    assert after.outstanding == before.outstanding + D("100.00")
    [c] = read_fund.loan_corrections(view, "L1")
    assert c["reversed_position"] == third and c["reason"] == "the standing order bounced"
    known = datetime.now(timezone.utc) - timedelta(days=3650)
    assert read_fund.loan_corrections(LedgerView(store, known), "L1") == []


def test_a_command_handler_reads_the_corrected_books_not_the_raw_log(backend):
    """A reversed event no longer counts for the invariants that commands check."""
    from ledger.commands.coop import World
    from ledger.corrections import REVERSAL

    store = backend.store()
    from ledger.events.coop import ReserveSpent
    from ledger.store import NewEvent
    from datetime import date

    store.append("society-c1", [NewEvent(ReserveSpent(coop_id="c1", amount="10.00", purpose="roof"),
                                         date(2024, 1, 1), "spend")], metadata={"actor": "t"})
    from ledger.commands.audit import reverse_event

    reverse_event(store, 1, reason="entered twice", actor="t")
    world = World(store)
    assert [e.type for e in world.stream("society-c1")] == []
    assert world.versions["society-c1"] == 2
    assert world.of_type("ReserveSpent") == [] and len(world.of_type(REVERSAL)) == 1


def _first(store, stream, type_):
    return next(e for e in store.read(stream=stream) if e.type == type_)


def test_an_event_others_rest_on_is_not_reversed_without_a_replacement(store):
    """A one-digit slip once reversed alice's admission under ten years of her payments (`member show` then failed
    and the co-op's figures lost £67k), or the CLT under its co-op."""
    from pathlib import Path

    store.import_lines((Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl")
                       .read_bytes().splitlines())
    head = store.head()
    admitted = _first(store, "member-alice", "MemberAdmitted")
    with pytest.raises(ValidationFailed, match=r"other event\(s\) of member-alice rest"):
        reverse_event(store, admitted.position, "slip", ACTOR)
    clt = _first(store, "society-riverside-clt", "SocietyRegistered")
    with pytest.raises(ValidationFailed, match=r"society-riverside's SocietyRegistered .* names \(clt_id\)"):
        reverse_event(store, clt.position, "slip", ACTOR)
    assert store.head() == head
    # corrected with a replacement it stays founded: allowed
    payload = dict(admitted.payload)
    done = reverse_event(store, admitted.position, "the deposit was mistyped", ACTOR,
                         replacement_type="MemberAdmitted", replacement_payload=payload)
    assert done.written == 1
    # nor is the replacement then removed by reversing its correction (once a way round the rule)
    head = store.head()
    with pytest.raises(ValidationFailed, match=r"other event\(s\) of member-alice rest"):
        reverse_event(store, done.reversal_position, "slip", ACTOR)
    assert store.head() == head
    # a stream with no founding event (an index's values) is corrected value by value
    first_value = _first(store, "index-RPI", "IndexValuePublished")
    assert reverse_event(store, first_value.position, "published in error", ACTOR).written == 1
    # a bank account's stream is the bank's record: its decisions are put back with `bank unmatch`


def test_a_stream_emptied_first_lets_its_founding_event_be_reversed(store):
    """A payment reversed first, then the admission it rested on: nothing is left resting on it."""
    _payment_books(store)
    stream = next(e.stream for e in store.read(type="MemberAdmitted"))
    later = [e for e in store.read(stream=stream) if e.type != "MemberAdmitted"]
    for e in later:
        reverse_event(store, e.position, "entered on the wrong member", ACTOR)
    admitted = _first(store, stream, "MemberAdmitted")
    assert reverse_event(store, admitted.position, "admitted in error", ACTOR).written == 1


def test_a_fund_event_is_not_replaced_unchecked_by_a_correction(store):
    """A correction once replaced a £1,000 withdrawal by one of £50,000: the fund's liquidity went to -49,000, for the
    fund's rules are its commands' and a replacement was checked only as an import line."""
    fund_with_policy(store)
    account = member_account(store, "m1")
    fund_commands.deposit(store, account, D("1000"), on=date(2024, 1, 1), actor=ACTOR)
    done = fund_commands.withdraw(store, account, D("1000"), on=date(2024, 2, 1), actor=ACTOR)
    position = done.positions[0] if hasattr(done, "positions") else next(
        e.position for e in store.read(type="SavingsWithdrawn"))
    head = store.head()
    with pytest.raises(ValidationFailed, match="recorded with `mutual savings withdraw`, which checks it"):
        reverse_event(store, position, "typo", ACTOR, replacement_type="SavingsWithdrawn",
                      replacement_payload={"account_id": account, "amount": "50000"})
    assert store.head() == head
    assert reverse_event(store, position, "typo", ACTOR).written == 1  # reversed, to be entered again by its command
