"""Export, then import into an empty ledger: the same chain, hash for hash."""

from __future__ import annotations

import orjson
import pytest

from ledger.errors import ValidationFailed
from ledger.store.mapper import to_envelope
from ledger.store.verify import verify
from tests.factories import ACTOR, envelope, index_value, society


def _export(store) -> list[bytes]:
    return [orjson.dumps(to_envelope(e)) for e in store.read()]


def test_an_export_imported_into_an_empty_ledger_has_the_same_head(backend, new_backend):
    store = backend.store()
    store.append("society-coop1", [society()], metadata=ACTOR)
    store.append("index-RPI", [index_value(str(y)) for y in range(1990, 2020)], metadata=ACTOR)
    lines = _export(store)
    target = new_backend(backend.name).store()
    result = target.import_lines(lines)
    assert result.written == 31
    assert target.head() == store.head()
    assert _export(target) == lines
    assert verify(target).intact


def test_importing_the_same_file_twice_writes_it_once(store):
    lines = [orjson.dumps(envelope("index-RPI", "IndexValuePublished",
                                   {"series": "RPI", "period": str(y), "value": "100"})) for y in range(2000, 2005)]
    first = store.import_lines(lines)
    second = store.import_lines(lines)
    assert (first.written, second.written, second.already_recorded) == (5, 0, 5)
    assert store.head() == first.head


def test_an_export_with_an_altered_payload_is_refused_on_import(backend, new_backend):
    store = backend.store()
    store.append("index-RPI", [index_value(str(y)) for y in range(2000, 2003)], metadata=ACTOR)
    lines = [orjson.loads(line) for line in _export(store)]
    lines[1]["payload"]["value"] = "250"
    target = new_backend(backend.name).store()
    with pytest.raises(ValidationFailed) as caught:
        target.import_lines([orjson.dumps(line) for line in lines])
    assert "line 2: hash" in str(caught.value)
    assert target.head().position == 0


def test_import_errors_name_the_line_the_field_and_the_reason(store):
    lines = [
        b"{not json",
        orjson.dumps(envelope("index-RPI", "IndexValuePublished", {"series": "RPI", "period": "2020", "value": 1.5})),
        orjson.dumps(envelope("index-RPI", "NoSuchEvent", {})),
        orjson.dumps(envelope("index-RPI", "IndexValuePublished", {"series": "RPI", "period": "2020", "value": "1"},
                              effective_date="2020-02-30")),
    ]
    with pytest.raises(ValidationFailed) as caught:
        store.import_lines(lines)
    message = str(caught.value)
    assert "line 1: line: is not valid JSON" in message
    assert "line 2: payload.value: must be a decimal string" in message and "float" in message
    assert "line 3: type: 'NoSuchEvent' is not a known event type" in message
    assert "line 4: effective_date: is not a real calendar date" in message
    assert store.head().position == 0
