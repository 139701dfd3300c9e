"""Bank statements against the store, on both engines: idempotency (overlap, re-import, equal lines), matching
through the record checks, returned direct debits, reconciliation, personal data off the chain."""

from __future__ import annotations

import json
from decimal import Decimal as D
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.bank import samples
from ledger.commands import bank
from ledger.errors import LedgerError, NotFound, ValidationFailed
from ledger.source import StoreSource
from projections import bank as read
from projections.coop import member_show

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "coop-ten-years.jsonl"
ACCOUNT = "riverside-current"
RULE = r"(SO|DD)-(?P<member>[a-z0-9]+)-[0-9]{4}-[0-9]{2}"
A, B = samples.riverside_statements()


@pytest.fixture
def coop(store):
    store.import_lines(EXAMPLE.read_bytes().splitlines())
    return store


def _import(store, statement, fmt="camt053", **kw):
    writer = samples.WRITERS[fmt][1]
    return bank.import_statement(store, writer(statement), ACCOUNT, actor="clerk", **kw)


def _names(store):
    return lambda ids: bank.line_names(store, ids)


def _count(store, type_):
    return sum(1 for _ in store.read(type=type_))


@pytest.mark.parametrize("fmt", sorted(samples.WRITERS))
def test_overlapping_statements_and_re_imports_record_each_line_once(coop, fmt):
    first = _import(coop, A, fmt, auto_match=False)
    assert first.lines_new == 7
    second = _import(coop, B, fmt, auto_match=False)
    assert (second.lines_read, second.lines_new, second.already_recorded) == (5, 2, 3)
    head = coop.head()
    again = _import(coop, B, fmt, auto_match=False)
    assert again.written == 0 and again.lines_new == 0 and coop.head() == head
    assert _count(coop, "BankLineImported") == 9


def test_two_equal_payments_on_one_day_stay_two(coop):
    _import(coop, A, "csv", auto_match=False)
    rows = [r for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop)) if r["reference"] == "SO-dan-2025-04"]
    assert len(rows) == 2 and rows[0]["amount"] == rows[1]["amount"] == D("370.40")
    assert rows[0]["line_id"] != rows[1]["line_id"]


def test_a_rule_matches_credits_as_members_payments_with_the_bank_line_as_source(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    outcome = _import(coop, A)
    assert sorted(m["member_id"] for m in outcome.matched) == ["alice", "carol", "dan", "dan", "dan"]
    payments = [e for e in coop.read(stream="member-dan", type="PaymentReceived") if e.payload.get("bank_line")]
    assert len(payments) == 3 and {p.payload["period"] for p in payments} == {"2025-04"}
    assert sum(D(p.payload["amount"]) for p in payments) == D("1481.60")
    # a re-import matches nothing twice
    assert _import(coop, A).written == 0


def test_a_payment_goes_to_the_earliest_unpaid_due_month(coop):
    from ledger.commands.coop import accrue

    from ledger.commands.audit import reverse_event

    accrue(coop, date(2025, 4, 1), actor="clerk")  # dues for 2025-04
    march = next(e for e in coop.read(stream="member-dan", type="PaymentReceived") if e.payload["period"] == "2025-03")
    reverse_event(coop, march.position, "the standing order bounced", "auditor")  # March is unpaid now
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    periods = [e.payload["period"] for e in coop.read(stream="member-dan", type="PaymentReceived")
               if e.payload.get("bank_line")]
    assert periods == ["2025-03", "2025-04", "2025-04"]  # March first; April part-paid by the two halves


def test_a_returned_direct_debit_is_the_members_payment_returned_on_the_day_of_the_return(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    before = member_show(StoreSource(coop), "dan", date(2025, 4, 30))
    outcome = _import(coop, B)
    assert len(outcome.returned) == 1 and outcome.returned[0]["member_id"] == "dan"
    assert outcome.returned[0]["reversed_position"] is not None
    [returned] = [e for e in coop.read(stream="member-dan") if e.type == "PaymentReturned"]
    paid = next(e for e in coop.read(stream="member-dan")
                if e.type == "PaymentReceived" and e.payload.get("bank_line") == returned.payload["returned_line"])
    assert returned.payload["amount"] == paid.payload["amount"] and returned.effective_date > paid.effective_date
    # the payment counted until the bank took it back, and from that day it counts for nothing
    day_before = returned.effective_date - timedelta(days=1)
    assert D(member_show(StoreSource(coop), "dan", day_before)["payments_received"]) - \
        D(member_show(StoreSource(coop), "dan", returned.effective_date)["payments_received"]) == D(paid.payload["amount"])
    after = member_show(StoreSource(coop), "dan", date(2025, 4, 30))
    assert D(before["payments_received"]) - D(after["payments_received"]) == D(paid.payload["amount"])
    # both lines have left the queue, and nothing moves on a re-import
    queue = read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))
    assert all(r["reference"] != "DD-dan-2025-04" for r in queue)
    assert _import(coop, B).written == 0


