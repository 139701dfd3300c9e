"""Event schemas are strict: money is a decimal string, never a float."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ledger.canonical import canonical_json, envelope_text
from decimal import Decimal

from ledger.events.coop import MemberAdmitted
from ledger.money import parse_money
from ledger.store.mapper import encode_payload

GOOD = {"member_id": "m1", "coop_id": "c1", "dwelling_id": "d1", "net_salary": "20000",
        "payment_rate": "0.33", "deposit": "5800.00", "debt_share": "108492.00"}  # schema version 1
GOOD_V2 = {"member_id": "m1", "coop_id": "c1", "dwelling_id": "d1", "annual_payment": "6600",
           "deposit": "5800.00", "debt_share": "108492.00"}


def test_money_is_kept_as_the_decimal_string_it_was_given():
    event = MemberAdmitted.model_validate(GOOD_V2)
    assert event.to_json()["annual_payment"] == "6600"
    assert parse_money(event.deposit) == Decimal("5800.00")


@pytest.mark.parametrize("value, reason", [
    (20000.0, "not a float"), ("NaN", "decimal string"), ("Infinity", "decimal string"),
    ("2e4", "no exponent"), ("20000.001", "at most 2 decimal places"), (True, "must be a string"),
    ("0", "more than zero"), ("-5", "more than zero"),
])
def test_a_bad_amount_is_refused_with_the_field_and_the_reason(value, reason):
    _, errors = encode_payload(MemberAdmitted, {**GOOD, "net_salary": value}, 1)
    [error] = errors
    assert error.field == "payload.net_salary" and reason in error.reason


def test_a_date_that_is_not_in_the_calendar_is_refused():
    from ledger.events.audit import PeriodClosed

    _, errors = encode_payload(PeriodClosed, {"society_id": "c1", "period_start": "2023-02-29",
                                              "period_end": "2023-12-31"}, 1)
    assert [e.field for e in errors] == ["payload.period_start"]
    assert "not a real calendar date" in errors[0].reason


def test_unknown_fields_and_empty_ids_are_refused():
    with pytest.raises(ValidationError):
        MemberAdmitted.model_validate({**GOOD_V2, "colour": "red"})
    with pytest.raises(ValidationError):
        MemberAdmitted.model_validate({**GOOD_V2, "member_id": ""})


def test_events_are_immutable():
    event = MemberAdmitted.model_validate(GOOD_V2)
    with pytest.raises(ValidationError):
        event.deposit = 1  # type: ignore[misc]


def test_the_fast_envelope_text_equals_canonical_json_of_the_envelope():
    payload = {"b": "ü", "a": [1, {"z": None, "y": "x\"q"}]}
    metadata = {"actor": "Zoë", "reason": "line\nbreak"}
    fields = dict(position=7, stream="member-m1", version=3, type="PaymentReceived", schema_version=1,
                  effective_date="2024-01-01", recorded_at="2024-01-02T03:04:05.000006Z",
                  idempotency_key="k-1", prev_hash="a" * 64)
    fast = envelope_text(payload_json=canonical_json(payload), metadata_json=canonical_json(metadata), **fields)
    assert fast == canonical_json({**fields, "payload": payload, "metadata": metadata})
