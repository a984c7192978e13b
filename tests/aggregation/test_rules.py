"""Consensus rules: each part on its own, their AND, undefined statistics, and reading a model's Decimals."""

from __future__ import annotations

import math
from decimal import Decimal
from types import SimpleNamespace

import pandas as pd
import pytest

from aggregation.rules import RuleParts, consensus, evaluate_parts


def rows(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "n": [10, 10, 10],
        "iqr": [1.0, 1.0000000000000002, 1.5],
        "pct_low": [0.0, 10.0, 20.0],
        "pct_mid": [20.0, 20.0, 30.0],
        "pct_high": [80.0, 70.0, 50.0],
        "cv": [0.1, 0.2, math.nan],
        "cns": [0.8, 0.7, 0.5],
        "ipras_disagreement": [False, True, None],
    }
    return pd.DataFrame(base | columns)


def test_max_iqr_allows_round_off() -> None:
    assert consensus(rows(), RuleParts(max_iqr=1)).tolist() == [True, True, False]


def test_percent_in_band() -> None:
    assert consensus(rows(), RuleParts(band="high", min_percent_in_band=70)).tolist() == [True, True, False]
    assert consensus(rows(), RuleParts(band="middle", min_percent_in_band=25)).tolist() == [False, False, True]


def test_ceiling_on_the_opposite_band() -> None:
    rule = RuleParts(band="high", min_percent_in_band=70, max_percent_opposite_band=5)
    assert consensus(rows(), rule).tolist() == [True, False, False]
    # For the low band the opposite is the high band; for the middle band, each end.
    assert evaluate_parts(rows(), RuleParts(band="low", max_percent_opposite_band=60))[
        "max_percent_opposite_band"
    ].tolist() == [False, False, True]
    assert evaluate_parts(rows(), RuleParts(band="middle", max_percent_opposite_band=75))[
        "max_percent_opposite_band"
    ].tolist() == [False, True, True]


def test_max_cv_fails_where_the_cv_is_undefined() -> None:
    assert consensus(rows(), RuleParts(max_cv=0.15)).tolist() == [True, False, False]


def test_min_cns() -> None:
    assert consensus(rows(), RuleParts(min_cns=0.7)).tolist() == [True, True, False]


def test_rand_agreement_needs_a_test_without_disagreement() -> None:
    # The third row has no RAND/UCLA result (not a 1-9 scale): agreement cannot be shown.
    assert consensus(rows(), RuleParts(require_rand_agreement=True)).tolist() == [True, False, False]


def test_parts_combine_with_and() -> None:
    rule = RuleParts(max_iqr=1, band="high", min_percent_in_band=70, min_cns=0.75)
    parts = evaluate_parts(rows(), rule)
    assert list(parts.columns) == ["max_iqr", "min_percent_in_band", "min_cns"]
    assert consensus(rows(), rule).tolist() == [True, False, False]


def test_no_rule_or_an_empty_rule_gives_no_verdict() -> None:
    assert consensus(rows(), None).tolist() == [None, None, None]
    assert consensus(rows(), RuleParts()).tolist() == [None, None, None]


def test_an_item_without_ratings_never_has_consensus() -> None:
    empty = rows(n=[0, 10, 10], iqr=[0.0, 0.0, 0.0])
    assert consensus(empty, RuleParts(max_iqr=1)).tolist() == [False, True, True]


def test_a_band_part_needs_a_band() -> None:
    with pytest.raises(ValueError, match="band"):
        evaluate_parts(rows(), RuleParts(min_percent_in_band=70))


def test_it_reads_a_rule_model_with_decimals() -> None:
    model = SimpleNamespace(
        version=3,
        max_iqr=Decimal("1.00"),
        band="high",
        min_percent_in_band=Decimal("70.00"),
        max_percent_opposite_band=None,
        max_cv=None,
        min_cns=Decimal("0.750"),
        require_rand_agreement=False,
    )
    parts = RuleParts.from_rule(model)
    assert parts == RuleParts(version=3, max_iqr=1.0, band="high", min_percent_in_band=70.0, min_cns=0.75)
    assert parts.part_names() == ["max_iqr", "min_percent_in_band", "min_cns"]
