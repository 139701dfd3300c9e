"""Amounts as a page or a document shows them: to the penny, never "-£0.00", and a negative one explained."""

from __future__ import annotations

from decimal import Decimal

import jinja2
import pytest

from projections.documents.render import below_zero, environment, money


@pytest.mark.parametrize(("value", "shown"), [
    ("1828.735", "£1,828.74"), ("-12", "-£12.00"), ("-0.00", "£0.00"), ("-0.004", "£0.00"), ("0", "£0.00"),
    ("-0.005", "-£0.01"), (None, "-")])
def test_an_amount_is_shown_to_the_penny_and_never_as_minus_nothing(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(("value", "negative"), [
    ("-10464.84", True), ("-0.005", True), ("-0.004", False), ("-0.00", False), ("0", False), ("12.5", False),
    (None, False), (Decimal("-1E+2"), True)])
def test_an_amount_is_below_zero_only_when_it_is_shown_below_zero(value, negative):
    assert below_zero(value) is negative


def test_the_statement_explains_a_negative_principal_repaid_and_only_that():
    template = environment().from_string(
        "{% if p is below_zero %}explained{% endif %} {{ p|money }}")
    assert template.render(p="-10464.84") == "explained -£10,464.84"
    assert template.render(p="5800.00") == " £5,800.00"
    with pytest.raises(jinja2.TemplateError):
        environment().from_string("{{ p is below_zeroes }}").render(p="1")
    text = (environment().loader.get_source(environment(), "statement.html")[0])  # type: ignore[union-attr]
    assert text.count("principal_repaid is below_zero") == 2  # the opening and the payout's
