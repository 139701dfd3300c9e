"""The register's fields are checked one by one, and a refusal names the field."""

from __future__ import annotations

import pytest

from ledger.errors import ValidationFailed
from ledger.people.register import ERASED, bank_details_errors, checked, id_error, normalise, reason_error


@pytest.mark.parametrize("given, kept", [("12-34-56", "12-34-56"), ("123456", "12-34-56"), ("12-3456", "12-34-56")])
def test_a_uk_sort_code_is_kept_as_six_digits_in_pairs(given, kept):
    assert normalise("sort_code", given) == (kept, None)


@pytest.mark.parametrize("field, value", [
    ("sort_code", "12-34-5"), ("sort_code", "1234567"), ("sort_code", "12-34-56\n"), ("sort_code", "١٢٣٤٥٦"),
    ("account_number", "1234567"), ("account_number", "123456789"), ("account_number", "1234567a"),
    ("account_number", "12345678\n"), ("email", "alice"), ("email", "alice@example"), ("email", "a b@example.org"),
    ("email", "alice@example.org\n"), ("phone", "call me"), ("phone", "020 7946 0000\n"),
    ("name", "Alice\nSmith"), ("name", "Alice\x00"), ("name", "   "), ("name", ""), ("address", "1 High St\r\nLeeds"),
    ("address", "1 High St\u2028Leeds"), ("account_name", "A\tSMITH"), ("net_salary", "17089.234"),
    ("net_salary", "0"), ("net_salary", "-1"), ("net_salary", "1e4"),
])
def test_a_bad_value_is_refused_naming_its_field(field, value):
    with pytest.raises(ValidationFailed) as caught:
        checked({field: value})
    assert [e.field for e in caught.value.errors] == [field]


def test_every_bad_field_is_named_at_once_and_an_unknown_one_too():
    with pytest.raises(ValidationFailed) as caught:
        checked({"email": "x", "account_number": "1", "salary": "10"})
    assert [e.field for e in caught.value.errors] == ["email", "account_number", "salary"]


def test_good_values_are_kept_as_given():
    fields = {"name": "Zoë O'Brien-Ng", "address": "Flat 1, 2 Mill Lane, Leeds LS1 1AA", "email": "zoe@example.org.uk",
              "phone": "+44 (0)20 7946 0000", "account_number": "12345678", "account_name": "Z O'BRIEN-NG",
              "net_salary": "17089.23"}
    assert checked(fields) == fields


def test_bank_details_go_together():
    assert [e.field for e in bank_details_errors({"sort_code": "12-34-56"})] == ["account_number"]
    assert [e.field for e in bank_details_errors({"account_number": "12345678"})] == ["sort_code"]
    assert bank_details_errors({"sort_code": "12-34-56", "account_number": "12345678"}) == []


def test_ids_and_reasons_are_checked_whole():
    assert id_error("alice") is None and id_error("alice\n") is not None and id_error("-x") is not None
    assert reason_error("ref E-1") is None and reason_error("a\nb") is not None and reason_error("x" * 201)


def test_a_tombstone_says_the_name_was_erased_at_the_persons_request():
    assert ERASED == "erased at the person's request"