def test_a_return_in_the_same_statement_as_its_payment_is_the_payment_made_and_returned(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    whole = samples.SampleStatement("W", samples.RIVERSIDE_IBAN, date(2025, 4, 1), date(2025, 4, 30),
                                    samples.RIVERSIDE_OPENING, tuple(samples.riverside_april()))
    outcome = _import(coop, whole, "mt940")
    assert len(outcome.returned) == 1 and outcome.returned[0]["member_id"] == "dan"
    assert sum(1 for m in outcome.matched if m["member_id"] == "dan") == 3  # the two equal ones and the DD returned
    assert [e.type for e in coop.read(stream="member-dan") if e.payload.get("bank_reference") == "DD-dan-2025-04"] \
        == ["PaymentReceived", "PaymentReturned"]


def _dan(store):
    return [(day, member_show(StoreSource(store), "dan", day)["payments_received"],
             member_show(StoreSource(store), "dan", day)["arrears"])
            for day in (date(2025, 4, 1), date(2025, 4, 10), date(2025, 4, 15), date(2025, 4, 16), date(2025, 4, 30))]


def _imported(store, order):
    bank.set_rule(store, ACCOUNT, "so", RULE, None, actor="treasurer")
    if order == "a then b":
        _import(store, A), _import(store, B)
    elif order == "b then a":
        _import(store, B), _import(store, A)
    else:
        whole = samples.SampleStatement("W", samples.RIVERSIDE_IBAN, date(2025, 4, 1), date(2025, 4, 30),
                                        samples.RIVERSIDE_OPENING, tuple(samples.riverside_april()))
        _import(store, whole, "mt940")
    return _dan(store)


@pytest.mark.parametrize("order", ["b then a", "one statement"])
def test_a_direct_debit_and_its_return_give_the_same_books_however_the_statements_came(order, coop, backend,
                                                                                      new_backend):
    """The bank's cut of its statements and the order a clerk imports them in change nothing: the payment counted
    from the day it was collected until the day it was returned."""
    reference = new_backend(backend.name).store()
    reference.import_lines(EXAMPLE.read_bytes().splitlines())
    assert _imported(coop, order) == _imported(reference, "a then b")
    received = {day: D(paid) for day, paid, _ in _dan(coop)}
    assert received[date(2025, 4, 15)] - received[date(2025, 4, 16)] == D("740.80")  # returned on the 16th


def test_match_ignore_and_reconcile_clear_the_queue(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    _import(coop, B)
    source = StoreSource(coop)
    queue = read.unmatched(source, ACCOUNT, _names(coop))
    assert [(r["reference"], r["counterparty"]) for r in queue] == [
        ("SERVICE-CHARGE", "RIVERSIDE BANK"), ("THANKYOU", "R BROWN"), ("MORTGAGE-2025-04", "RIVERSIDE LENDER")]
    report = read.reconcile(source, ACCOUNT, date(2025, 4, 30), _names(coop))
    assert report["statement_balance"] == report["ledger_balance"] == D("11039.01")
    assert [d["kind"] for d in report["differences"]] == ["unmatched-line"] * 3
    gift = queue[1]["line_id"]
    bank.match_line(coop, ACCOUNT, gift[:10], "carol", actor="clerk")
    bank.ignore_line(coop, ACCOUNT, queue[0]["line_id"], "bank charges", actor="clerk")
    bank.ignore_line(coop, ACCOUNT, queue[2]["line_id"], "mortgage payment to the lender", actor="clerk")
    report = read.reconcile(StoreSource(coop), ACCOUNT, date(2025, 4, 30), _names(coop))
    assert report["reconciled"] and report["differences"] == []
    assert bank.learned_payees(coop, ACCOUNT) == {"R BROWN": "carol"}
    with pytest.raises(ValidationFailed, match="already matched to carol"):
        bank.match_line(coop, ACCOUNT, gift, "alice", actor="clerk")


def test_reconcile_lists_a_balance_gap_and_a_payment_that_differs_from_its_line(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    data = samples.camt053(A).replace(b"<Amt Ccy=\"GBP\">13279.81</Amt>", b"<Amt Ccy=\"GBP\">13279.80</Amt>")
    bank.import_statement(coop, data, ACCOUNT, actor="clerk")
    alice = next(e for e in coop.read(stream="member-alice", type="PaymentReceived") if e.payload.get("bank_line"))
    from ledger.commands.audit import reverse_event

    reverse_event(coop, alice.position, "keyed the wrong amount", "auditor", "PaymentReceived",
                  {**alice.payload, "amount": "700.00"})
    report = read.reconcile(StoreSource(coop), ACCOUNT, date(2025, 4, 12), _names(coop))
    kinds = {d["kind"]: d for d in report["differences"]}
    assert kinds["balance-gap"]["amount"] == D("-0.01")
    assert kinds["amount-differs"]["member_id"] == "alice" and kinds["amount-differs"]["payment"] == D("700.00")


def test_a_match_is_held_to_the_record_checks(coop):
    _import(coop, A, auto_match=False)
    line = read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))[0]["line_id"]
    head = coop.head()
    with pytest.raises(ValidationFailed, match="bob.*on or after member bob left"):
        bank.match_line(coop, ACCOUNT, line, "bob", actor="clerk")
    with pytest.raises(ValidationFailed, match="has not been admitted"):
        bank.match_line(coop, ACCOUNT, line, "zed", actor="clerk")
    debit = next(r for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop)) if r["kind"] == "debit")
    with pytest.raises(ValidationFailed, match="only a credit"):
        bank.match_line(coop, ACCOUNT, debit["line_id"], "alice", actor="clerk")
    with pytest.raises(NotFound):
        bank.match_line(coop, ACCOUNT, "bl-nosuchline", "alice", actor="clerk")
    assert coop.head() == head


