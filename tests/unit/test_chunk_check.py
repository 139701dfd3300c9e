"""The import checks a chunk of lines in one pydantic-core call: it must decide exactly as the per-line path.

`validate_lines` (the chunk check, then a lean loop) and `validate_lines_one_by_one`
(pydantic models and `pending_from_envelope`, line by line) must return the same
pending events and the same errors for any input; and what the chunk check is
compiled from (TypedDicts of the models, a native calendar-date pattern) must
accept exactly what the models accept.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings, strategies as st
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from ledger.events import REGISTRY
from ledger.events.fastcheck import CALENDAR_DATE, typed_dict_of
from ledger.events.types import for_python
from ledger.events.types import EventDate
from ledger.store import chunks, mapper
from ledger.store.mapper import validate_lines, validate_lines_one_by_one

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_LINES = [line for name in ("coop-ten-years.jsonl", "appendix6.jsonl")
                 for line in (EXAMPLES / name).read_bytes().splitlines()]
_FIRST = {}
for _line in EXAMPLE_LINES:
    _FIRST.setdefault(orjson.loads(_line)["type"], orjson.loads(_line))
# One valid envelope per event type: the examples' first, or one written here.
SEEDS = {**_FIRST, **{
    "MemberAdmitted": {"stream": "member-m1", "type": "MemberAdmitted", "effective_date": "2015-04-01",
                       "payload": {"member_id": "m1", "coop_id": "c1", "dwelling_id": "d1", "annual_payment": "5554.00",
                                   "deposit": "5800", "debt_share": "108315", "mortgage_id": None},
                       "metadata": {"actor": "clerk"}},
    "EventReversed": {"stream": "member-m1", "type": "EventReversed", "effective_date": "2024-01-31",
                      "payload": {"position": 3, "reason": "keyed twice", "replacement_type": "PaymentReceived",
                                  "replacement_payload": {"member_id": "m1", "amount": "1.00", "period": "2024-01"}},
                      "metadata": {"actor": "clerk", "reason": "duplicate"}},
    "PeriodClosed": {"stream": "society-c1", "type": "PeriodClosed", "effective_date": "2024-12-31",
                     "payload": {"society_id": "c1", "period_start": "2024-01-01", "period_end": "2024-12-31"},
                     "metadata": {"actor": "clerk"}},
    "SavingsWithdrawn": {"stream": "account-a1", "type": "SavingsWithdrawn", "effective_date": "2024-02-29",
                         "payload": {"account_id": "a1", "amount": "10.00", "notice_given_on": "2024-01-31"},
                         "metadata": {"actor": "clerk"}},
    "PaymentReductionAgreed": {"stream": "member-m1", "type": "PaymentReductionAgreed", "effective_date": "2024-03-01",
                               "payload": {"member_id": "m1", "annual_payment": "4800.00", "units_sold": "12.5",
                                           "reason": "hardship"}, "metadata": {"actor": "clerk"}},
    "UnitsTransferred": {"stream": "dwelling-d1", "type": "UnitsTransferred", "effective_date": "2024-03-01",
                         "payload": {"dwelling_id": "d1", "from_holder": "member", "to_holder": "financed",
                                     "units": "12.5", "price": "1250.00"}, "metadata": {"actor": "clerk"}},
    "ReserveTransferred": {"stream": "society-c1", "type": "ReserveTransferred", "effective_date": "2024-03-01",
                           "payload": {"coop_id": "c1", "amount": "-250.00", "purpose": "grant to the sinking fund"},
                           "metadata": {"actor": "clerk"}},
    "PaymentReturned": {"stream": "member-m1", "type": "PaymentReturned", "effective_date": "2024-03-05",
                        "payload": {"member_id": "m1", "amount": "500.00", "bank_reference": "RETURN DD-m1-2024-03"},
                        "metadata": {"actor": "clerk"}},
    "MortgagePrepaid": {"stream": "mortgage-mg1", "type": "MortgagePrepaid", "effective_date": "2024-03-01",
                        "payload": {"mortgage_id": "mg1", "amount": "5000.00", "bank_reference": "CHAPS-1"},
                        "metadata": {"actor": "clerk"}},
    "DividendPaid": {"stream": "member-m1", "type": "DividendPaid", "effective_date": "2024-03-01",
                     "payload": {"member_id": "m1", "society_id": "c1", "amount": "3.50", "period": "2023"},
                     "metadata": {"actor": "clerk"}},
    "AfterSavingsReleased": {"stream": "account-a1", "type": "AfterSavingsReleased", "effective_date": "2024-03-01",
                             "payload": {"account_id": "a1", "loan_id": "l1", "amount": "100.00"},
                             "metadata": {"actor": "clerk"}},
    "PointsGifted": {"stream": "member-m1", "type": "PointsGifted", "effective_date": "2024-03-01",
                     "payload": {"from_member_id": "m1", "to_member_id": "m2", "points": "1200.5"},
                     "metadata": {"actor": "clerk"}},
    "LoanWrittenOff": {"stream": "loan-l1", "type": "LoanWrittenOff", "effective_date": "2024-03-01",
                       "payload": {"loan_id": "l1", "amount": "99.99", "reason": "borrower died"},
                       "metadata": {"actor": "clerk"}},
    "FundExpense": {"stream": "society-f1", "type": "FundExpense", "effective_date": "2024-03-01",
                    "payload": {"fund_id": "f1", "amount": "120.00", "purpose": "audit fee"},
                    "metadata": {"actor": "clerk"}},
    "ArrangementAgreed": {"stream": "member-m1", "type": "ArrangementAgreed", "effective_date": "2024-03-01",
                          "payload": {"member_id": "m1", "amount": "50.00", "start_month": "2024-04", "months": 6,
                                      "reason": "hardship"}, "metadata": {"actor": "clerk"}},
    # the bank's events (ledger/events/bank.py)
    "BankLineImported": {"stream": "bank-b1", "type": "BankLineImported", "effective_date": "2024-03-01",
                         "payload": {"account_id": "b1", "line_id": "bl-0123456789abcdef01234567",
                                     "bank_line_ref": "FIT-1", "booked_date": "2024-03-01",
                                     "value_date": "2024-03-02", "amount": "-12.50", "currency": "GBP",
                                     "reference": "SO-m1-2024-03", "kind": "debit", "format": "ofx"},
                         "metadata": {"actor": "clerk"}},
    "BankBalanceStated": {"stream": "bank-b1", "type": "BankBalanceStated", "effective_date": "2024-03-31",
                          "payload": {"account_id": "b1", "balance_date": "2024-03-31", "amount": "100.00",
                                      "currency": "GBP", "kind": "closing"}, "metadata": {"actor": "clerk"}},
    "BankLineMatched": {"stream": "bank-b1", "type": "BankLineMatched", "effective_date": "2024-03-01",
                        "payload": {"account_id": "b1", "line_id": "bl-1", "member_id": "m1", "period": "2024-03",
                                    "rule": "manual"}, "metadata": {"actor": "clerk"}},
    "BankLineIgnored": {"stream": "bank-b1", "type": "BankLineIgnored", "effective_date": "2024-03-01",
                        "payload": {"account_id": "b1", "line_id": "bl-1", "reason": "bank charges"},
                        "metadata": {"actor": "clerk"}},
    "BankPaymentReturned": {"stream": "bank-b1", "type": "BankPaymentReturned", "effective_date": "2024-03-05",
                            "payload": {"account_id": "b1", "line_id": "bl-2", "returned_line_id": "bl-1",
                                        "member_id": "m1", "reversed_position": 7}, "metadata": {"actor": "clerk"}},
    "BankMatchRuleSet": {"stream": "bank-b1", "type": "BankMatchRuleSet", "effective_date": "2024-03-01",
                         "payload": {"account_id": "b1", "rule_id": "so", "pattern": "SO-(?P<member>[a-z0-9]+)-.*"},
                         "metadata": {"actor": "clerk"}},
    "BankMatchRuleRemoved": {"stream": "bank-b1", "type": "BankMatchRuleRemoved", "effective_date": "2024-03-01",
                             "payload": {"account_id": "b1", "rule_id": "so"}, "metadata": {"actor": "clerk"}},
    "ChartOfAccountsSet": {"stream": "society-c1", "type": "ChartOfAccountsSet", "effective_date": "2024-01-01",
                           "payload": {"society_id": "c1", "accounts": [{"role": "bank", "name": "Assets:C1:Barclays",
                                                                         "code": "1010"}]},
                           "metadata": {"actor": "clerk"}},
    "ApprovalLimitSet": {"stream": "society-c1", "type": "ApprovalLimitSet", "effective_date": "2024-01-01",
                         "payload": {"coop_id": "c1", "reserve_spending_limit": "2500.00"},
                         "metadata": {"actor": "clerk"}},
    "ProposalMade": {"stream": "proposal-p1", "type": "ProposalMade", "effective_date": "2024-03-01",
                     "payload": {"proposal_id": "p1", "command": "member leave", "summary": "member leave m1",
                                 "argv_digest": "abababababababababababababababababababababababababababababababab", "proposer": "clerk1",
                                 "needs": "a payout needs a second user's approval"},
                     "metadata": {"actor": "clerk1"}},
    "ProposalApproved": {"stream": "proposal-p1", "type": "ProposalApproved", "effective_date": "2024-03-01",
                         "payload": {"proposal_id": "p1", "approver": "treasurer1", "argv_digest": "abababababababababababababababababababababababababababababababab",
                                     "first_position": 7, "last_position": 9},
                         "metadata": {"actor": "treasurer1"}},
    "ProposalRejected": {"stream": "proposal-p1", "type": "ProposalRejected", "effective_date": "2024-03-01",
                         "payload": {"proposal_id": "p1", "by": "treasurer1", "reason": "not agreed"},
                         "metadata": {"actor": "treasurer1"}},
    "ProposalRefused": {"stream": "proposal-p1", "type": "ProposalRefused", "effective_date": "2024-03-01",
                        "payload": {"proposal_id": "p1", "approver": "treasurer1", "reason": "member: has left"},
                        "metadata": {"actor": "treasurer1"}},
}}

NASTY = st.one_of(
    st.text(max_size=8), st.integers(-3, 3), st.integers(2**63, 2**64), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=1),
    st.dictionaries(st.sampled_from(["a", "actor", "kind"]), st.text(max_size=3), max_size=2),
    st.sampled_from(["12.30", "12.345", "1e3", "-0", "0", "0.00", "2024-02-29", "2023-02-29", "2100-02-29",
                     "2000-02-29", "2024-04-31", "2024-13-01", "2024-01-31\n", "m1", " m1", "m1\n", "member-m1",
                     "society-c1", "loan-l1", "member-", "MEMBER-m1", "0.035", "11", "NaN", "", "x" * 501,
                     "valuation", "clt", "prior-period", "2024", "2024-01", "\u00e9", "a\"b", "a\\b", "a b",
                     "2026-01-01T00:00:00Z", "2020-01-01T00:00:00.000001Z", "2020-01-01T00:00:00", "yesterday",
                     "0" * 64, "a" * 64, "A" * 64, "PaymentReceived", "NoSuchType"]),
)
ENVELOPE_FIELDS = ["stream", "type", "effective_date", "payload", "metadata", "schema_version", "version",
                   "position", "idempotency_key", "recorded_at", "prev_hash", "hash", "extra"]


def _line(value) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, as text
        import json

        return json.dumps(value).encode()


@st.composite
def envelopes(draw):
    """A valid envelope of some type, often with a few fields (envelope, payload or metadata) made hostile."""
    seed = draw(st.sampled_from(sorted(SEEDS)))
    envelope = orjson.loads(orjson.dumps(SEEDS[seed]))
    for _ in range(draw(st.integers(0, 2))):
        where = draw(st.sampled_from(["envelope", "payload", "metadata", "drop"]))
        if where == "envelope":
            envelope[draw(st.sampled_from(ENVELOPE_FIELDS))] = draw(NASTY)
        elif where == "drop":
            envelope.pop(draw(st.sampled_from(ENVELOPE_FIELDS)), None)
        else:
            inner = envelope.get(where)
            names = list(REGISTRY[seed].model_fields) + ["extra"] if where == "payload" else \
                ["actor", "reason", "correlation_id", "causation_id", "adjustment", "role"]
            if isinstance(inner, dict):
                name = draw(st.sampled_from(names))
                if draw(st.booleans()):
                    inner[name] = draw(NASTY)
                else:
                    inner.pop(name, None)
    return _line(envelope)


lines = st.lists(st.one_of(envelopes(), envelopes(), envelopes(),
                           st.sampled_from([b"", b"  ", b"{", b"[]", b"null", b"{}", b"\xff", b'{"a":1,"a":2}'])),
                 max_size=12)


@settings(max_examples=400, deadline=None)
@given(batch=lines, actor=st.sampled_from([None, "importer"]), first=st.integers(1, 30))
def test_the_chunk_check_decides_exactly_as_the_per_line_path(batch, actor, first):
    assert validate_lines(batch, first, actor) == validate_lines_one_by_one(batch, first, actor)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(envelopes(), min_size=300, max_size=600), actor=st.sampled_from([None, "importer"]))
def test_chunks_longer_than_a_block_decide_as_the_per_line_path(batch, actor):
    assert validate_lines(batch, 1, actor, max_errors=10**6) == validate_lines_one_by_one(batch, 1, actor, max_errors=10**6)


def test_the_examples_take_the_chunk_path_and_come_out_as_line_by_line():
    envelopes_ = [orjson.loads(line) for line in EXAMPLE_LINES]
    # every line at its type's current schema version takes the chunk path; one of an older version (a
    # MemberAdmitted version 1, with a salary) takes the per-line path, which upcasts it
    older = {i for i, e in enumerate(envelopes_) if REGISTRY[e["type"]].version_of(e["payload"])
             != REGISTRY[e["type"]].schema_version}
    assert mapper._chunk_check(envelopes_) == (older or None)
    fast = validate_lines(EXAMPLE_LINES, 1, None)
    assert fast == validate_lines_one_by_one(EXAMPLE_LINES, 1, None)
    assert len(fast[0]) == len(EXAMPLE_LINES) and not fast[1]


def test_the_seed_of_every_event_type_but_a_reversal_takes_the_chunk_path():
    assert sorted(SEEDS) == sorted(REGISTRY)
    names = sorted(SEEDS)
    seeds = [SEEDS[name] for name in names]
    # a reversal's replacement is checked as an event of its own type, which only the per-line path does
    assert mapper._chunk_check(seeds) == {names.index("EventReversed")}
    batch = [orjson.dumps(s) for s in seeds]
    assert validate_lines(batch) == validate_lines_one_by_one(batch)


def test_refused_lines_are_found_among_accepted_ones_and_named_in_order():
    good = orjson.dumps(SEEDS["PaymentReceived"])
    bad_amount = orjson.dumps({**SEEDS["PaymentReceived"], "payload": {**SEEDS["PaymentReceived"]["payload"],
                                                                       "amount": 12.5}})
    batch = [good] * 300 + [bad_amount, b"{", good, b""] + [good] * 200 + [bad_amount]
    pendings, errors = validate_lines(batch, 11)
    assert (pendings, errors) == validate_lines_one_by_one(batch, 11)
    assert [e.field for e in errors] == ["line 311: payload.amount", "line 312: line", "line 515: payload.amount"]
    assert len(pendings) == 501


@pytest.mark.parametrize("recorded_at", ["2024-02-30T00:00:00Z", "2024-01-01T00:00:00", "0001-01-01T00:00:00+01:00",
                                         "9999-12-31T23:59:59-01:00"])
def test_an_export_line_with_a_bad_recorded_time_is_explained_by_the_per_line_path(recorded_at):
    line = orjson.dumps({**SEEDS["PaymentDue"], "recorded_at": recorded_at})
    assert validate_lines([line]) == validate_lines_one_by_one([line])
    [error] = validate_lines([line])[1]
    assert error.field == "line 1: recorded_at" and "must be an ISO-8601 UTC timestamp" in error.reason


# -- what the chunk check is compiled from -------------------------------------------------------

def _all_pattern_dates():
    """Every string EventDate's pattern admits: years 1900-2199, months 01-12, days 01-31."""
    for year, month, day in itertools.product(range(1900, 2200), range(1, 13), range(1, 32)):
        yield f"{year}-{month:02d}-{day:02d}"


