"""An outside verifier, written from docs/events.md alone, agrees with every hash the ledger stores.

`outside_verify` below uses nothing of the ledger's: only `json` to read the
exported lines, `hashlib`, and the rules of docs/events.md's "Canonical
serialisation" section, written out by hand (objects with sorted keys and no
white space; strings with the escapes the docs list and every other
character as itself; integers in decimal; no floats). It is run over exports
of the shipped examples and of events with awkward strings (every escape,
non-ASCII, the longest texts, keys at the edge of what docs/events.md
allows), on SQLite and PostgreSQL, and must agree with every stored hash and
with `mutual verify`'s head. The documented idempotency-key pattern is then
driven at its edges against what the ledger accepts (issue #10, item 8).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.factories import forge

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "events.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.jsonl"))

# -- the outside verifier: docs/events.md, "Canonical serialisation" -------------------------------------------

GENESIS = "0" * 64
HASHED = ("effective_date", "idempotency_key", "metadata", "payload", "position", "prev_hash", "recorded_at",
          "schema_version", "stream", "type", "version")
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def write_string(text: str) -> str:
    """Rule 2: `"` and `\\` escaped, the five short escapes, other characters below U+0020 as \\u00xx, the rest as is."""
    out = []
    for ch in text:
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def write(value: object) -> str:
    """Rules 1 to 3: the canonical JSON text of a value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return write_string(value)
    if isinstance(value, list):
        return "[" + ",".join(write(v) for v in value) + "]"
    if isinstance(value, dict):
        assert all(isinstance(k, str) and k.isascii() for k in value), f"a key that is not ASCII in {value!r}"
        return "{" + ",".join(write_string(k) + ":" + write(value[k]) for k in sorted(value)) + "}"
    raise AssertionError(f"docs/events.md allows no {type(value).__name__} in an envelope: {value!r}")


