"""The writer's quick ways to write a time and a date give exactly what the general ways give."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.clock import format_recorded_at
from ledger.store.keys import date_text
from ledger.store.sqlite import SQLiteRecorder

TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


@given(TIMES)
def test_a_utc_time_is_written_as_any_aware_time_is(value):
    utc = value.replace(tzinfo=UTC)
    assert format_recorded_at(utc) == utc.astimezone(timezone(timedelta(0))).replace(tzinfo=None).isoformat(
        timespec="microseconds") + "Z"
    assert format_recorded_at(utc) == format_recorded_at(utc.astimezone(timezone(timedelta(hours=-5))))


@given(TIMES)
def test_sqlite_stores_a_sealed_time_as_it_stores_any_time(value):
    utc = value.replace(tzinfo=UTC)
    recorder = SQLiteRecorder.__new__(SQLiteRecorder)  # (the conversions need no engine)
    assert recorder.recorded_param_of(utc, format_recorded_at(utc)) == recorder.recorded_param(utc)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_recorded_at(datetime(2024, 1, 1))


@pytest.mark.parametrize("day", [date(1899, 12, 31), date(2200, 1, 1), date(1, 1, 1)])
def test_a_date_outside_1900_to_2199_is_refused(day):
    with pytest.raises(ValueError, match="between 1900 and 2199"):
        date_text(day)


@pytest.mark.parametrize("day", [date(1900, 1, 1), date(2024, 2, 29), date(2199, 12, 31)])
def test_a_date_inside_the_range_is_its_iso_text(day):
    assert date_text(day) == day.isoformat() == date_text(day.isoformat())


def test_a_datetime_is_not_a_date():
    with pytest.raises(ValueError):
        date_text(datetime(2024, 1, 1))
