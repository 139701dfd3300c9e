"""The quick import checks never accept what the pydantic models refuse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

from ledger.events import REGISTRY
from ledger.events.fastcheck import quick_check
from ledger.store.mapper import _EnvelopeIn, _quick_envelope

CHECKED = sorted(name for name, model in REGISTRY.items() if quick_check(model) is not None)

nasty = st.one_of(
    st.text(max_size=12), st.sampled_from(["12.30", "0", "0.00", "-1", "1e3", "2024-02-30", "2024-02-29",
                                           "2024", "2024-13", "m1", " m1", "m1\n", "12.30\n", "١٢", "0.035",
                                           "NaN", "", "x" * 600, "valuation", "clt"]),
    st.integers(-5, 200), st.booleans(), st.none(), st.floats(allow_nan=True), st.lists(st.integers(), max_size=1),
)


@pytest.mark.parametrize("name", CHECKED)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_quick_check_accepts_only_what_pydantic_accepts(name, data):
    model = REGISTRY[name]
    fields = list(model.model_fields)
    payload = {f: data.draw(nasty, label=f) for f in fields if data.draw(st.booleans(), label=f"has {f}")}
    if data.draw(st.booleans(), label="extra"):
        payload["extra"] = 1
    if quick_check(model)(payload):
        model.model_validate(payload)  # must not raise


@settings(max_examples=200, deadline=None)
@given(envelope=st.fixed_dictionaries(
    {"stream": nasty, "type": st.sampled_from(["PaymentDue", "X"]), "effective_date": nasty, "payload": st.just({})},
    optional={"version": nasty, "position": nasty, "schema_version": nasty, "idempotency_key": nasty,
              "recorded_at": nasty, "prev_hash": st.sampled_from(["a" * 64, "A" * 64, "a" * 63 + "\n"]),
              "metadata": st.one_of(st.none(), st.dictionaries(st.sampled_from(["actor", "reason", "x"]), nasty))}))
def test_the_quick_envelope_check_accepts_only_what_pydantic_accepts(envelope):
    if _quick_envelope(envelope):
        try:
            _EnvelopeIn.model_validate(envelope)
        except ValidationError as exc:  # pragma: no cover - the failure we are looking for
            raise AssertionError(f"quick check accepted {envelope!r}: {exc}")
