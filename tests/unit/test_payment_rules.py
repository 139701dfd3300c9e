from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.payments import (
    ChargesCollected,
    PaymentAllocation,
    allocate_payment,
    annual_payment,
    charges_collected,
    indexed_amount,
    indexed_payment,
    reserve_movement,
)


def test_annual_payment_is_net_salary_times_payment_rate():
    assert annual_payment(D("17089.23"), D("0.325")) == D("5554.00")


def test_payment_rate_outside_thirty_to_thirty_five_per_cent_is_refused():
    with pytest.raises(ValueError, match="payment_rate"):
        annual_payment(D("17000"), D("0.40"))
    with pytest.raises(ValueError, match="payment_rate"):
        annual_payment(D("17000"), D("0.29"))


def test_payment_is_indexed_by_rpi_plus_half_a_per_cent():
    assert indexed_payment(D("5554"), D("0.025")) == D("5720.62")


def test_payment_never_falls_even_when_rpi_plus_margin_is_negative():
    assert indexed_payment(D("5554.00"), D("-0.02")) == D("5554.00")
    assert indexed_payment(D("5554.00"), D("-0.005")) == D("5554.00")


def test_charges_follow_their_own_index_and_may_fall():
    assert indexed_amount(D("473.20"), D("0.035")) == D("489.76")
    assert indexed_amount(D("473.20"), D("-0.01")) == D("468.47")


def test_receipt_pays_arrears_then_charges_then_mortgage_then_reserve():
    result = allocate_payment(D("600"), arrears=D("50"), charges_due=D("40"), mortgage_due=D("420"))
    assert (result.to_arrears, result.to_charges, result.to_mortgage) == (D("50"), D("40"), D("420"))
    assert result.surplus == result.to_reserve == D("90")
    assert result.to_equity_stake == 0 and result.unpaid == 0


def test_short_receipt_leaves_the_mortgage_unpaid_after_arrears_and_charges():
    result = allocate_payment(D("100"), arrears=D("50"), charges_due=D("40"), mortgage_due=D("420"))
    assert (result.to_arrears, result.to_charges, result.to_mortgage) == (D("50"), D("40"), D("10"))
    assert result.unpaid == D("410") and result.surplus == 0


def test_equity_stake_policy_turns_part_of_the_surplus_into_debt_reduction():
    result = allocate_payment(
        D("600"), arrears=D("0"), charges_due=D("40"), mortgage_due=D("420"), equity_stake_fraction=D("0.333")
    )
    assert result.to_equity_stake == D("46.62")  # 33.3% of 140, to the penny
    assert result.to_reserve == D("93.38")


def test_reserve_movement_is_payments_less_charges_less_mortgage_and_may_be_a_deficit():
    assert reserve_movement(D("5554"), D("473.20"), D("5080.38")) == D("0.42")
    assert reserve_movement(D("5000"), D("473.20"), D("5080.38")) == D("-553.58")


def test_allocation_is_immutable_and_floats_are_refused():
    result = allocate_payment(D("1"), arrears=D("0"), charges_due=D("0"), mortgage_due=D("0"))
    assert isinstance(result, PaymentAllocation)
    with pytest.raises(AttributeError):
        result.surplus = D("0")  # type: ignore[misc]
    with pytest.raises(TypeError, match="received"):
        allocate_payment(600.0, arrears=D("0"), charges_due=D("0"), mortgage_due=D("0"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rpi"):
        indexed_payment(D("5554"), 0.025)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="charges_due"):
        allocate_payment(D("1"), arrears=D("0"), charges_due=D("-1"), mortgage_due=D("0"))
    with pytest.raises(ValueError, match="equity_stake_fraction"):
        allocate_payment(D("1"), arrears=D("0"), charges_due=D("0"), mortgage_due=D("0"), equity_stake_fraction=D("2"))


pence = st.integers(0, 10**8).map(lambda p: D(p) / 100)


@settings(max_examples=150, deadline=None)
@given(received=pence, arrears=pence, charges=pence, mortgage=pence, fraction=st.integers(0, 100))
def test_allocation_always_adds_up_to_the_receipt(received, arrears, charges, mortgage, fraction):
    r = allocate_payment(
        received, arrears=arrears, charges_due=charges, mortgage_due=mortgage, equity_stake_fraction=D(fraction) / 100
    )
    parts = [r.to_arrears, r.to_charges, r.to_mortgage, r.to_equity_stake, r.to_reserve]
    assert sum(parts) == received
    assert all(part >= 0 for part in parts)
    assert r.unpaid == arrears + charges + mortgage - r.to_arrears - r.to_charges - r.to_mortgage


@settings(max_examples=100, deadline=None)
@given(payment=pence, rpi_bp=st.integers(-1500, 2000))
def test_indexed_payment_never_falls(payment, rpi_bp):
    assert indexed_payment(payment, D(rpi_bp) / 10000) >= payment


_pennies = st.integers(min_value=1, max_value=200_000).map(lambda p: D(p) / 100)
_due = st.tuples(_pennies, st.integers(min_value=0, max_value=100)).map(
    lambda t: (t[0], (t[0] * t[1] / 100).quantize(D("0.01"))))


@settings(max_examples=300, deadline=None)
@given(dues=st.lists(_due, max_size=40), asks=st.lists(st.integers(min_value=-50_000, max_value=8_000_000),
                                                        min_size=1, max_size=12), cut=st.data())
def test_charges_collected_asked_of_growing_dues_is_the_walk_over_them(dues, asks, cut):
    """ChargesCollected (running totals and a bisection, asked as the dues grow) answers what charges_collected's
    walk over every due answers, for any receipts, short, exact, over or below nothing."""
    collected_of = ChargesCollected()
    seen = 0
    for pennies in asks:
        seen = cut.draw(st.integers(min_value=seen, max_value=len(dues)))
        so_far, received = dues[:seen], D(pennies) / 100
        total, charges = sum((a for a, _ in so_far), D(0)), sum((c for _, c in so_far), D(0))
        assert collected_of.totals(so_far) == (total, charges)
        assert collected_of(received, so_far) == charges_collected(received, so_far, total, charges)
