"""Quantiles, IQR, percent in range, CV, thirds of the scale and quantiles from counts."""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import metrics

Method: TypeAlias = Literal["weibull", "linear"]
METHODS: tuple[Method, ...] = ("weibull", "linear")
NO_DEADLINE = settings(deadline=None, max_examples=200)  # the suite may share a busy machine


ratings = st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=60)
reals = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=60)
probabilities = st.floats(min_value=0.0, max_value=1.0)


@NO_DEADLINE
@given(values=st.one_of(ratings, reals), q=probabilities, method=st.sampled_from(METHODS))
def test_it_matches_numpy_quantiles_of_the_same_hyndman_fan_type(values: list[float], q: float, method: Method) -> None:
    expected = float(np.quantile(values, q, method=method))
    scale = max(1.0, max(abs(v) for v in values))
    assert math.isclose(metrics.quantile(values, q, method), expected, rel_tol=1e-9, abs_tol=1e-9 * scale)


def test_it_interpolates_type_6_at_n_plus_1_times_q_and_clamps_beyond_the_ends() -> None:
    # Sorted 1, 2, 3, 4: type 6 puts q = 0.1 at position 0.5 and q = 0.9 at 4.5, clamped to the min and max;
    # q = 0.25 at 1.25 -> 1 + 0.25 * (2 - 1) = 1.25.
    assert metrics.quantile([4, 3, 2, 1], 0.1) == 1.0
    assert metrics.quantile([4, 3, 2, 1], 0.9) == 4.0
    assert metrics.quantile([4, 3, 2, 1], 0.25) == 1.25


def test_it_interpolates_type_7_at_n_minus_1_times_q_plus_1() -> None:
    # Sorted 1, 2, 3, 4: q = 0.1 at position 1.3 -> 1.3; q = 0.25 at 1.75 -> 1.75.
    assert metrics.quantile([1, 2, 3, 4], 0.1, "linear") == pytest.approx(1.3)
    assert metrics.quantile([1, 2, 3, 4], 0.25, "linear") == 1.75


def test_it_lands_exactly_on_an_order_statistic_despite_float_round_off() -> None:
    # Nine ratings: type 6 position of P30 is 10 * 0.3, which is 3.0000000000000004 in floating point.
    assert metrics.quantile([1, 2, 3, 4, 5, 6, 7, 8, 9], 0.3) == 3.0


def test_it_returns_nan_for_an_empty_or_all_missing_input() -> None:
    assert math.isnan(metrics.quantile([], 0.5))
    assert math.isnan(metrics.quantile([None, float("nan")], 0.5))
    assert math.isnan(metrics.iqr([]))


def test_it_returns_the_value_itself_for_a_single_value_under_both_methods() -> None:
    for method in METHODS:
        assert metrics.quantile([7], 0.3, method) == 7.0
        assert metrics.iqr([7], method) == 0.0


def test_it_gives_zero_iqr_when_all_values_are_equal() -> None:
    assert metrics.iqr([5, 5, 5, 5, 5]) == 0.0


def test_it_drops_missing_values_before_computing_quantiles() -> None:
    assert metrics.quantile([None, 3, float("nan"), 1], 0.5) == 2.0
    assert metrics.quantile(np.array([np.nan, 3.0, 1.0]), 0.5, "linear") == 2.0


def test_it_accepts_a_pandas_series_with_nullable_missing_values() -> None:
    ratings = pd.Series([7, None, 9, 8], dtype="Int64")
    assert metrics.quantile(ratings, 0.5) == 8.0
    assert metrics.percent_in_range(ratings, 7, 9) == 100.0


@pytest.mark.parametrize("q", [-0.01, 1.01, float("nan")])
def test_it_refuses_a_probability_outside_0_and_1(q: float) -> None:
    with pytest.raises(ValueError, match="q must"):
        metrics.quantile([1, 2, 3], q)


