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
"""

from __future__ import annotations

import hashlib
import re

import orjson

GENESIS_HASH = "0" * 64

_OPTIONS = orjson.OPT_SORT_KEYS


def canonical_json(value: object) -> str:
    """Canonical JSON text of a JSON-able value (dicts, lists, str, int, bool, None)."""
    return orjson.dumps(value, option=_OPTIONS).decode()


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

    Equal to canonical_json of the envelope dict (a test holds it to that);
    built by concatenation because it sits on the import hot path.
    """
    return (
        '{"effective_date":"' + effective_date
        + '","idempotency_key":' + _quoted(idempotency_key)
        + ',"metadata":' + metadata_json
        + ',"payload":' + payload_json
        + ',"position":' + str(position)
        + ',"prev_hash":"' + prev_hash
        + '","recorded_at":"' + recorded_at
        + '","schema_version":' + str(schema_version)
        + ',"stream":' + _quoted(stream)
        + ',"type":' + _quoted(type)
        + ',"version":' + str(version)
        + "}"
    )


def envelope_parts(*, stream: str, type: str, schema_version: int, effective_date: str,
                   payload_json: str, metadata_json: str, idempotency_key: str) -> tuple[str, str]:
    """The canonical envelope text before `position` and between `recorded_at` and `version`.

    seal_text(head, position, prev_hash, recorded_at, middle, version) then equals envelope_text(...).
    The stream, type and key are JSON strings whatever they hold (the store's patterns admit no
    character JSON would escape, but the text hashed is canonical JSON even if one did); payload
    and metadata must be canonical JSON.
    """
    head = (f'{{"effective_date":"{effective_date}","idempotency_key":{_quoted(idempotency_key)}'
            f',"metadata":{metadata_json},"payload":{payload_json},"position":')
    middle = f'","schema_version":{schema_version},"stream":{_quoted(stream)},"type":{_quoted(type)},"version":'
    return head, middle


def seal_text(head: str, position: int, prev_hash: str, recorded_at: str, middle: str, version: int) -> str:
    return f'{head}{position},"prev_hash":"{prev_hash}","recorded_at":"{recorded_at}{middle}{version}}}'


def _quoted(text: str) -> str:
    """A JSON string; the quick path for the plain ASCII that ids and keys nearly always are."""
    if _PLAIN(text):
        return '"' + text + '"'
    return orjson.dumps(text).decode()


_PLAIN = re.compile(r'[\x20\x21\x23-\x5b\x5d-\x7e]*').fullmatch  # the whole string: "k1\n" is not plain


def event_hash(envelope_canonical_text: str) -> str:
    return hashlib.sha256(envelope_canonical_text.encode()).hexdigest()