def test_a_malformed_statement_writes_nothing(coop):
    head = coop.head()
    bad = samples.camt053(B).replace(b"<Sts>BOOK</Sts>", b"<Sts>PDNG</Sts>")
    with pytest.raises(LedgerError, match="Ntry 1.*Sts"):
        bank.import_statement(coop, bad, ACCOUNT, actor="clerk")
    assert coop.head() == head
    with coop.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM bank_line_details")).scalar() == 0


def test_names_stay_off_the_chain_and_an_erasure_leaves_the_books_verifying(coop):
    _import(coop, A, auto_match=False)
    chain = json.dumps([e.payload for e in coop.read(stream=f"bank-{ACCOUNT}")])
    assert "SMITH" not in chain and "PATEL" not in chain and "SO-alice-2025-04" in chain
    line = read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))[0]
    assert line["counterparty"] == "A SMITH"
    assert bank.erase_line_details(coop, line["line_id"])
    assert read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))[0]["counterparty"] == ""
    from ledger.store.verify import verify

    assert verify(coop).intact
    # a re-import does not bring an erased name back
    _import(coop, A, auto_match=False)
    assert read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))[0]["counterparty"] == ""


def test_rules_are_events_a_treasurer_can_read_and_replace(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    assert bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer").written == 0
    bank.set_rule(coop, ACCOUNT, "gift", "THANKYOU", "carol", actor="treasurer")
    assert [(r["rule_id"], r["member_id"]) for r in read.rules(StoreSource(coop), ACCOUNT)] == [
        ("so", None), ("gift", "carol")]
    bank.remove_rule(coop, ACCOUNT, "gift", actor="treasurer")
    assert [r["rule_id"] for r in read.rules(StoreSource(coop), ACCOUNT)] == ["so"]
    with pytest.raises(ValidationFailed, match="pattern"):
        bank.set_rule(coop, ACCOUNT, "bad", "SO-(", None, actor="treasurer")


def test_the_writer_role_imports_and_erases_and_the_auditor_reads_no_names(backend, coop):
    if backend.name != "postgresql":
        pytest.skip("roles are a PostgreSQL feature; SQLite has file permissions")
    from sqlalchemy.exc import DBAPIError

    from ledger.store import EventStore
    from ledger.store.engine import make_engine

    def as_role(role):
        return EventStore(make_engine(backend.url.replace("options=", f"options=-crole%3D{role}%20")))

    writer = as_role("mutual_writer")
    bank.set_rule(writer, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(writer, A)
    line = next(r["line_id"] for r in read.unmatched(StoreSource(writer), ACCOUNT, _names(writer))
                if r["kind"] == "credit")
    bank.match_line(writer, ACCOUNT, line, "carol", actor="clerk")
    assert bank.erase_line_details(writer, line)
    auditor = as_role("mutual_auditor")
    with pytest.raises((DBAPIError, LedgerError)):
        bank.line_names(auditor, [line])


def test_erasing_a_member_erases_their_payers_details_and_learned_names_in_the_bank_tables(coop):
    from ledger.bank import personal
    from ledger.commands.people import add_person, erase_person

    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    matched = [e.payload["line_id"] for e in coop.read(type="BankLineMatched") if e.payload["member_id"] == "dan"]
    assert matched and all(bank.line_names(coop, matched).values())
    queue = read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))
    gift = next(r for r in queue if r["reference"] == "THANKYOU")
    bank.match_line(coop, ACCOUNT, gift["line_id"], "dan", actor="clerk")  # learns the payer's name for dan
    with coop.recorder.reading() as conn:
        assert "dan" in personal.payees(conn, ACCOUNT).values()
    add_person(coop, "dan", {"name": "Dan Patel"}, actor="clerk", kind="member")
    erase_person(coop, "dan", "the member asked", actor="clerk")
    assert bank.line_names(coop, matched + [gift["line_id"]]) == {}
    with coop.recorder.reading() as conn:
        assert "dan" not in personal.payees(conn, ACCOUNT).values()


