"""Kendall's W and Krippendorff's alpha per criterion from the round's counts equal the matrix reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.compute import criterion_agreement
from analysis.criteria import CRITERION_COLUMNS, criterion_agreement_from_counts
from analysis.summary import count_ratings
from tests.aggregation.test_summary_vectorised import random_round


def assert_same_tables(found: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(found.columns) == list(CRITERION_COLUMNS) == list(expected.columns)
    assert found["criterion"].tolist() == expected["criterion"].tolist()
    for column in CRITERION_COLUMNS[1:]:
        for one, other in zip(found[column].tolist(), expected[column].tolist(), strict=True):
            assert (math.isnan(one) and math.isnan(other)) or math.isclose(one, other, rel_tol=1e-12, abs_tol=1e-12), (
                column,
                one,
                other,
            )


def raters_reference(ratings: pd.DataFrame) -> pd.Series:
    return ratings.dropna(subset=["value"]).groupby("criterion")["expert"].nunique()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    experts=st.integers(1, 12),
    areas=st.integers(1, 6),
    missing=st.sampled_from([0.0, 0.05, 0.4, 1.0]),
)
def test_the_counts_give_the_reference_numbers(seed: int, experts: int, areas: int, missing: float) -> None:
    ratings = random_round(seed, experts=experts, areas=areas, scales=[(1, 9), (0, 4), (1, 5)], missing=missing)
    if ratings.empty:
        return
    found, raters = criterion_agreement_from_counts(count_ratings(ratings))
    assert_same_tables(found, criterion_agreement(ratings))
    expected_raters = raters_reference(ratings)
    assert raters[raters > 0].to_dict() == expected_raters.to_dict()


def test_complete_experts_with_ties_and_one_who_skipped_an_area() -> None:
    rows = [
        # expert 1 ties areas a and b; expert 2 ranks them all apart; expert 3 skipped area c; expert 4 cannot judge c
        ("a", "B", 1, "x", 7.0), ("b", "B", 1, "x", 7.0), ("c", "B", 1, "x", 2.0),
        ("a", "B", 2, "y", 9.0), ("b", "B", 2, "y", 5.0), ("c", "B", 2, "y", 1.0),
        ("a", "B", 3, "x", 8.0), ("b", "B", 3, "x", 6.0),
        ("a", "B", 4, "y", 3.0), ("b", "B", 4, "y", 4.0), ("c", "B", 4, "y", math.nan),
    ]  # fmt: skip
    ratings = pd.DataFrame(rows, columns=["area", "criterion", "expert", "bloc", "value"]).assign(
        scale_min=1, scale_max=9
    )
    found, raters = criterion_agreement_from_counts(count_ratings(ratings))
    assert_same_tables(found, criterion_agreement(ratings))
    assert found.loc[0, "kendall_raters"] == 2  # experts 1 and 2
    assert found.loc[0, "n_areas"] == 3
    assert raters.to_dict() == {"B": 4}
    # By hand: ranks (1.5, 1.5, ... ) -> expert 1: a 2.5, b 2.5, c 1; expert 2: a 3, b 2, c 1
    rank_sums = np.array([5.5, 4.5, 2.0])
    spread = ((rank_sums - 4.0) ** 2).sum()
    w = 12 * spread / (4 * 24 - 2 * 6)  # T = 2^3 - 2 = 6 for expert 1's tie
    assert found.loc[0, "kendall_w"] == pytest.approx(w, rel=1e-12)


def test_a_criterion_rated_cannot_judge_throughout_has_no_figures() -> None:
    rows = [("a", "B", expert, "x", math.nan) for expert in range(3)]
    rows += [("a", "R", expert, "x", float(expert + 1)) for expert in range(3)]
    ratings = pd.DataFrame(rows, columns=["area", "criterion", "expert", "bloc", "value"]).assign(
        scale_min=1, scale_max=9
    )
    found, raters = criterion_agreement_from_counts(count_ratings(ratings))
    assert_same_tables(found, criterion_agreement(ratings))
    assert raters.to_dict() == {"B": 0, "R": 3}
