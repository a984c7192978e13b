"""One place formats numbers: shares and percentages are different types, so neither is shown as the other.

Measured: the convergence page showed "Changed their rating 0.6%" for a share of 0.6 (60%).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from aggregation.numbers import Percent, Share, number_text, percent_text, pvalue_text
from aggregation.templatetags.dashboard_tags import percent, share
from exports.statistics import COLUMNS


def test_a_share_is_multiplied_and_a_percent_is_not() -> None:
    assert percent_text(Share(0.6)) == "60%"
    assert percent_text(Percent(0.6)) == "0.6%"
    assert percent_text(Percent(62.5)) == "62.5%"
    assert share(0.25) == "25%"
    assert percent(25.0) == "25%"


def test_a_bare_float_must_say_what_it_is() -> None:
    with pytest.raises(TypeError, match="Share"):
        percent_text(0.6)  # type: ignore[arg-type]


def test_numbers_drop_trailing_zeros_and_localise_only_when_asked() -> None:
    assert number_text(7.0) == "7"
    assert number_text(6.25) == "6.25"
    assert number_text(Decimal("70.00"), None, localise=False) == "70"
    assert number_text(-0.0001) == "0"
    assert number_text(None) == "—"
    with translation.override("de"):
        assert number_text(6.5) == "6,5"
        assert number_text(6.5, localise=False) == "6.5"


def test_p_values_print_as_papers_do() -> None:
    assert pvalue_text(0.0004) == "< 0.001"
    assert pvalue_text(0.04312) == "0.043"
    assert pvalue_text(None) == "—"


def test_every_share_percent_and_probability_column_of_the_exports_says_its_unit() -> None:
    for name, (_name, _type, description, _codes) in COLUMNS.items():
        if name.startswith("pct_"):
            assert "(unit: percent, 0 to 100)" in description
        if name.endswith("_share"):
            assert "(unit: share, 0 to 1" in description
        if name.endswith("_p"):
            assert "(unit: probability, 0 to 1)" in description