def test_the_native_calendar_date_pattern_accepts_exactly_what_event_date_accepts():
    from datetime import date

    event_date, native = TypeAdapter(EventDate), TypeAdapter(typed_dict_of_date())
    for text in _all_pattern_dates():
        try:
            date.fromisoformat(text)
            real = True
        except ValueError:
            real = False
        assert _accepts(native, {"d": text}) == real, text
        assert _accepts(event_date, text) == real, text


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=12), st.from_regex(for_python(CALENDAR_DATE)), st.sampled_from(["2024-02-29\n", "02024-02-29"])))
def test_the_native_calendar_date_pattern_never_accepts_what_event_date_refuses(text):
    if _accepts(TypeAdapter(typed_dict_of_date()), {"d": text}):
        TypeAdapter(EventDate).validate_python(text)


def typed_dict_of_date():
    class Dated(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        d: EventDate

    return typed_dict_of(Dated)


def _accepts(adapter, value) -> bool:
    try:
        adapter.validate_python(value)
        return True
    except ValidationError:
        return False


@pytest.mark.parametrize("name", sorted(REGISTRY))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_payload_typed_dict_accepts_exactly_what_its_model_accepts(name, data):
    model = REGISTRY[name]
    adapter = TypeAdapter(typed_dict_of(model))
    payload = dict(SEEDS[name]["payload"])
    for field in list(model.model_fields) + ["extra"]:
        choice = data.draw(st.sampled_from(["keep", "keep", "drop", "nasty"]), label=field)
        if choice == "drop":
            payload.pop(field, None)
        elif choice == "nasty":
            payload[field] = data.draw(NASTY, label=f"{field} value")
    assert _accepts(adapter, payload) == _accepts(TypeAdapter(model), payload)


def test_models_the_typed_dict_cannot_carry_are_left_to_the_model():
    class Checked(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        amount: str

        @field_validator("amount")
        @classmethod
        def _no_zero(cls, value: str) -> str:
            if value == "0":
                raise ValueError("zero")
            return value

    class Lax(BaseModel):
        amount: str

    class Bounded(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid", str_max_length=3)
        amount: str

    class CheckedDefault(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        amount: int = Field(default="x", validate_default=True)

    for model in (Checked, Lax, Bounded, CheckedDefault):
        assert typed_dict_of(model) is None, model


def test_without_a_chunk_validator_every_line_takes_the_per_line_path(monkeypatch):
    monkeypatch.setattr(chunks, "_build_chunk_validator", lambda types: None)  # (ledger.store.mapper's, moved)
    monkeypatch.setattr(chunks, "_CHUNK", {})
    batch = EXAMPLE_LINES[:50] + [b"{", orjson.dumps({**SEEDS["PaymentDue"], "payload": {}})]
    assert mapper._chunk_check([orjson.loads(line) for line in EXAMPLE_LINES[:3]]) == {0, 1, 2}
    assert validate_lines(batch, 1, "clerk") == validate_lines_one_by_one(batch, 1, "clerk")
