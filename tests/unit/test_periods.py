"""The closed-period rule, as a pure function of the closes, the date and the metadata."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from ledger.periods import adjustment_metadata, closed_period_error, closes_in, prior_period_adjustment, societies_of

FY = [(date(2023, 4, 1), date(2024, 3, 31))]


def test_a_date_outside_every_closed_period_is_allowed():
    assert closed_period_error(FY, date(2024, 4, 1), {"actor": "a"}) is None
    assert closed_period_error(FY, date(2023, 3, 31), {"actor": "a"}) is None
    assert closed_period_error([], date(2023, 6, 1), None) is None


def test_a_date_inside_a_closed_period_is_refused_naming_the_period_and_the_way_out():
    for day in (date(2023, 4, 1), date(2023, 9, 30), date(2024, 3, 31)):
        error = closed_period_error(FY, day, {"actor": "a"})
        assert error is not None and error.field == "effective_date"
        assert "closed period 2023-04-01 to 2024-03-31" in error.reason and "prior-period" in error.reason


def test_a_prior_period_adjustment_with_a_reason_is_allowed():
    assert closed_period_error(FY, date(2023, 9, 30), {"actor": "a", "adjustment": "prior-period",
                                                        "reason": "bank statement found late"}) is None


def test_an_adjustment_without_a_reason_or_a_reason_without_the_adjustment_is_refused():
    assert closed_period_error(FY, date(2023, 9, 30), {"actor": "a", "adjustment": "prior-period"}) is not None
    assert closed_period_error(FY, date(2023, 9, 30), {"actor": "a", "adjustment": "prior-period",
                                                        "reason": "  "}) is not None
    assert closed_period_error(FY, date(2023, 9, 30), {"actor": "a", "reason": "late"}) is not None
    assert closed_period_error(FY, date(2023, 9, 30), {"actor": "a", "adjustment": "other",
                                                        "reason": "late"}) is not None


def _e(type_, **payload):
    return SimpleNamespace(type=type_, payload=payload)


def test_an_event_belongs_to_the_society_of_its_member_dwelling_loan_or_account():
    streams = {
        "member-m1": [_e("MemberAdmitted", coop_id="c1")],
        "dwelling-d1": [_e("DwellingRegistered", coop_id="c2")],
        "loan-L1": [_e("LoanGranted", fund_id="f1")],
        "account-a1": [_e("SavingsAccountOpened", fund_id="f2")],
    }
    read = lambda s: streams.get(s, [])  # noqa: E731
    assert societies_of("society-c9", {}, read) == ["c9"]
    assert societies_of("member-m1", {"society_id": "c3"}, read) == ["c1", "c3"]
    assert societies_of("dwelling-d1", {}, read) == ["c2"]
    assert societies_of("loan-L1", {}, read) == ["f1"]
    assert societies_of("account-a1", {}, read) == ["f2"]
    assert societies_of("member-new", {"coop_id": "c4"}, read) == ["c4"]  # its admission, in the same command
    assert societies_of("index-RPI", {}, read) == []


def test_closes_are_read_from_period_closed_events():
    events = [_e("FundPolicySet"), _e("PeriodClosed", society_id="f1", period_start="2023-01-01",
                                      period_end="2023-12-31")]
    assert closes_in(events) == [(date(2023, 1, 1), date(2023, 12, 31))]


def test_a_prior_period_adjustment_block_adds_its_metadata_and_needs_a_reason():
    assert adjustment_metadata() == {}
    with prior_period_adjustment("late statement"):
        assert adjustment_metadata() == {"adjustment": "prior-period", "reason": "late statement"}
    assert adjustment_metadata() == {}
    with pytest.raises(ValueError):
        with prior_period_adjustment(" "):
            pass
