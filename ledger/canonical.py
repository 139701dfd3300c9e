"""The canonical serialisation that the hash chain is computed over.

Canonical JSON here means: UTF-8, object keys sorted, no insignificant
white space, non-ASCII characters written as themselves, no floats anywhere
(money, rates and units are decimal strings). orjson with OPT_SORT_KEYS
produces exactly that; `canonical_json` is the one place it is called.

An event's hash is SHA-256 over the canonical JSON of its whole envelope
except the `hash` field itself:

    {"effective_date", "idempotency_key", "metadata", "payload", "position",
     "prev_hash", "recorded_at", "schema_version", "stream", "type", "version"}

`prev_hash` is the hash of the event at position - 1 (64 zeros for the
first event), so every hash seals the whole log before it.

The envelope's canonical text is built in one place: `envelope_parts` writes
everything a validated event knows (around already-canonical payload and
metadata) and `seal_text` adds what only the store assigns (position,
prev_hash, recorded_at, version). `envelope_text` is the two together. The
import's lean loop, the per-line path, the commands, the writer and `mutual
verify` all go through them; tests hold the result to `canonical_json` of the
envelope dict (tests/unit/test_canonical.py).
"""

from __future__ import annotations

import hashlib

import orjson

GENESIS_HASH = "0" * 64

_OPTIONS = orjson.OPT_SORT_KEYS


def canonical_json(value: object) -> str:
    """Canonical JSON text of a JSON-able value (dicts, lists, str, int, bool, None)."""
    return orjson.dumps(value, option=_OPTIONS).decode()


def json_string(text: str) -> str:
    """`text` as a JSON string, exactly as canonical_json writes it.

    The quick path is for the plain ASCII that ids and keys nearly always are: printable ASCII (space to ~)
    but the quote and the backslash needs no escape, so it is written between quotes as it is. Anything else
    (a control character, a newline, non-ASCII, a quote) goes to orjson.
    """
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return orjson.dumps(text).decode()


def envelope_parts(stream: str, type: str, schema_version: int, effective_date: str,
                   payload_json: str, metadata_json: str, idempotency_key: str) -> tuple[str, str]:
    """The canonical envelope text before `position` (head) and between `recorded_at` and `version` (middle).

    seal_text(head, position, prev_hash, recorded_at, middle, version) is then the whole envelope's canonical
    text. Stream, type and key are written as JSON strings whatever they hold (the store's patterns admit no
    character JSON would escape, but the text hashed is canonical JSON even if one did); payload and metadata
    must be canonical JSON already, effective_date an ISO date. Positional arguments are accepted so that the
    import's lean loop pays no keyword matching.
    """
    plain = stream + type + idempotency_key  # nearly always plain ASCII: one check for the three (json_string's)
    if plain.isascii() and plain.isprintable() and '"' not in plain and "\\" not in plain:
        key_json, stream_json, type_json = f'"{idempotency_key}"', f'"{stream}"', f'"{type}"'
    else:
        key_json, stream_json, type_json = json_string(idempotency_key), json_string(stream), json_string(type)
    return (f'{{"effective_date":"{effective_date}","idempotency_key":{key_json}'
            f',"metadata":{metadata_json},"payload":{payload_json},"position":',
            f'","schema_version":{schema_version},"stream":{stream_json},"type":{type_json},"version":')


def seal_text(head: str, position: int, prev_hash: str, recorded_at: str, middle: str, version: int) -> str:
    """The whole envelope's canonical text: envelope_parts' head and middle around what the store assigns."""
    return f'{head}{position},"prev_hash":"{prev_hash}","recorded_at":"{recorded_at}{middle}{version}}}'


def envelope_text(
    *,
    position: int,
    stream: str,
    version: int,
    type: str,
    schema_version: int,
    effective_date: str,
    recorded_at: str,
    payload_json: str,
    metadata_json: str,
    idempotency_key: str,
    prev_hash: str,
) -> str:
    """Canonical text of an envelope, built from already-canonical payload and metadata.

    Equal to canonical_json of the envelope dict (a property test holds it to that).
    """
    head, middle = envelope_parts(stream, type, schema_version, effective_date, payload_json, metadata_json,
                                  idempotency_key)
    return seal_text(head, position, prev_hash, recorded_at, middle, version)


_quoted = json_string  # the name verify.py and older branches use


def event_hash(envelope_canonical_text: str) -> str:
    return hashlib.sha256(envelope_canonical_text.encode()).hexdigest()
