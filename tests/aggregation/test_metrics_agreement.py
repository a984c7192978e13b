"""rwg, rwg(J), Kendall's W, Fleiss' kappa and Krippendorff's alpha, against hand-worked cases and references."""

from __future__ import annotations

import math
import warnings
from typing import Literal, TypeAlias

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from analysis import metrics

NO_DEADLINE = settings(deadline=None, max_examples=200)  # the suite may share a busy machine
Level: TypeAlias = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


# rwg


def test_it_gives_full_within_group_agreement_when_everyone_agrees() -> None:
    assert metrics.rwg([6, 6, 6, 6], 9) == 1.0


def test_it_scales_rwg_by_the_uniform_variance_of_the_scale() -> None:
    # 0-10 has 11 options: sigma^2_EU = (121 - 1) / 12 = 10; ratings 4 5 6 have s^2 = 1, so rwg = 0.9.
    assert metrics.rwg([4, 5, 6], 11) == pytest.approx(0.9)
    # 1-9: sigma^2_EU = 80 / 12; ratings 7 8 9 have s^2 = 1, so rwg = 1 - 12 / 80 = 0.85.
    assert metrics.rwg([7, 8, None, 9], 9) == pytest.approx(0.85)


def test_it_truncates_negative_rwg_to_zero() -> None:
    # 1 1 5 5 on 1-5: s^2 = 16 / 3 exceeds sigma^2_EU = 2, so 1 - s^2 / sigma^2 = -1.67 is reported as 0.
    assert metrics.rwg([1, 1, 5, 5], 5) == 0.0


def test_it_leaves_rwg_undefined_below_two_ratings() -> None:
    assert math.isnan(metrics.rwg([], 5))
    assert math.isnan(metrics.rwg([3, None], 5))


