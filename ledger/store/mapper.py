"""The names `ledger.store.mapper` used to hold, from the modules that now hold them (import from those).

    keys         stream, key, hash and date patterns; fact_key, content_key
    envelope     envelope and metadata models; pending_from_envelope, pending_from_model
    payloads     encode_payload, encode_replacement
    streams      belongs_elsewhere, OWN_ID_FIELDS, own_id_errors, check_stream, consistent
    rows         decode_row, row_decoder, effective_value, recorded_value, current_payload, to_model, to_envelope
    chunks       validate_lines, validate_lines_one_by_one, the chunk validator and the lean loop
"""

from ledger.store.chunks import (
    _BLOCK,
    _CHUNK,
    _build_chunk_validator,
    _chunk_check,
    _chunk_validator,
    _fast_builder,
    _one_line,
    validate_lines,
    validate_lines_one_by_one,
)
from ledger.store.envelope import (
    ADJUSTMENT_KINDS,
    ENVELOPE_FIELDS,
    META_TEXT_BODY,
    META_TEXT_REASON,
    METADATA_FIELDS,
    _EnvelopeIn,
    _MetadataIn,
    _pending,
    _quick_envelope,
    check_metadata,
    pending_from_envelope,
    pending_from_model,
)
from ledger.store.keys import (
    DATE_PATTERN,
    FACT_KEY_PREFIX,
    HASH_BODY,
    HASH_PATTERN,
    KEY_BODY,
    KEY_PATTERN,
    KEY_REASON,
    LEGACY_KEY_PREFIX,
    STREAM_BODY,
    STREAM_PATTERN,
    content_key,
    date_text,
    fact_key,
)
from ledger.store.payloads import encode_payload, encode_replacement
from ledger.store.records import Pending, StoredEvent, content_text, fact_text
from ledger.store.rows import (
    _loads,
    current_payload,
    decode_row,
    effective_value,
    recorded_value,
    row_decoder,
    to_envelope,
    to_model,
)
from ledger.store.streams import OWN_ID_FIELDS, belongs_elsewhere, check_stream, consistent, own_id_errors

__all__ = [
    "ADJUSTMENT_KINDS", "DATE_PATTERN", "ENVELOPE_FIELDS", "FACT_KEY_PREFIX", "HASH_BODY", "HASH_PATTERN", "KEY_BODY",
    "KEY_PATTERN", "KEY_REASON", "LEGACY_KEY_PREFIX", "METADATA_FIELDS", "META_TEXT_BODY", "META_TEXT_REASON",
    "OWN_ID_FIELDS", "STREAM_BODY", "STREAM_PATTERN", "_BLOCK", "_CHUNK", "Pending", "StoredEvent",
    "_EnvelopeIn", "_MetadataIn", "_build_chunk_validator", "_chunk_check", "_chunk_validator", "_fast_builder",
    "_loads", "_one_line", "_pending", "_quick_envelope", "belongs_elsewhere", "check_metadata", "check_stream",
    "consistent", "content_key", "content_text", "current_payload", "date_text", "decode_row", "effective_value",
    "encode_payload", "encode_replacement", "fact_key", "fact_text", "own_id_errors", "pending_from_envelope",
    "pending_from_model", "recorded_value", "row_decoder", "to_envelope", "to_model", "validate_lines",
    "validate_lines_one_by_one",
]
