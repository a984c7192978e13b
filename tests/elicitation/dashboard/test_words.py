"""The study's conventions in plain words, in English and Chinese."""

from __future__ import annotations

from django.utils import translation

from elicitation.dashboard.words import quantile_method_in_words


def test_each_quantile_method_is_named_with_the_software_that_uses_it():
    assert quantile_method_in_words("weibull") == "Quartiles by Hyndman–Fan type 6 (as SPSS computes them)."
    assert "R and numpy" in quantile_method_in_words("linear")


def test_the_method_reads_in_chinese():
    with translation.override("zh-hans"):
        words = quantile_method_in_words("weibull")
    assert "Quartiles" not in words
    assert "Hyndman–Fan" in words
