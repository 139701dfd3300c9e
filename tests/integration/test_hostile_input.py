"""Hostile input: whatever is thrown at import or at a command's options, the answer is a
clear error and the head hash does not move."""

from __future__ import annotations

import json

import orjson
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from cli.main import cli
from ledger.errors import LedgerError
from ledger.events import REGISTRY

IMPORT_CASES = 300
OPTION_CASES = 150
FUZZ = settings(max_examples=IMPORT_CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

GOOD = {"stream": "member-m1", "type": "PaymentReceived", "effective_date": "2024-01-31",
        "payload": {"member_id": "m1", "amount": "512.34", "period": "2024-01", "bank_reference": "BACS-1"},
        "metadata": {"actor": "fuzz"}}

hostile_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(2**70), max_value=2**70),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(["NaN", "Infinity", "-0", "1e309", "0x1F", "12.345", "١٢٣", "12,30", " 12.30", "12.30 ",
                     "'; DROP TABLE events; --", "\" OR 1=1 --", "Robert'); DELETE FROM events;--",
                     "\u202egnp.exe", "\x00", "𝟙𝟚.𝟛𝟜", "9" * 400, "0001-01-01", "9999-12-31", "1899-12-31",
                     "2200-01-01", "2024-02-30", "2024-13-01", "24-01-31", "2024-01-31T00:00:00"]),
    st.none(), st.booleans(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _mutations():
    field = st.sampled_from(["stream", "type", "effective_date", "payload", "metadata", "schema_version",
                             "version", "position", "idempotency_key", "recorded_at", "hash", "prev_hash",
                             "payload.member_id", "payload.amount", "payload.period", "payload.bank_reference",
                             "payload.extra", "metadata.actor", "metadata.role", "extra"])
    return st.lists(st.tuples(field, hostile_scalars), min_size=1, max_size=3)


def _apply(mutations) -> dict:
    line = json.loads(json.dumps(GOOD))
    for path, value in mutations:
        if "." in path:
            outer, inner = path.split(".")
            if isinstance(line.get(outer), dict):
                line[outer][inner] = value
        else:
            line[path] = value
    return line


def _encode(line: dict) -> bytes:
    try:
        return orjson.dumps(line)
    except TypeError:  # integers beyond 64 bits: write them as JSON text anyway
        return json.dumps(line, allow_nan=True).encode()


raw_lines = st.one_of(
    st.binary(max_size=60), st.text(max_size=60).map(str.encode),
    st.sampled_from([b"{", b"[]", b"null", b"42", b'"x"', b"{}", b'{"type":"PaymentReceived"}',
                     b'{"stream":"member-m1","type":"NoSuchEvent","effective_date":"2024-01-01","payload":{},"metadata":{"actor":"a"}}',
                     b'{"stream":"member-m1","type":"PaymentReceived","schema_version":99,"effective_date":"2024-01-01","payload":{},"metadata":{"actor":"a"}}',
                     b'{"a":1, "a":2}', b"\xff\xfe", b'{"stream":"member-m1"' + b" " * 10]),
)


@FUZZ
@given(case=st.one_of(_mutations().map(lambda m: _encode(_apply(m))), raw_lines))
def test_hostile_import_lines_get_a_clear_error_and_leave_the_head_alone(backend, case):
    store = backend.store()
    before = store.head()
    try:
        result = store.import_lines([orjson.dumps(GOOD), case])
    except LedgerError as exc:
        assert str(exc).strip(), "an error must say what was wrong"
        assert store.head() == before
    else:
        # A mutation can leave a valid event (e.g. another bank reference, or a blank line): it lands once.
        assert result.head.position == before.position + result.written
        assert store.import_lines([orjson.dumps(GOOD), case]).written == 0
        assert store.head() == result.head


REVERSAL_CASES = 100
GOOD_REVERSAL = {"stream": "member-m1", "type": "EventReversed", "effective_date": "2024-01-31",
                 "payload": {"position": 1, "reason": "keyed wrong", "replacement_type": "PaymentReceived",
                             "replacement_payload": dict(GOOD["payload"])},
                 "metadata": {"actor": "fuzz"}}
replacement_fields = st.sampled_from(["member_id", "amount", "period", "bank_reference", "extra"])


@settings(max_examples=REVERSAL_CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(st.tuples(replacement_fields, hostile_scalars), min_size=1, max_size=3))
def test_a_hostile_replacement_in_an_imported_reversal_is_refused_or_is_a_valid_event(backend, mutations):
    store = backend.store()
    store.import_lines([orjson.dumps(GOOD)])
    before = store.head()
    line = json.loads(json.dumps(GOOD_REVERSAL))
    for name, value in mutations:
        line["payload"]["replacement_payload"][name] = value
    encoded = _encode(line)
    try:
        result = store.import_lines([encoded])
    except LedgerError as exc:
        # (a float infinity or NaN beside a 65-bit integer is written as Infinity/NaN, which is not JSON: refused
        # as the line it is before its replacement is read)
        not_json = b"Infinity" in encoded or b"NaN" in encoded
        assert "replacement" in str(exc) or (not_json and "not valid JSON" in str(exc)), str(exc)
        assert store.head() == before
    else:  # the mutations left a valid payment (another reference, say): it is stored as one (once)
        assert result.head.position == before.position + result.written
        for reversal in store.read(after=before.position):
            REGISTRY["PaymentReceived"].model_validate(reversal.payload["replacement_payload"])


option_values = st.one_of(hostile_scalars.map(str), st.sampled_from(["", "-", "--json", "2024-01-01", "1", "0", "-1"]))
COMMANDS = [
    ["log", "--from"], ["log", "--to"], ["log", "--limit"], ["log", "--as-known-at"], ["log", "--stream"],
    ["log", "--type"], ["audit", "prove", "1"], ["audit", "prove"], ["import"],
]


@settings(max_examples=OPTION_CASES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(COMMANDS), value=option_values)
def test_hostile_option_values_get_a_clear_error_never_a_traceback(backend, command, value):
    runner = CliRunner()
    head = runner.invoke(cli, ["--db", backend.url, "audit", "digest"]).output
    result = runner.invoke(cli, ["--db", backend.url, *command, value])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code:
        said = (result.output + result.stderr).lower()
        assert "error" in said or "usage" in said or "not proven" in said
    assert runner.invoke(cli, ["--db", backend.url, "audit", "digest"]).output == head


def test_a_nul_in_a_log_filter_is_refused_by_name_on_every_engine(backend):
    result = CliRunner().invoke(cli, ["--db", backend.url, "log", "--stream", "\x00"])
    assert result.exit_code == 1 and "stream: contains a NUL character" in result.stderr