def test_a_payment_entered_by_hand_is_not_matched_again_from_the_statement(coop):
    from ledger.commands.coop import record

    record(coop, [{"stream": "member-alice", "type": "PaymentReceived", "effective_date": "2025-04-01",
                   "payload": {"member_id": "alice", "amount": "718.85", "period": "2025-04",
                               "bank_reference": "SO-alice-2025-04"}}], actor="clerk")
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    outcome = _import(coop, A)
    assert any("entered by hand already" in r["reason"] for r in outcome.not_matched)
    receipts = [e for e in coop.read(stream="member-alice", type="PaymentReceived")
                if e.effective_date == date(2025, 4, 1)]
    assert len(receipts) == 1  # the same money once, not twice
    assert any(r["reference"] == "SO-alice-2025-04" for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop)))


def _by_hand(store, member, amount, on, reference, key=None):
    from ledger.commands.coop import record

    event = {"stream": f"member-{member}", "type": "PaymentReceived", "effective_date": on,
             "payload": {"member_id": member, "amount": amount, "period": on[:7], "bank_reference": reference}}
    return record(store, [event | ({"idempotency_key": key} if key else {})], actor="clerk-b")


def _receipts(store, member, on):
    return [e for e in store.read(stream=f"member-{member}", type="PaymentReceived") if e.effective_date == on]


@pytest.mark.parametrize("reference", ["SO-alice-2025-04", "SO-ALICE-2025-04 ", "so-alice-2025-04\n"])
def test_a_payment_entered_by_hand_after_the_statement_matched_it_is_the_same_money(coop, reference):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    head = coop.head()
    with pytest.raises(ValidationFailed) as refused:
        _by_hand(coop, "alice", "718.85", "2025-04-01", reference)
    [error] = refused.value.errors
    assert error.field == "payload.bank_reference" and "the same money" in error.reason
    assert "matched from bank line" in error.reason
    assert coop.head() == head and len(_receipts(coop, "alice", date(2025, 4, 1))) == 1


def test_the_same_money_entered_twice_by_hand_is_one_receipt_unless_a_key_tells_them_apart(coop):
    assert _by_hand(coop, "alice", "718.85", "2025-04-01", "SO-ALICE-2025-04").written == 1
    assert _by_hand(coop, "alice", "718.85", "2025-04-01", "SO-ALICE-2025-04").written == 0  # a retry: recorded
    for variant in ("SO-ALICE-2025-04 ", "so-alice-2025-04", " SO-ALICE-2025-04\n"):
        with pytest.raises(ValidationFailed, match="the same money"):
            _by_hand(coop, "alice", "718.85", "2025-04-01", variant)
    # another period written for the same money is the same money too
    from ledger.commands.coop import record

    with pytest.raises(ValidationFailed, match="the same money"):
        record(coop, [{"stream": "member-alice", "type": "PaymentReceived", "effective_date": "2025-04-01",
                       "payload": {"member_id": "alice", "amount": "718.85", "period": "2025-05",
                                   "bank_reference": "SO-ALICE-2025-04"}}], actor="clerk-c")
    # two equal payments a clerk tells apart by their statement lines are two (docs/events.md "Two equal facts")
    assert _by_hand(coop, "alice", "718.85", "2025-04-01", "SO-ALICE-2025-04", key="stmt-9").written == 1
    assert len(_receipts(coop, "alice", date(2025, 4, 1))) == 2


