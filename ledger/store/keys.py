"""The texts that name an event: its stream, its idempotency key, its hashes and its effective date.

The patterns are given to pydantic-core as `whole(body)` and matched in Python with `fullmatch` only
(ledger/events/types.py). An event given without a key is keyed by its business fact (`fact_key`); events
recorded under the earlier `content:` keys keep them (`content_key`, docs/events.md "Idempotency").
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime

STREAM_BODY = r"([a-z]+)-[A-Za-z0-9][A-Za-z0-9_.:-]{0,150}"
KEY_BODY = r"[\x21\x23-\x5b\x5d-\x7e]{1,200}"  # printable ASCII but space, " and \ (docs/events.md)
HASH_BODY = r"[0-9a-f]{64}"
STREAM_PATTERN = re.compile(STREAM_BODY)
KEY_PATTERN = re.compile(KEY_BODY)
HASH_PATTERN = re.compile(HASH_BODY)
DATE_PATTERN = re.compile(r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])")
KEY_REASON = "must be 1 to 200 printable ASCII characters without spaces, quotes or backslashes"

FACT_KEY_PREFIX = "fact:"
LEGACY_KEY_PREFIX = "content:"


def date_text(value: object) -> str:
    """An effective date as canonical text; refuses anything but a real ISO date."""
    if type(value) is date and 1900 <= value.year <= 2199:
        return value.isoformat()  # (a date is a real one: only its range is DATE_PATTERN's to check)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = value.isoformat()
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        raise ValueError("must be an ISO date such as \"2024-04-01\" between 1900 and 2199")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"is not a real calendar date ({exc})") from None
    return value


def fact_text(stream: str, type_: str, schema_version: int, effective_date: str, payload_json: str) -> str:
    """The business fact of an event: its stream, type, schema version, effective date and canonical payload.

    Never the metadata (who recorded it and why), the recorded time or the stream version: the same fact
    entered again, by anyone, at any time, is the same fact. The default idempotency key is its SHA-256.
    """
    return "\x1f".join((stream, type_, str(schema_version), effective_date, payload_json))


def content_text(stream: str, type_: str, schema_version: int, effective_date: str,
                 payload_json: str, metadata_json: str) -> str:
    """The text the legacy `content:` keys were derived from (the fact and the metadata): kept so that events
    recorded under such keys are still recognised when the same fact is entered again."""
    return "\x1f".join((stream, type_, str(schema_version), effective_date, payload_json, metadata_json))


def fact_key(stream: str, type_: str, schema_version: int, effective_date: str, payload_json: str) -> str:
    """The key of an event given without one: the SHA-256 of its business fact (`fact_text`), so that the
    same file entered again, by the same clerk or another, writes it once."""
    return FACT_KEY_PREFIX + hashlib.sha256(fact_text(stream, type_, schema_version, effective_date,
                                                      payload_json).encode()).hexdigest()


def content_key(stream: str, type_: str, schema_version: int, effective_date: str,
                payload_json: str, metadata_json: str) -> str:
    """The legacy default key (before facts: the content with its metadata, so the actor too). No longer derived
    for new events; events stored under it keep it (their hashes seal it)."""
    return LEGACY_KEY_PREFIX + hashlib.sha256(content_text(stream, type_, schema_version, effective_date,
                                                           payload_json, metadata_json).encode()).hexdigest()
