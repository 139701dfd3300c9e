"""The store's clock: recorded times come from here, always UTC.

Recorded times are kept to the microsecond and written in one fixed text
form so that SQLite and PostgreSQL give back byte-identical values.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["UTC", "format_recorded_at", "parse_recorded_at", "utc_now"]


def utc_now() -> datetime:
    """Now, in UTC (freezegun-friendly: it patches datetime.now)."""
    return datetime.now(UTC)


def format_recorded_at(value: datetime) -> str:
    """The canonical text of a recorded time: 2026-11-22T14:59:46.123456Z."""
    if value.tzinfo is UTC:  # (the store's own times: no conversion to make)
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    if value.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def parse_recorded_at(text: str) -> datetime:
    """Parse the canonical form (or any ISO-8601 text with an offset or Z) to aware UTC."""
    if not isinstance(text, str):
        raise ValueError("must be an ISO-8601 timestamp string")
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if value.tzinfo is None:
        raise ValueError("must carry a timezone (end with Z or +00:00)")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable instant
        raise ValueError("is outside the range of timestamps (years 1 to 9999 in UTC)") from None
