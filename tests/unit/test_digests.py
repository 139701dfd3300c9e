"""Signed digests: what is signed, and what a witness line must be to be read as one."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pytest

from ledger.store import digests
from ledger.store.digests import parse, public_key, private_key, sign, signature_problem


@pytest.fixture(scope="module")
def key():
    private, public = digests.new_key()
    return private_key(private, "--sign"), public_key(public, "--public-key")


def test_a_signed_digest_reads_back_and_verifies_and_any_change_breaks_it(key):
    private, public = key
    signed = sign(private, 7, "a" * 64, datetime(2027, 1, 18, 10, 0, tzinfo=timezone.utc))
    assert signed.signed_at == "2027-01-18T10:00:00.000000Z"
    again = parse(signed.line())
    assert again == signed and signature_problem(again, public) is None
    for change in ({"position": 8}, {"hash": "b" * 64}, {"signed_at": "2027-01-18T10:00:00.000001Z"}):
        altered = parse(orjson.dumps({**signed.to_json(), **change}))
        assert "does not verify" in signature_problem(altered, public)


@pytest.mark.parametrize("change, reason", [
    ({"position": True}, "position"), ({"position": -1}, "position"), ({"position": "7"}, "position"),
    ({"hash": "A" * 64}, "hash"), ({"hash": "a" * 64 + "\n"}, "hash"),
    ({"signed_at": "2027-01-18 10:00:00"}, "signed_at"), ({"key": "xyz"}, "key"),
    ({"signature": "not base64"}, "signature"), ({"extra": 1}, "exactly"),
])
def test_a_line_that_is_not_exactly_a_signed_digest_is_refused_by_name(key, change, reason):
    signed = sign(key[0], 7, "a" * 64, datetime(2027, 1, 18, tzinfo=timezone.utc)).to_json()
    with pytest.raises(ValueError) as refused:
        parse(orjson.dumps({**signed, **change}))
    assert reason in str(refused.value)


def test_a_key_that_is_not_an_ed25519_pem_is_refused_by_the_option_that_gave_it():
    from ledger.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        public_key(b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n", "--public-key")
    assert str(refused.value).startswith("--public-key: ")
