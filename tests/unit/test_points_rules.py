import calendar
import time
from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.points import (
    BalanceChange,
    FactorChange,
    PointsState,
    accrue,
    accrued_points,
    month_time,
    to_points,
)

FULL = [FactorChange(date(2000, 1, 1), D("1"))]


def deposit(on, amount):
    return BalanceChange(on, D(amount))


def test_a_balance_held_for_a_whole_month_earns_exactly_balance_times_factor():
    factor = [FactorChange(date(2000, 1, 1), D("0.8"))]
    for first, last in [(date(2024, 1, 1), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29)),
                        (date(2023, 2, 1), date(2023, 2, 28)), (date(2024, 4, 1), date(2024, 4, 30))]:  # fmt: skip
        assert accrued_points([deposit(first, "250")], factor, first, last) == D("200.0000")


def test_a_deposit_counts_in_the_end_of_day_balance_of_its_own_day():
    points = accrue([deposit(date(2024, 1, 31), "31")], FULL, date(2024, 1, 1), date(2024, 1, 31))
    assert points == 1  # one day of 31 at £31


def test_a_withdrawal_stops_earning_on_its_own_day():
    changes = [deposit(date(2024, 3, 1), "100"), deposit(date(2024, 3, 11), "-100")]
    assert accrue(changes, FULL, date(2024, 3, 1), date(2024, 3, 31)) == Fraction(1000, 31)


def test_a_partial_month_earns_its_share_of_the_days():
    points = accrued_points([deposit(date(2024, 1, 16), "100")], FULL, date(2024, 1, 1), date(2024, 2, 29))
    assert points == D("151.6129")  # 16/31 of a month, then all of February


def test_each_day_is_a_share_of_its_own_month_across_a_month_end():
    assert month_time(date(2023, 1, 31), date(2023, 2, 1)) == Fraction(1, 31) + Fraction(1, 28)
    assert month_time(date(2023, 1, 1), date(2023, 12, 31)) == 12
    assert month_time(date(2023, 1, 2), date(2023, 1, 1)) == 0


def test_a_factor_change_mid_month_applies_from_its_effective_date():
    factors = [FactorChange(date(2000, 1, 1), D("1")), FactorChange(date(2024, 4, 11), D("0.5"))]
    points = accrue([deposit(date(2024, 4, 1), "300")], factors, date(2024, 4, 1), date(2024, 4, 30))
    assert points == 300 * Fraction(10, 30) + 300 * Fraction(1, 2) * Fraction(20, 30)  # 11 April at the new factor


def test_plain_date_and_amount_pairs_are_accepted_and_checked_alike():
    points = accrued_points([(date(2024, 1, 1), D("100"))], [(date(2000, 1, 1), D("0.5"))], date(2024, 1, 1),
                            date(2024, 1, 31))  # fmt: skip
    assert points == D("50.0000")
    with pytest.raises(TypeError):
        accrue([(date(2024, 1, 1), 100.0)], FULL, date(2024, 1, 1), date(2024, 1, 31))


def test_a_factor_in_force_before_the_start_is_used_from_the_start():
    factors = [FactorChange(date(2020, 1, 1), D("0.2")), FactorChange(date(2023, 1, 1), D("0.6"))]
    assert accrued_points([deposit(date(2024, 1, 1), "100")], factors, date(2024, 1, 1), date(2024, 1, 31)) == D(
        "60.0000"
    )


def test_changes_before_the_start_make_up_the_opening_balance_and_later_ones_are_ignored():
    changes = [deposit(date(2023, 5, 3), "40"), deposit(date(2023, 12, 31), "60"), deposit(date(2024, 2, 1), "999")]
    assert accrued_points(changes, FULL, date(2024, 1, 1), date(2024, 1, 31)) == D("100.0000")