def test_it_refuses_an_unknown_quantile_method() -> None:
    with pytest.raises(ValueError, match="unknown quantile method"):
        metrics.quantile([1, 2, 3], 0.5, "nearest")
    with pytest.raises(ValueError, match="unknown quantile method"):
        metrics.iqr([1, 2, 3], "hazen")


def test_it_refuses_two_dimensional_values_and_infinities() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        metrics.quantile([[1, 2], [3, 4]], 0.5)
    with pytest.raises(ValueError, match="infinite"):
        metrics.quantile([1, float("inf")], 0.5)


def test_it_counts_percent_in_range_with_inclusive_bounds_of_non_missing_values() -> None:
    # 3, 3 and 7 of the five non-missing ratings lie in [3, 7].
    assert metrics.percent_in_range([1, 3, 3, 7, 9, None], 3, 7) == 60.0
    assert metrics.percent_in_range([7, 8, 9], 7, 9) == 100.0
    assert math.isnan(metrics.percent_in_range([None], 7, 9))


def test_it_refuses_a_range_whose_low_end_exceeds_its_high_end() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        metrics.percent_in_range([1, 2], 7, 3)


def test_it_computes_the_cv_with_the_sample_standard_deviation() -> None:
    # 2, 4, 6: mean 4, sample SD sqrt((4 + 0 + 4) / 2) = 2, so CV = 0.5 (the population SD would give 0.41).
    assert metrics.coefficient_of_variation([2, 4, 6]) == pytest.approx(0.5)
    assert metrics.coefficient_of_variation([5, 5, 5]) == 0.0


def test_it_leaves_the_cv_undefined_for_fewer_than_two_values_or_a_zero_mean() -> None:
    assert math.isnan(metrics.coefficient_of_variation([]))
    assert math.isnan(metrics.coefficient_of_variation([4, None]))
    assert math.isnan(metrics.coefficient_of_variation([-1, 1]))


@pytest.mark.parametrize(
    ("scale", "thirds"),
    [
        ((1, 9), ((1, 3), (4, 6), (7, 9))),
        ((1, 5), ((1, 2), (3, 3), (4, 5))),
        ((1, 7), ((1, 2), (3, 5), (6, 7))),
        ((0, 10), ((0, 3), (4, 6), (7, 10))),
        ((1, 10), ((1, 3), (4, 7), (8, 10))),
        ((1, 6), ((1, 2), (3, 4), (5, 6))),
        ((1, 3), ((1, 1), (2, 2), (3, 3))),
    ],
)
def test_it_cuts_the_scale_into_symmetric_thirds_with_the_middle_taking_the_remainder(
    scale: tuple[int, int], thirds: tuple[tuple[int, int], ...]
) -> None:
    assert metrics.scale_thirds(*scale) == thirds


@pytest.mark.parametrize(("scale_min", "scale_max"), [(1, 9), (1, 5), (1, 7), (0, 10), (1, 10), (-3, 3)])
def test_it_puts_every_scale_point_in_the_band_scale_thirds_names(scale_min: int, scale_max: int) -> None:
    (low_start, low_end), (middle_start, middle_end), (high_start, high_end) = metrics.scale_thirds(
        scale_min, scale_max
    )
    for point in range(scale_min, scale_max + 1):
        shares = metrics.band_counts([point], scale_min, scale_max)
        expected = "low" if point <= low_end else "high" if point >= high_start else "middle"
        assert shares[expected] == 100.0  # type: ignore[literal-required]
    assert (low_start, high_end) == (scale_min, scale_max)
    assert middle_start == low_end + 1
    assert middle_end == high_start - 1


def test_it_reports_band_percentages_on_the_1_to_9_scale() -> None:
    shares = metrics.band_counts([1, 3, 4, 6, 7, 9, None], 1, 9)
    assert shares == {
        "low": pytest.approx(100 / 3),
        "middle": pytest.approx(100 / 3),
        "high": pytest.approx(100 / 3),
        "n": 6,
    }