def test_one_payment_entered_by_hand_is_the_money_of_one_of_two_equal_lines(coop):
    _by_hand(coop, "dan", "370.40", "2025-04-11", "SO-dan-2025-04")
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    outcome = _import(coop, A)
    refused = [r for r in outcome.not_matched if "entered by hand already" in r["reason"]]
    matched = [m for m in outcome.matched if m["member_id"] == "dan" and m["amount"] == D("370.40")]
    assert len(refused) == 1 and len(matched) == 1
    assert len(_receipts(coop, "dan", date(2025, 4, 11))) == 2  # the two lines' money, each once
    # the refused line ignored as the refusal advises: the other stays matched, nothing else moves
    bank.ignore_line(coop, ACCOUNT, refused[0]["line_id"], "entered by hand", actor="clerk")
    assert bank.auto_match(coop, ACCOUNT, actor="clerk").written == 0


def test_a_direct_debit_entered_by_hand_and_returned_by_the_bank_is_returned(coop):
    _by_hand(coop, "dan", "740.80", "2025-04-01", "DD-dan-2025-04")
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    outcome = _import(coop, B)
    assert [(r["member_id"], r["reversed_position"] is not None) for r in outcome.returned] == [("dan", True)]
    [returned] = [e for e in coop.read(stream="member-dan") if e.type == "PaymentReturned"]
    assert returned.effective_date == date(2025, 4, 16) and returned.payload["amount"] == "740.80"
    day_before = member_show(StoreSource(coop), "dan", date(2025, 4, 15))["payments_received"]
    on_the_day = member_show(StoreSource(coop), "dan", date(2025, 4, 16))["payments_received"]
    assert D(day_before) - D(on_the_day) == D("740.80")
    assert all(r["reference"] != "DD-dan-2025-04" for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop)))


def test_a_wrong_match_is_put_back_in_the_queue_with_its_payment_and_matched_again(coop):
    """R BROWN's £120 matched to carol by mistake could once never be undone: the match and the payment stood, and
    matching the line to the right member was refused as "already matched"."""
    _import(coop, A)
    [brown] = [r for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop)) if r["reference"] == "THANKYOU"]
    bank.match_line(coop, ACCOUNT, brown["line_id"], "carol", actor="clerk", learn=False)
    received = D(member_show(StoreSource(coop), "carol", date(2025, 4, 30))["payments_received"])
    with pytest.raises(ValidationFailed, match="already matched to carol"):
        bank.match_line(coop, ACCOUNT, brown["line_id"], "alice", actor="clerk")
    retried = bank.match_line(coop, ACCOUNT, brown["line_id"], "Carol", actor="another-clerk")
    assert (retried.written, retried.already_recorded) == (0, 1)  # a retry: already recorded, as typed commands say
    undone = bank.unmatch_line(coop, ACCOUNT, brown["line_id"], "R BROWN is alice's lodger", actor="treasurer")
    assert undone.written == 2  # the match and carol's payment, each reversed on its own stream
    assert D(member_show(StoreSource(coop), "carol", date(2025, 4, 30))["payments_received"]) == \
        received - D("120.00")
    assert any(r["line_id"] == brown["line_id"] for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop)))
    with pytest.raises(ValidationFailed, match="in the queue already"):  # (another clerk's retry: said, not done)
        bank.unmatch_line(coop, ACCOUNT, brown["line_id"], "again", actor="t")
    again = bank.match_line(coop, ACCOUNT, brown["line_id"], "alice", actor="clerk", learn=False)
    assert again.written == 2  # a new decision: its own keys, not a replay of the reversed one
    [payment] = [e for e in coop.read(stream="member-alice", type="PaymentReceived")
                 if e.payload.get("bank_line") == brown["line_id"]]
    assert payment.payload["amount"] == "120.00"
    report = read.reconcile(StoreSource(coop), ACCOUNT, date(2025, 4, 12), _names(coop))
    assert not [d for d in report["differences"] if d.get("line_id") == brown["line_id"]]


