"""docs/events.md is the public contract: it must say exactly what the models say."""

from pathlib import Path

from ledger.events.catalog import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_events_doc_is_in_step_with_the_models():
    assert DOC.read_text() == render(), (
        "docs/events.md is out of date: run `python -m ledger.events.catalog > docs/events.md`")


def test_every_event_type_is_documented_with_its_fields():
    from ledger.events import REGISTRY

    text = DOC.read_text()
    for name, cls in REGISTRY.items():
        assert f"### `{name}`" in text
        for field in cls.model_fields:
            assert f"| `{field}` |" in text