def test_it_reports_band_percentages_on_1_to_5_1_to_7_and_0_to_10_scales() -> None:
    assert metrics.band_counts([1, 2, 3, 4, 5], 1, 5) == {"low": 40.0, "middle": 20.0, "high": 40.0, "n": 5}
    assert metrics.band_counts([2, 3, 5, 6], 1, 7) == {"low": 25.0, "middle": 50.0, "high": 25.0, "n": 4}
    assert metrics.band_counts([3, 4, 6, 7], 0, 10) == {"low": 25.0, "middle": 50.0, "high": 25.0, "n": 4}


def test_it_returns_nan_bands_for_no_ratings_and_refuses_ratings_off_the_scale() -> None:
    empty = metrics.band_counts([None], 1, 9)
    assert empty["n"] == 0
    assert all(math.isnan(empty[key]) for key in ("low", "middle", "high"))
    with pytest.raises(ValueError, match="within the scale"):
        metrics.band_counts([0, 5], 1, 9)
    with pytest.raises(ValueError, match="scale_min < scale_max"):
        metrics.band_counts([5], 9, 1)


def test_it_counts_ratings_per_category_of_the_scale() -> None:
    assert metrics.category_counts([1, 1, 3, None], 1, 3).tolist() == [2, 0, 1]
    assert metrics.category_counts([0, 10, 10], 0, 10).tolist() == [1] + [0] * 9 + [2]
    assert metrics.category_counts([], 1, 5).tolist() == [0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="integers within the scale"):
        metrics.category_counts([1.5], 1, 3)
    with pytest.raises(ValueError, match="integers within the scale"):
        metrics.category_counts([4], 1, 3)


@st.composite
def count_tables(draw: st.DrawFn) -> tuple[list[list[int]], int]:
    n_categories = draw(st.integers(min_value=1, max_value=11))
    rows = draw(
        st.lists(
            st.lists(st.integers(min_value=0, max_value=25), min_size=n_categories, max_size=n_categories),
            min_size=1,
            max_size=6,
        )
    )
    scale_min = draw(st.sampled_from([0, 1, -3]))
    return rows, scale_min


def expand(row: list[int], scale_min: int) -> list[int]:
    return [scale_min + category for category, count in enumerate(row) for _ in range(count)]


@NO_DEADLINE
@given(table=count_tables(), q=probabilities, method=st.sampled_from(METHODS))
def test_it_gives_the_same_quantiles_from_counts_as_from_the_expanded_ratings(
    table: tuple[list[list[int]], int], q: float, method: str
) -> None:
    rows, scale_min = table
    expected = [metrics.quantile(expand(row, scale_min), q, method) for row in rows]
    np.testing.assert_allclose(
        metrics.quantile_from_counts(rows, q, method, scale_min), expected, rtol=1e-12, atol=1e-12
    )


def test_it_computes_quartiles_from_counts_for_the_published_example() -> None:
    # 6, 6, 7, 7, 7, 7, 7, 8, 8, 8 as counts on 1-9.
    counts = [[0, 0, 0, 0, 0, 2, 5, 3, 0], [0] * 9]
    q1 = metrics.quantile_from_counts(counts, 0.25, "weibull")
    assert q1[0] == 6.75
    assert math.isnan(q1[1])
    assert metrics.quantile_from_counts(counts, 0.75, "linear")[0] == 7.75


def test_it_refuses_fractional_or_negative_counts_and_bad_quantile_arguments() -> None:
    with pytest.raises(ValueError, match="whole numbers"):
        metrics.quantile_from_counts([[0.5, 1.5]], 0.5)
    with pytest.raises(ValueError, match="negative"):
        metrics.quantile_from_counts([[-1, 2]], 0.5)
    with pytest.raises(ValueError, match="q must"):
        metrics.quantile_from_counts([[1, 2]], 2.0)
    with pytest.raises(ValueError, match="unknown quantile method"):
        metrics.quantile_from_counts([[1, 2]], 0.5, "midpoint")


def test_it_returns_an_empty_array_for_an_empty_counts_table() -> None:
    assert metrics.quantile_from_counts([], 0.5).shape == (0,)