def test_an_ignored_line_is_put_back_and_a_line_in_the_queue_or_settled_by_a_return_is_refused(coop):
    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    _import(coop, B)
    queue = read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))
    [brown] = [r for r in queue if r["reference"] == "THANKYOU"]
    with pytest.raises(ValidationFailed, match="in the queue already"):
        bank.unmatch_line(coop, ACCOUNT, brown["line_id"], "why", actor="t")
    bank.ignore_line(coop, ACCOUNT, brown["line_id"], "a gift", actor="clerk")
    assert bank.ignore_line(coop, ACCOUNT, brown["line_id"], "a gift", actor="clerk-b").already_recorded == 1
    assert bank.unmatch_line(coop, ACCOUNT, brown["line_id"], "not a gift", actor="t").written == 1
    assert bank.ignore_line(coop, ACCOUNT, brown["line_id"], "a gift after all", actor="clerk").written == 1
    returned = next(e.payload["returned_line_id"] for e in coop.read(type="BankPaymentReturned"))
    with pytest.raises(ValidationFailed, match="settled by a return"):
        bank.unmatch_line(coop, ACCOUNT, returned, "why", actor="t")


def test_an_equal_line_of_another_member_does_not_take_a_members_hand_entry(coop):
    """Carol's £500 RENT and alice's on one day, alice's £500 entered by hand: carol's line in the queue once
    counted as having taken alice's entry, so alice's line was matched and her £500 counted twice."""
    def statement(name, day, first, second):
        lines = (samples.SampleLine(day, D("500.00"), "RENT", "C JONES", first),
                 samples.SampleLine(day, D("500.00"), "RENT", "A SMITH", second))
        return samples.SampleStatement(name, samples.RIVERSIDE_IBAN, day, day, samples.RIVERSIDE_OPENING, lines)

    _import(coop, statement("S1", date(2025, 5, 2), "RVS250502001", "RVS250502002"), auto_match=False)
    first = {r["counterparty"]: r["line_id"] for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))}
    bank.match_line(coop, ACCOUNT, first["C JONES"], "carol", actor="clerk")  # (their names learned)
    bank.match_line(coop, ACCOUNT, first["A SMITH"], "alice", actor="clerk")
    _by_hand(coop, "alice", "500.00", "2025-05-09", "RENT")
    _import(coop, statement("S2", date(2025, 5, 9), "RVS250509001", "RVS250509002"), auto_match=False)
    queue = {r["counterparty"]: r["line_id"] for r in read.unmatched(StoreSource(coop), ACCOUNT, _names(coop))}
    with pytest.raises(ValidationFailed, match="entered by hand already"):
        bank.match_line(coop, ACCOUNT, queue["A SMITH"], "alice", actor="clerk")
    assert len(_receipts(coop, "alice", date(2025, 5, 9))) == 1
    # carol's line is carol's payment, the hand entry takes nothing of it
    assert bank.match_line(coop, ACCOUNT, queue["C JONES"], "carol", actor="clerk").written == 2


def test_a_bank_line_decision_is_not_reversed_by_mutual_correct(coop):
    from ledger.commands.audit import reverse_event

    bank.set_rule(coop, ACCOUNT, "so", RULE, None, actor="treasurer")
    _import(coop, A)
    matched = next(e for e in coop.read(type="BankLineMatched"))
    with pytest.raises(ValidationFailed, match="bank unmatch"):
        reverse_event(coop, matched.position, "wrong member", "clerk")


def test_a_receipt_with_a_blank_reference_or_a_month_before_admission_is_refused(coop):
    for reference, period, field in (("   ", "2025-04", "payload.bank_reference"),
                                     ("SO-ALICE-X", "1990-01", "payload.period")):
        from ledger.commands.coop import record

        with pytest.raises(ValidationFailed) as refused:
            record(coop, [{"stream": "member-alice", "type": "PaymentReceived", "effective_date": "2025-04-02",
                           "payload": {"member_id": "alice", "amount": "10.00", "period": period,
                                       "bank_reference": reference}}], actor="clerk")
        assert [e.field for e in refused.value.errors] == [field]
