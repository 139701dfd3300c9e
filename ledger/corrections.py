"""Corrections as the folds must see them: reversed events out, replacements in.

A pure function of a stream's recorded events (no I/O), shared by the read
side (projections/view.py) and the command handlers, so that a handler's
invariants and a query's answer read the same corrected books.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Optional

from ledger.events import REGISTRY
from ledger.events.base import json_defaults, upcast
from ledger.store import StoredEvent
from ledger.store.mapper import current_payload

REVERSAL = "EventReversed"


def corrected(raw: list[StoredEvent]) -> list[StoredEvent]:
    """A stream as the folds see it: reversed events out, replacements in, reversals themselves hidden.

    Reversals apply in log order. One that names a position not live on its
    stream (a different stream, already reversed) counts for nothing; the
    command handler never writes one. Naming an earlier reversal's position
    reverses that reversal's replacement (the original stays reversed).
    """
    live: dict[int, StoredEvent] = {}
    for e in raw:
        if e.type != REVERSAL:
            live[e.position] = e
            continue
        p = current_payload(e)
        if live.pop(p["position"], None) is None:
            continue
        if p.get("replacement_type"):
            live[e.position] = replacement_of(e, p)
    return sorted(live.values(), key=lambda e: e.position)


def replacement_of(reversal: StoredEvent, p: Optional[Mapping[str, Any]] = None) -> StoredEvent:
    """The synthetic event a reversal puts in the place of the one it reverses: the replacement's type and payload,
    effective on the reversal's date (the original's unless the correction said otherwise), at the reversal's
    position in the same stream, recorded when the reversal was. The payload has its type's defaults filled in, as a
    recorded event's has (an imported replacement is kept as it was written)."""
    p = p if p is not None else current_payload(reversal)
    type_ = p["replacement_type"]
    event_type = REGISTRY[type_]
    given = p["replacement_payload"] or {}
    version = event_type.version_of(given)  # (a replacement of an older shape, written before a new version)
    if version != event_type.schema_version:
        given = upcast(event_type, dict(given), version)
    return reversal._replace(type=type_, schema_version=event_type.schema_version,
                             payload={**json_defaults(event_type), **given})


def correction_rows(raw: list[StoredEvent]) -> list[dict[str, Any]]:
    """What `corrections` reports of a stream's reversals (only the ones that took effect)."""
    live: set[int] = set()
    rows: list[dict[str, Any]] = []
    for e in raw:
        if e.type != REVERSAL:
            live.add(e.position)
            continue
        p = current_payload(e)
        if p["position"] not in live:
            continue
        live.discard(p["position"])
        if p.get("replacement_type"):
            live.add(e.position)
        rows.append({
            "reversed_position": p["position"],
            "reversal_position": e.position,
            "effective_date": e.effective_date,
            "reason": p["reason"],
            "actor": e.metadata.get("actor"),
            "recorded_at": e.recorded_at,
            "replacement_type": p.get("replacement_type"),
            "prior_period_adjustment": e.metadata.get("adjustment") == "prior-period",
        })
    return rows


def typed_corrected(events: Iterable[StoredEvent], type_: str, reversals: dict[str, list[StoredEvent]],
                     stream: Callable[[str], list[StoredEvent]]) -> Iterator[StoredEvent]:
    """A type scan with corrections: events of corrected streams are taken from the corrected stream."""
    corrected_streams = set(reversals)
    picked = [e for e in events if e.stream not in corrected_streams]
    for name in corrected_streams:
        picked.extend(e for e in stream(name) if e.type == type_)
    return iter(sorted(picked, key=lambda e: e.position))
