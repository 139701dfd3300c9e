"""One canonical encoder: every way an envelope's text is built is canonical JSON of the envelope.

`ledger.canonical.envelope_parts` + `seal_text` are the one builder. The import's lean loop
(`chunks._fast_builder`), the per-line path (`envelope.pending_from_envelope`), the writer's seal and
`mutual verify` all call them; these properties hold the result, over random envelopes with awkward strings
(unicode, escapes, quotes, control characters), to `canonical_json` of the envelope dict, and the lean loop's
pending events to the per-line path's, byte for byte.
"""

from __future__ import annotations

import orjson
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.canonical import canonical_json, envelope_parts, envelope_text, json_string, seal_text
from ledger.store import chunks
from ledger.store.envelope import pending_from_envelope
from ledger.store.keys import KEY_BODY

AWKWARD = st.text(alphabet=st.one_of(
    st.characters(codec="utf-8"),  # anything UTF-8 can carry
    st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "\u2028", "\u2029", "é", "€", "<",
                     "\U0001f3e0", "/", "\ufeff", "\ud7ff"]),
), max_size=20)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1), AWKWARD),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(AWKWARD, inner, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=500, deadline=None)
@given(text=AWKWARD)
def test_a_json_string_is_canonical_json_of_the_string(text):
    assert json_string(text) == canonical_json(text)


@settings(max_examples=400, deadline=None)
@given(stream=AWKWARD, type_=AWKWARD, key=AWKWARD, payload=st.dictionaries(AWKWARD, json_values, max_size=4),
       metadata=st.dictionaries(AWKWARD, AWKWARD, max_size=3), position=st.integers(1, 2**62),
       version=st.integers(1, 2**62), schema_version=st.integers(1, 1000), effective=st.dates(),
       prev_hash=st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
def test_the_envelope_text_is_canonical_json_of_the_envelope(stream, type_, key, payload, metadata, position,
                                                             version, schema_version, effective, prev_hash):
    recorded_at = "2024-01-02T03:04:05.000006Z"
    fields = dict(position=position, stream=stream, version=version, type=type_, schema_version=schema_version,
                  effective_date=effective.isoformat(), recorded_at=recorded_at, idempotency_key=key,
                  prev_hash=prev_hash)
    text = envelope_text(payload_json=canonical_json(payload), metadata_json=canonical_json(metadata), **fields)
    assert text == canonical_json({**fields, "payload": payload, "metadata": metadata})
    head, middle = envelope_parts(stream, type_, schema_version, effective.isoformat(), canonical_json(payload),
                                  canonical_json(metadata), key)
    assert seal_text(head, position, prev_hash, recorded_at, middle, version) == text


# Valid envelopes whose free text is awkward: the lean loop takes them (when their ids name their stream).
META_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40) \
    .filter(lambda t: not t.isspace())
STREAM_ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}", fullmatch=True)


@st.composite
def valid_envelopes(draw):
    own = draw(STREAM_ID)
    kind = draw(st.sampled_from(["expense", "writeoff", "payment"]))
    if kind == "expense":
        envelope = {"stream": f"society-{own}", "type": "FundExpense", "effective_date": "2024-03-01",
                    "payload": {"fund_id": own, "amount": "120.00", "purpose": draw(META_TEXT)}}
    elif kind == "writeoff":
        envelope = {"stream": f"loan-{own}", "type": "LoanWrittenOff", "effective_date": "2024-02-29",
                    "payload": {"loan_id": own, "amount": "99.99", "reason": draw(META_TEXT)}}
    else:
        envelope = {"stream": f"member-{own}", "type": "PaymentReceived", "effective_date": "2023-12-31",
                    "payload": {"member_id": draw(st.sampled_from([own, "someone-else"])), "amount": "1.00",
                                "period": "2023-12"}}
    metadata = draw(st.dictionaries(st.sampled_from(["actor", "reason", "correlation_id", "causation_id"]),
                                    META_TEXT, max_size=4))
    if metadata or draw(st.booleans()):
        envelope["metadata"] = metadata
    if draw(st.booleans()):
        envelope["idempotency_key"] = draw(st.from_regex(KEY_BODY, fullmatch=True))
    return envelope


@settings(max_examples=400, deadline=None)
@given(envelope=valid_envelopes(), actor=st.sampled_from([None, "importer", "Zoë \"the\" clerk\\"]))
def test_the_lean_loop_builds_what_the_per_line_path_builds(envelope, actor):
    line = orjson.dumps(envelope)
    reference, _ = pending_from_envelope(orjson.loads(line), default_actor=actor, where="line 1")
    assume(reference is not None)
    assert chunks._chunk_check([orjson.loads(line)]) is None  # the chunk check takes every such envelope
    fast = chunks._fast_builder(actor)(orjson.loads(line), 1)
    assert fast is None or fast == reference  # (None: it asks the per-line path, e.g. an id naming another stream)
    if envelope["payload"].get("member_id", "") != "someone-else" and "actor" in envelope.get("metadata", {}):
        assert fast is not None
    built = fast or reference
    sealed = seal_text(built.head, 7, "a" * 64, "2024-01-02T03:04:05.000006Z", built.middle, 3)
    assert sealed == canonical_json({
        "position": 7, "stream": built.stream, "version": 3, "type": built.type,
        "schema_version": built.schema_version, "effective_date": built.effective_date,
        "recorded_at": "2024-01-02T03:04:05.000006Z", "payload": orjson.loads(built.payload_json),
        "metadata": orjson.loads(built.metadata_json), "idempotency_key": built.idempotency_key,
        "prev_hash": "a" * 64,
    })
    assert built.payload_json == canonical_json(orjson.loads(built.payload_json))
    assert chunks.validate_lines([line], 1, actor) == chunks.validate_lines_one_by_one([line], 1, actor)