@pytest.mark.parametrize("n_options", [1, 0, -3, 2.5, True, "5"])
def test_it_refuses_fewer_than_two_options_or_a_non_integer_count(n_options: object) -> None:
    with pytest.raises(ValueError, match="n_options"):
        metrics.rwg([1, 2], n_options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_options"):
        metrics.rwg_j([[1, 2]], n_options)  # type: ignore[arg-type]


def test_it_refuses_ratings_that_span_more_than_the_options() -> None:
    with pytest.raises(ValueError, match="span more"):
        metrics.rwg([1, 9], 5)
    with pytest.raises(ValueError, match="span more"):
        metrics.rwg_j([[1, 1], [9, 2]], 5)


# rwg(J)


def test_it_combines_item_variances_into_rwg_j() -> None:
    # Items (columns) 4 4 5 (s^2 = 1/3) and 3 4 5 (s^2 = 1) on 1-5: mean s^2 = 2/3, r = (2/3) / 2 = 1/3,
    # rwg(J) = 2 (2/3) / (2 (2/3) + 1/3) = 0.8.
    assert metrics.rwg_j([[4, 3], [4, 4], [5, 5]], 5) == pytest.approx(0.8)


def test_it_reduces_rwg_j_to_rwg_for_a_single_item() -> None:
    assert metrics.rwg_j([[4], [4], [5], [4], [3]], 5) == pytest.approx(metrics.rwg([4, 4, 5, 4, 3], 5))


def test_it_uses_available_cases_per_item_and_skips_items_with_one_rating() -> None:
    # The second item has one rating and is left out, so only the first (s^2 = 1/3) counts: J = 1.
    with_gaps: list[list[float | None]] = [[4, None], [4, 2], [5, None]]
    assert metrics.rwg_j(with_gaps, 5) == pytest.approx(metrics.rwg([4, 4, 5], 5))


def test_it_truncates_rwg_j_to_zero_when_variance_reaches_the_uniform_null() -> None:
    split = [[1, 1], [1, 1], [5, 5], [5, 5]]  # s^2 = 16/3 > 2 on both items; the raw formula would give 1.23
    assert metrics.rwg_j(split, 5) == 0.0


def test_it_leaves_rwg_j_undefined_without_an_item_rated_twice() -> None:
    assert math.isnan(metrics.rwg_j([], 5))
    assert math.isnan(metrics.rwg_j([[1, 2, None]], 5))


# Kendall's W


def test_it_gives_w_of_one_for_identical_rankings() -> None:
    result = metrics.kendall_w([[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]])
    assert result["w"] == pytest.approx(1.0)
    assert result["chi2"] == pytest.approx(9.0)  # m (n - 1) W = 3 * 3
    assert result["df"] == 3


def test_it_corrects_w_for_tied_scores() -> None:
    # Rater A scores 1 1 2 (ranks 1.5 1.5 3, T = 2^3 - 2 = 6), rater B 1 2 3. Rank sums 2.5 3.5 6, mean 4,
    # S = 6.5. Corrected W = 12 * 6.5 / (4 * 24 - 2 * 6) = 78 / 84; uncorrected 78 / 96.
    matrix = [[1, 1], [1, 2], [2, 3]]
    assert metrics.kendall_w(matrix)["w"] == pytest.approx(78 / 84)
    assert metrics.kendall_w(matrix, correct_ties=False)["w"] == pytest.approx(78 / 96)


@NO_DEADLINE
@given(
    matrix=st.integers(min_value=3, max_value=7).flatmap(
        lambda n: st.lists(st.lists(st.integers(1, 5), min_size=n, max_size=n), min_size=2, max_size=8)
    )
)
def test_it_matches_scipys_tie_corrected_friedman_test(matrix: list[list[int]]) -> None:
    raters = np.array(matrix, dtype=float)  # raters x objects, as generated
    assume(not all(len(set(row)) == 1 for row in matrix))
    friedman = stats.friedmanchisquare(*raters.T)
    result = metrics.kendall_w(raters.T)
    assert result["chi2"] == pytest.approx(friedman.statistic, rel=1e-9)
    assert result["p"] == pytest.approx(friedman.pvalue, rel=1e-9, abs=1e-15)
    assert result["n_raters"] == len(matrix)


def test_it_drops_raters_with_any_missing_rank() -> None:
    complete = [[1, 1, 2], [2, 3, 1], [3, 2, 3]]
    with_gap: list[list[float | None]] = [[1, 1, 2, None], [2, 3, 1, 3], [3, 2, 3, 1]]
    assert metrics.kendall_w(with_gap) == metrics.kendall_w(complete)
    assert metrics.kendall_w(with_gap)["n_raters"] == 3


def test_it_leaves_w_undefined_for_one_object_no_rater_or_all_ties() -> None:
    for matrix in ([[1, 2, 3]], [], [[None], [None]], [[5, 5], [5, 5], [5, 5]]):
        result = metrics.kendall_w(matrix)
        assert math.isnan(result["w"])
        assert math.isnan(result["p"])


# Fleiss' kappa


def test_it_gives_kappa_of_one_and_minus_one_for_hand_worked_tables() -> None:
    # Two subjects, two raters: unanimous in opposite categories -> P_bar = 1, P_e = 0.5, kappa = 1;
    # split on both -> P_i = (1 + 1 - 2) / 2 = 0, kappa = (0 - 0.5) / 0.5 = -1.
    assert metrics.fleiss_kappa([[2, 0], [0, 2]]) == pytest.approx(1.0)
    assert metrics.fleiss_kappa([[1, 1], [1, 1]]) == pytest.approx(-1.0)


@NO_DEADLINE
@given(
    shape=st.tuples(st.integers(2, 6), st.integers(2, 5), st.integers(2, 12)),
    seed=st.integers(0, 2**32 - 1),
)
def test_it_matches_statsmodels_fleiss_kappa(shape: tuple[int, int, int], seed: int) -> None:
    n_subjects, n_categories, n_raters = shape
    rng = np.random.default_rng(seed)
    table = rng.multinomial(n_raters, rng.dirichlet(np.ones(n_categories)), size=n_subjects)
    assume(np.count_nonzero(table.sum(axis=0)) > 1)
    assert metrics.fleiss_kappa(table) == pytest.approx(statsmodels_fleiss_kappa(table), rel=1e-9, abs=1e-12)


def test_it_drops_unrated_subjects_and_refuses_unequal_rater_counts() -> None:
    assert metrics.fleiss_kappa([[2, 0], [0, 0], [0, 2]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same number of ratings"):
        metrics.fleiss_kappa([[2, 0], [1, 2]])
    with pytest.raises(ValueError, match="negative"):
        metrics.fleiss_kappa([[3, -1], [1, 1]])


def test_it_leaves_kappa_undefined_without_subjects_one_rater_or_one_category_used() -> None:
    assert math.isnan(metrics.fleiss_kappa([]))
    assert math.isnan(metrics.fleiss_kappa([[1, 0], [0, 1]]))
    assert math.isnan(metrics.fleiss_kappa([[3, 0], [3, 0]]))


# Krippendorff's alpha


def reference_alpha(matrix: list[list[float | None]], level: Level) -> float:
    data = np.array(matrix, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
        except ValueError:  # the package refuses one-value domains and data without a pairable unit
            return math.nan


@NO_DEADLINE
@given(
    matrix=st.tuples(st.integers(2, 5), st.integers(1, 12)).flatmap(
        lambda shape: st.lists(
            st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=shape[1], max_size=shape[1]),
            min_size=shape[0],
            max_size=shape[0],
        )
    ),
    level=st.sampled_from(LEVELS),
)
def test_it_matches_the_krippendorff_package_with_missing_values(
    matrix: list[list[float | None]], level: Level
) -> None:
    expected = reference_alpha(matrix, level)
    actual = metrics.krippendorff_alpha(matrix, level)
    if math.isnan(expected):
        assert math.isnan(actual)
    else:
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("level", LEVELS)
def test_it_matches_the_krippendorff_package_on_a_large_panel(level: Level) -> None:
    rng = np.random.default_rng(7)
    truth = rng.integers(1, 10, size=300)
    matrix = np.clip(truth + rng.integers(-2, 3, size=(200, 300)), 1, 9).astype(float)
    matrix[rng.random(matrix.shape) < 0.3] = np.nan
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    assert metrics.krippendorff_alpha(matrix, level) == pytest.approx(expected, rel=1e-9)


def test_it_gives_alpha_of_one_for_perfect_agreement() -> None:
    for level in LEVELS:
        assert metrics.krippendorff_alpha([[1, 2, 3], [1, 2, 3]], level) == pytest.approx(1.0)


def test_it_leaves_alpha_undefined_without_variation_or_pairable_values() -> None:
    assert math.isnan(metrics.krippendorff_alpha([]))
    assert math.isnan(metrics.krippendorff_alpha([[3, 3], [3, 3]]))
    assert math.isnan(metrics.krippendorff_alpha([[1, None], [None, 2]]))  # no unit rated twice


def test_it_refuses_an_unknown_level_and_negative_ratio_values() -> None:
    with pytest.raises(ValueError, match="unknown level"):
        metrics.krippendorff_alpha([[1, 2]], "cardinal")
    with pytest.raises(ValueError, match="non-negative"):
        metrics.krippendorff_alpha([[-1, 2], [1, 2]], "ratio")
