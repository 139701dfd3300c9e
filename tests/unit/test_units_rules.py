from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.units import UnitHolding, unit_value, unitise


def test_unit_value_is_dwelling_value_over_number_of_units():
    assert unit_value(D("145000"), 1000) == D("145")
    assert unit_value(D("155328"), 1000) == D("155.328")


def test_report_example_at_admission_gives_member_forty_units():
    holding = unitise(1000, 213, D("145"), D("108315"))
    assert holding.financed_units == D("747")
    assert holding.member_units == D("40")
    assert holding.gross_equity == D("5800.00")


def test_repaying_debt_moves_units_from_financed_to_member():
    holding = unitise(1000, 213, D("184.48"), D("102665"))
    assert round(holding.financed_units) == 557
    assert round(holding.member_units) == 230


def test_units_are_fractional_and_always_add_up_to_n():
    holding = unitise(1000, 213, D("155.328"), D("107567"))
    assert holding.financed_units == D("692.515194")
    assert holding.clt_units + holding.member_units + holding.financed_units == 1000


def test_gross_equity_is_non_clt_value_less_debt():
    holding = unitise(1000, 213, D("155.328"), D("107567"))
    # 787 x 155.328 - 107,567 = 14,676.136, reported to the penny.
    assert holding.gross_equity == D("14676.14")


def test_falling_values_shrink_member_units_but_never_below_zero():
    holding = unitise(1000, 213, D("100"), D("108315"))
    assert holding.member_units == 0
    assert holding.financed_units == 787
    assert holding.gross_equity == 0
    assert holding.uncovered_debt == D("29615.00")


def test_a_debt_free_member_holds_every_non_clt_unit():
    holding = unitise(1000, 213, D("367.077"), D("0"))
    assert holding.member_units == 787 and holding.financed_units == 0
    assert holding.uncovered_debt == 0


def test_result_is_immutable():
    holding = unitise(1000, 213, D("145"), D("108315"))
    assert isinstance(holding, UnitHolding)
    with pytest.raises(AttributeError):
        holding.member_units = D("1")  # type: ignore[misc]


def test_floats_and_nonsense_are_refused_with_the_field_named():
    with pytest.raises(TypeError, match="debt_share"):
        unitise(1000, 213, D("145"), 108315.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unit_value"):
        unitise(1000, 213, 145.0, D("1"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clt_units"):
        unitise(1000, 1001, D("145"), D("1"))
    with pytest.raises(ValueError, match="debt_share"):
        unitise(1000, 213, D("145"), D("-1"))
    with pytest.raises(ValueError, match="dwelling_value"):
        unit_value(D("0"), 1000)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 5000),
    clt_share=st.integers(0, 100),
    value_pence=st.integers(1, 10**9),
    debt_pence=st.integers(0, 10**10),
)
def test_units_are_conserved_and_never_negative(n, clt_share, value_pence, debt_pence):
    clt = D(n * clt_share // 100)
    holding = unitise(n, clt, D(value_pence) / 100 / n, D(debt_pence) / 100)
    assert holding.clt_units + holding.member_units + holding.financed_units == n
    assert holding.member_units >= 0 and holding.financed_units >= 0
    assert holding.gross_equity >= 0 and holding.uncovered_debt >= 0
