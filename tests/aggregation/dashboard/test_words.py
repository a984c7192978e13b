"""The frozen consensus rule in plain words, in English and Chinese."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.utils import translation

from aggregation.dashboard.words import quantile_method_in_words, rule_in_words


def _rule(**parts):
    values = {
        "version": 3, "max_iqr": None, "band": "", "min_percent_in_band": None, "max_percent_opposite_band": None,
        "max_cv": None, "min_cns": None, "require_rand_agreement": False,
    } | parts  # fmt: skip
    return SimpleNamespace(**values)


def test_each_part_becomes_a_clause_joined_with_and():
    rule = _rule(max_iqr=Decimal("1.00"), band="high", min_percent_in_band=Decimal("70.00"))
    assert rule_in_words(rule) == (
        "An item reaches consensus when the interquartile range is at most 1 and at least 70% of the ratings "
        "fall in the highest third of the scale (rule version 3)."
    )


def test_every_part_is_named():
    rule = _rule(
        max_iqr=Decimal("1.5"), band="low", min_percent_in_band=Decimal("75"),
        max_percent_opposite_band=Decimal("15"), max_cv=Decimal("0.250"), min_cns=Decimal("0.8"),
        require_rand_agreement=True,
    )  # fmt: skip
    words = rule_in_words(rule)
    assert "interquartile range is at most 1.5, " in words
    assert "at least 75% of the ratings fall in the lowest third of the scale" in words
    assert "at most 15% of the ratings fall in the opposite third of the scale" in words
    assert "coefficient of variation is at most 0.25" in words
    assert "Tastle–Wierman consensus is at least 0.8" in words
    assert words.endswith("and the RAND/UCLA test (IPR against IPRAS) finds no disagreement (rule version 3).")


def test_the_middle_band_limits_both_outer_thirds():
    words = rule_in_words(_rule(band="middle", min_percent_in_band=Decimal(60), max_percent_opposite_band=Decimal(10)))
    assert "at most 10% of the ratings fall in each outer third of the scale" in words


def test_no_rule_and_an_empty_rule_claim_no_consensus():
    assert "No consensus rule was set" in rule_in_words(None)
    assert "has no conditions" in rule_in_words(_rule())


def test_the_rule_reads_in_chinese():
    with translation.override("zh-hans"):
        words = rule_in_words(_rule(max_iqr=Decimal(1)))
        method = quantile_method_in_words("weibull")
    assert "An item" not in words
    assert "1" in words
    assert "Hyndman" in method