def test_a_loan_in_equal_instalments_consumes_l_times_n_plus_one_over_two():
    # Disbursed on the 1st; instalment k dated the 1st of month k+1 (paid "at the end of month k").
    changes = [deposit(date(2024, 1, 1), "-1200")]
    changes += [deposit(date(2024 + k // 12, k % 12 + 1, 1), "100") for k in range(1, 13)]
    points = accrued_points(changes, FULL, date(2024, 1, 1), date(2025, 1, 31))
    assert points == D("-7800.0000")  # 1200 x 13 / 2


def test_an_instalment_dated_the_last_day_of_the_month_consumes_a_day_less():
    on_the_first = [deposit(date(2024, 1, 1), "-100"), deposit(date(2024, 2, 1), "100")]
    on_the_31st = [deposit(date(2024, 1, 1), "-100"), deposit(date(2024, 1, 31), "100")]
    assert accrue(on_the_first, FULL, date(2024, 1, 1), date(2024, 2, 29)) == -100
    assert accrue(on_the_31st, FULL, date(2024, 1, 1), date(2024, 2, 29)) == -100 + Fraction(100, 31)


def test_early_repayment_consumes_only_the_months_the_loan_ran():
    # £1,200 over 12 months, repaid in full with the third instalment.
    changes = [deposit(date(2024, 1, 1), "-1200"), deposit(date(2024, 2, 1), "100"), deposit(date(2024, 3, 1), "100"),
               deposit(date(2024, 4, 1), "1000")]  # fmt: skip
    points = accrued_points(changes, FULL, date(2024, 1, 1), date(2025, 1, 31))
    assert points == D("-3300.0000")  # 1200 + 1100 + 1000, against 7800 for the full term


def test_points_are_rounded_once_to_four_places_half_to_even():
    assert to_points(Fraction(1, 20000)) == D("0.0000")
    assert to_points(Fraction(3, 20000)) == D("0.0002")
    assert to_points(Fraction(-3, 20000)) == D("-0.0002")
    assert to_points(Fraction(1, 3)) == D("0.3333")
    assert str(to_points(Fraction(0))) == "0.0000"


def test_thirty_years_of_monthly_changes_accrue_in_one_step_per_change():
    start = date(2000, 1, 1)
    changes = [deposit(date(2000 + m // 12, m % 12 + 1, 15), "10") for m in range(360)]
    began = time.perf_counter()
    points = accrue(changes, FULL, start, date(2029, 12, 31))
    assert time.perf_counter() - began < 0.5
    one_change = accrue([deposit(start, "1")], FULL, start, date(2029, 12, 31))
    assert one_change == 360
    assert points > 0


def test_the_accumulator_folds_changes_one_at_a_time_to_the_same_figure():
    changes = [deposit(date(2024, 1, 10), "50"), FactorChange(date(2024, 2, 15), D("0.25")),
               deposit(date(2024, 2, 15), "25"), deposit(date(2024, 2, 15), "-5")]  # fmt: skip
    state = PointsState.opening(date(2024, 1, 1), D("1"))
    for change in changes:
        state = state.apply(change)
    assert state.last_date == date(2024, 2, 14)
    assert state.balance == 70 and state.factor == Fraction(1, 4)
    batch = accrued_points(
        [c for c in changes if isinstance(c, BalanceChange)],
        FULL + [changes[1]],
        date(2024, 1, 1),
        date(2024, 3, 31),
    )
    assert state.points_through(date(2024, 3, 31)) == batch


def test_the_accumulator_refuses_a_change_dated_before_what_it_has_accrued():
    state = PointsState.opening(date(2024, 1, 1), D("1")).accrued_through(date(2024, 1, 31))
    with pytest.raises(ValueError, match="date order"):
        state.apply(deposit(date(2024, 1, 31), "1"))
    with pytest.raises(ValueError):
        state.accrued_through(date(2024, 1, 30))


def test_no_factor_in_force_at_the_start_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="factors"):
        accrue([deposit(date(2024, 1, 1), "1")], [FactorChange(date(2024, 1, 2), D("1"))], date(2024, 1, 1),
               date(2024, 1, 31))  # fmt: skip


def test_floats_and_datetimes_are_refused():
    from datetime import datetime

    with pytest.raises(TypeError):
        BalanceChange(date(2024, 1, 1), 1.5)
    with pytest.raises(TypeError):
        FactorChange(date(2024, 1, 1), 0.5)
    with pytest.raises(TypeError):
        BalanceChange(datetime(2024, 1, 1), D("1"))
    with pytest.raises(TypeError):
        PointsState.opening(date(2024, 1, 1), D("1"), balance=2.0)


def test_a_factor_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        FactorChange(date(2024, 1, 1), D("1.5"))
    with pytest.raises(ValueError):
        FactorChange(date(2024, 1, 1), D("-0.1"))


# --- the defining property -------------------------------------------------------------------------

DAY0 = date(2023, 11, 1)
days = st.integers(min_value=0, max_value=800).map(lambda n: DAY0 + timedelta(days=n))
amounts = st.decimals(min_value=-5000, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
factor_values = st.sampled_from([D("0"), D("0.1"), D("0.35"), D("0.5"), D("0.9"), D("1")])


def by_the_day(changes, factors, start, as_of):
    """The rule read literally: sum over days of end-of-day balance x 1/(days in month) x factor."""
    total, day = Fraction(0), start
    while day <= as_of:
        balance = sum((Fraction(c.delta) for c in changes if c.on <= day), Fraction(0))
        in_force = [f for f in factors if f.effective <= day]
        factor = Fraction(max(in_force, key=lambda f: f.effective).factor)
        total += balance * factor / calendar.monthrange(day.year, day.month)[1]
        day += timedelta(days=1)
    return total


@settings(max_examples=60, deadline=None)
@given(
    changes=st.lists(st.builds(BalanceChange, days, amounts), max_size=8),
    later_factors=st.lists(st.builds(FactorChange, days, factor_values), max_size=3, unique_by=lambda f: f.effective),
    first=factor_values,
    span=st.tuples(days, days),
)
def test_points_always_equal_the_sum_over_days_of_balance_over_days_in_month_times_factor(
    changes, later_factors, first, span
):
    start, as_of = min(span), max(span)
    factors = [FactorChange(DAY0 - timedelta(days=1), first)] + later_factors
    exact = accrue(changes, factors, start, as_of)
    assert exact == by_the_day(changes, factors, start, as_of)
    state = PointsState.opening(start, D(1))
    state = PointsState(state.last_date, sum((Fraction(c.delta) for c in changes if c.on < start), Fraction(0)),
                        Fraction(max([f for f in factors if f.effective <= start], key=lambda f: f.effective).factor),
                        Fraction(0))  # fmt: skip
    dated = [c for c in changes if start <= c.on <= as_of] + [f for f in factors if start < f.effective <= as_of]
    for change in sorted(dated, key=lambda c: c.on if isinstance(c, BalanceChange) else c.effective):
        state = state.apply(change)
    assert state.accrued_through(as_of).points == exact


_days = st.dates(min_value=date(1999, 1, 1), max_value=date(2031, 12, 31))
_pennies = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda p: D(p).scaleb(-2))
_factors = st.sampled_from(["0", "0.1", "0.25", "0.8", "1", "0.333"]).map(D)


@settings(max_examples=300, deadline=None)
@given(changes=st.lists(st.tuples(_days, _pennies), max_size=40),
       factors=st.lists(st.tuples(_days, _factors), max_size=5), start=_days, as_of=_days)
def test_the_integer_fold_gives_exactly_the_points_of_the_stepwise_fraction_fold(changes, factors, start, as_of):
    from ledger.rules.points import accrue_stepwise

    balance = [BalanceChange(on, delta) for on, delta in changes]
    factor = [FactorChange(date(1998, 1, 1), D("1"))] + [FactorChange(on, f) for on, f in factors]
    assert accrue(balance, factor, start, as_of) == accrue_stepwise(balance, factor, start, as_of)


def test_a_change_finer_than_a_penny_is_still_accrued_exactly():
    points = accrue([deposit(date(2024, 1, 1), "0.001")], FULL, date(2024, 1, 1), date(2024, 1, 31))
    assert points == Fraction(1, 1000)