def outside_verify(lines: list[str]) -> tuple[int, str]:
    """Check an export line by line as the docs describe it; the head (position, hash) when every line agrees."""
    prev_hash, position = GENESIS, 0
    for number, line in enumerate(lines, start=1):
        envelope = json.loads(line)
        assert set(envelope) == set(HASHED) | {"hash"}, f"line {number}: fields {sorted(envelope)}"
        position += 1
        assert envelope["position"] == position, f"line {number}: position {envelope['position']}"
        assert envelope["prev_hash"] == prev_hash, f"line {number}: prev_hash"
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", envelope["effective_date"]), f"line {number}"
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z",
                            envelope["recorded_at"]), f"line {number}: recorded_at {envelope['recorded_at']!r}"
        text = write({name: envelope[name] for name in HASHED})
        # (the docs also say this is Python's json.dumps with these settings: hold them to that too)
        assert text == json.dumps({name: envelope[name] for name in HASHED}, sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert envelope["hash"] == digest, f"line {number} (position {position}): the stored hash is not the " \
                                           f"documented one over {text!r}"
        prev_hash = digest
    return position, prev_hash


# -- driving the ledger -------------------------------------------------------------------------------------------


def run(backend, *args, input=None):
    return CliRunner().invoke(cli, ["--db", backend.url, *args], input=input, catch_exceptions=False)


def ok(backend, *args, input=None):
    result = run(backend, *args, input=input)
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def exported(backend) -> list[str]:
    """The export's lines (split at "\n" only: str.splitlines would also split inside a text at U+2028)."""
    return [text for text in ok(backend, "export").output.split("\n") if text]


def verified_head(backend) -> tuple[int, str]:
    report = json.loads(ok(backend, "verify", "--json").output)
    assert report["intact"], report
    return report["head_position"], report["head_hash"]


def line(stream: str, type_: str, payload: dict, **extra) -> str:
    envelope = {"stream": stream, "type": type_, "effective_date": "2024-01-01", "payload": payload,
                "metadata": {"actor": "outside"}}
    envelope.update(extra)
    return json.dumps(envelope, ensure_ascii=False)


ESCAPES = 'quote " backslash \\ slash / tab \t new line \n cr \r bs \b ff \f bell \x07 unit \x1f del \x7f'
UNICODE = "Coopérative “Ünïcode” 住宅 🏠 \u202eRTL\u202c \u2028 \u2029 \ufeff Ω"
PUNCTUATION = "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"  # every printable ASCII character a key may hold but letters and digits
EDGE_KEYS = [PUNCTUATION, "!", "~" * 200, (PUNCTUATION + "Az09") * 5 + "x" * 30, "content:not-a-digest"]


def awkward_lines() -> list[str]:
    long_stream = "member-m" + "x" * 150  # the longest stream the pattern allows (an id of 151 characters)
    return [
        line("society-awk1", "SocietyRegistered", {"society_id": "awk1", "kind": "coop", "name": ESCAPES}),
        line("society-awk2", "SocietyRegistered", {"society_id": "awk2", "kind": "coop", "name": UNICODE},
             metadata={"actor": "ünïcode actor ✓", "reason": ESCAPES, "correlation_id": "\u2028x\u2029", "causation_id": "/"}),
        line("society-awk3", "SocietyRegistered", {"society_id": "awk3", "kind": "coop", "name": "🏠" * 500}),
        line("society-awk4", "SocietyRegistered", {"society_id": "awk4", "kind": "coop", "name": "\x01" * 500}),
        line("society-" + "a" * 64, "SocietyRegistered", {"society_id": "a" * 64, "kind": "fund", "name": "x"}),
        line(long_stream, "MortgageYearPosted", {"year": 1, "opening_debt": "1", "interest": "0", "payment": "0",
                                                 "indexation": "0", "closing_debt": "1", "index_rate": "-0.5"}),
        line("index-RPI", "IndexValuePublished", {"series": "RPI", "period": "2024-01", "value": "0.000000000001"}),
        line("index-RPI", "EventReversed", {"position": 7, "reason": UNICODE + ESCAPES,
                                            "replacement_type": "IndexValuePublished",
                                            "replacement_payload": {"value": "1", "series": "RPI", "period": "2024-01"}}),
        *[line("index-RPI", "IndexValuePublished", {"series": "RPI", "period": str(2000 + i), "value": "100"},
               idempotency_key=key) for i, key in enumerate(EDGE_KEYS)],
    ]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_outside_verifier_agrees_with_every_stored_hash_of_an_example_and_awkward_events(backend, new_backend,
                                                                                              example):
    ok(backend, "import", str(example), "--actor", "outside")
    ok(backend, "import", "-", "--actor", "outside", input="\n".join(awkward_lines()) + "\n")
    lines = exported(backend)
    assert len(lines) > len(awkward_lines())
    assert outside_verify(lines) == verified_head(backend)
    again = new_backend(backend.name)  # and the export imports into an empty ledger, to the same hashes
    ok(again, "import", "-", input="\n".join(lines) + "\n")
    assert exported(again) == lines


def test_events_written_by_commands_with_edge_keys_verify_from_outside(backend):
    ok(backend, "import", str(ROOT / "examples" / "appendix6.jsonl"), "--actor", "outside")
    for number, key in enumerate(EDGE_KEYS):
        ok(backend, "savings", "deposit", "landlord", "--amount", "1", "--on", "2010-01-05", "--key", key,
           "--actor", UNICODE)
    ok(backend, "fund", "expense", "app6", "--amount", "1.50", "--purpose", ESCAPES.replace("\x7f", ""),
       "--on", "2010-01-05", "--actor", "a")
    assert outside_verify(exported(backend)) == verified_head(backend)


# -- what docs/events.md says a key may be is what the ledger accepts ---------------------------------------------


def documented_key_pattern() -> str:
    found = re.search(r"the whole key matches `([^`]+)`", DOC.read_text())
    assert found, "docs/events.md no longer states the idempotency key's pattern"
    return found.group(1)


KEY_CANDIDATES = list(dict.fromkeys([
    "", "a", "a" * 200, "a" * 201, "k1\n", "k1\r\n", "\nk1", "k1\r", "k\t1", "k1\t", "k\x00", "\x00", "k 1", " k1",
    'k"1', "k\\1", "k\x7f", "k\x1f", "ké", "k\u2028", "k🏠", "a" * 199 + "\n", *[chr(c) for c in range(0x20, 0x7f)],
]))


def test_the_documented_key_pattern_is_the_ledgers_at_its_edges(backend):
    documented = re.compile(documented_key_pattern())
    n = 0
    for key in KEY_CANDIDATES:
        n += 1
        result = run(backend, "import", "-", input=line("index-K", "IndexValuePublished",
                                                        {"series": "K", "period": str(1900 + n), "value": "1"},
                                                        idempotency_key=key) + "\n")
        allowed = documented.fullmatch(key) is not None
        if allowed:
            assert result.exit_code == 0, (key, result.stderr)
        else:
            assert result.exit_code == 1 and "line 1: idempotency_key: must" in result.stderr, (key, result.stderr)
    assert outside_verify(exported(backend)) == verified_head(backend)


def test_a_command_takes_a_key_exactly_when_the_docs_allow_it(backend):
    documented = re.compile(documented_key_pattern())
    ok(backend, "import", str(ROOT / "examples" / "appendix6.jsonl"), "--actor", "outside")
    head = verified_head(backend)
    for key in KEY_CANDIDATES:
        if not key or "\x00" in key:
            continue  # (a command line cannot carry a NUL; an empty --key asks for the default key)
        result = run(backend, "savings", "deposit", "landlord", "--amount", "1", "--on", "2010-01-05", "--key", key,
                     "--actor", "a")
        if documented.fullmatch(key):
            assert result.exit_code == 0, (key, result.stderr)
        else:
            assert result.exit_code == 1 and "idempotency_key: must" in result.stderr, (key, result.stderr)
            assert verified_head(backend) == head, key  # refused: nothing written
        head = verified_head(backend)
    assert outside_verify(exported(backend)) == verified_head(backend)


def test_a_key_ending_in_a_new_line_is_refused_and_the_log_stays_auditable(backend, new_backend):
    ok(backend, "import", str(ROOT / "examples" / "appendix6.jsonl"), "--actor", "outside")
    head = verified_head(backend)
    result = run(backend, "savings", "deposit", "landlord", "--amount", "10", "--on", "2010-01-05", "--key", "k1\n",
                 "--actor", "a")
    assert result.exit_code == 1 and "idempotency_key: must be 1 to 200 printable ASCII" in result.stderr
    assert verified_head(backend) == head
    lines = exported(backend)
    again = new_backend(backend.name)
    ok(again, "import", "-", input="\n".join(lines) + "\n")  # what export writes, import takes
    assert outside_verify(lines) == verified_head(again) == head


def test_an_event_an_earlier_version_hashed_with_a_raw_new_line_is_named_by_verify_as_the_outside_verifier_refuses_it(backend):
    ok(backend, "import", "-", input=line("index-RPI", "IndexValuePublished",
                                          {"series": "RPI", "period": "2020", "value": "1"}) + "\n")
    forge(backend, stream="index-RPI", type_="IndexValuePublished", key="k1\n", raw_text=True,
          payload={"period": "2021", "series": "RPI", "value": "1"})
    result = run(backend, "verify")
    assert result.exit_code == 1
    assert "BROKEN at position 2: its idempotency_key 'k1\\n' ends in a newline" in result.stderr
    with pytest.raises(AssertionError, match="position 2"):
        outside_verify(exported(backend))
