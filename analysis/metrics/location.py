"""Location and spread: quantiles (Hyndman & Fan 1996 types 6 and 7), IQR, bands, CV."""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np

from ._inputs import (
    NAN,
    CountTable,
    FloatArray,
    IntArray,
    Ratings,
    as_counts_2d,
    as_values,
    check_probability,
    check_quantile_method,
)

# Positions are rounded to 10 decimals to remove float round-off such as 10 * 0.3 = 3.0000000000000004 or
# 12 * 0.3 = 3.5999999999999996: a quantile on an order statistic is then that value, bit for bit, and
# percentiles print as 4.0 rather than 3.9999999999999982. The shift is below 5e-11 of a category.
_POSITION_DECIMALS = 10


class ThirdsShares(TypedDict):
    """Percent of the non-missing ratings in each third of the scale, and how many there were."""

    low: float
    middle: float
    high: float
    n: int


def _order_positions(n: IntArray, q: float, method: str) -> tuple[IntArray, IntArray, FloatArray]:
    """0-based indices of the two order statistics to interpolate between, and the weight of the upper one.

    Hyndman & Fan (1996): type 6 puts the p-quantile at 1-based position h = (n + 1) p, clamped to [1, n]
    (the minimum and maximum beyond the ends, as SPSS and numpy's "weibull" do); type 7 at h = (n - 1) p + 1.
    ``n`` must be >= 1 everywhere.
    """
    sizes = n.astype(np.float64)
    type_6 = method == "weibull"
    position = np.clip((sizes + 1.0) * q, 1.0, sizes) if type_6 else (sizes - 1.0) * q + 1.0
    position = np.round(position, _POSITION_DECIMALS)
    lower = np.floor(position)
    weight = position - lower
    upper = np.minimum(lower + 1.0, sizes)
    return lower.astype(np.int64) - 1, upper.astype(np.int64) - 1, weight


def quantile(values: Ratings, q: float, method: str = "weibull") -> float:
    """The q-quantile of the non-missing values (Hyndman & Fan 1996, "Sample quantiles in statistical packages").

    ``method="weibull"`` is type 6, the SPSS default: position (n + 1) q, positions below 1 or above n
    give the minimum or maximum. ``method="linear"`` is type 7, the default of R and numpy:
    position (n - 1) q + 1. Between two order statistics the value is interpolated linearly; positions are
    rounded to 10 decimals first, so float noise never moves a quantile off an order statistic.

    Returns NaN for empty input and the value itself for a single value. Raises ``ValueError`` when q is
    outside [0, 1] or the method is unknown.
    """
    checked_q = check_probability(q)
    checked_method = check_quantile_method(method)
    data = np.sort(as_values(values))
    if data.size == 0:
        return NAN
    lower, upper, weight = _order_positions(np.array([data.size], dtype=np.int64), checked_q, checked_method)
    low_value = data[lower[0]]
    return float(low_value + weight[0] * (data[upper[0]] - low_value))


def iqr(values: Ratings, method: str = "weibull") -> float:
    """Interquartile range Q3 - Q1 with the quantile method of :func:`quantile` (Hyndman & Fan 1996).

    The method matters for Delphi consensus rules such as "IQR <= 1": on ten ratings
    6, 6, 7, 7, 7, 7, 7, 8, 8, 8 type 6 gives 1.25 and type 7 gives 0.75. NaN for empty input.
    """
    return quantile(values, 0.75, method) - quantile(values, 0.25, method)


def percent_in_range(values: Ratings, low: float, high: float) -> float:
    """Percent (0-100) of the non-missing values v with low <= v <= high; NaN for empty input.

    The usual percent-agreement measure of Delphi studies (e.g. "70% rate 7-9"; Diamond et al. 2014,
    J Clin Epidemiol 67:401). Raises ``ValueError`` when low > high or a bound is missing.
    """
    if math.isnan(low) or math.isnan(high) or low > high:
        raise ValueError(f"need low <= high, got low={low!r}, high={high!r}")
    data = as_values(values)
    if data.size == 0:
        return NAN
    inside = np.count_nonzero((data >= low) & (data <= high))
    return 100.0 * inside / data.size


def coefficient_of_variation(values: Ratings) -> float:
    """CV = SD / mean with the sample SD (ddof=1), as used for Delphi stability (e.g. English & Kernan 1976).

    Returns NaN with fewer than two values or when the mean is 0. The sign follows the mean.
    """
    data = as_values(values)
    if data.size < 2:
        return NAN
    mean = float(np.mean(data))
    if mean == 0.0:
        return NAN
    return float(np.std(data, ddof=1)) / mean


def _check_scale(scale_min: float, scale_max: float) -> None:
    if not scale_min < scale_max:  # also rejects NaN
        raise ValueError(f"need scale_min < scale_max, got {scale_min!r} and {scale_max!r}")


def scale_thirds(scale_min: int, scale_max: int) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Inclusive integer ranges (low, middle, high) of the thirds of an integer scale, as :func:`band_counts` cuts.

    The range r = scale_max - scale_min is cut at one third and two thirds; a point exactly on a cut belongs
    to the middle band, so the bands are symmetric and the middle takes the remainder:
    1-9 -> (1-3, 4-6, 7-9); 1-5 -> (1-2, 3, 4-5); 1-7 -> (1-2, 3-5, 6-7); 0-10 -> (0-3, 4-6, 7-10);
    1-10 -> (1-3, 4-7, 8-10). On a two-point scale the middle range is empty (its start exceeds its end).
    """
    _check_scale(scale_min, scale_max)
    if int(scale_min) != scale_min or int(scale_max) != scale_max:
        raise ValueError("scale_thirds needs integer scale ends")
    span = int(scale_max) - int(scale_min)
    width = -(-span // 3)  # ceil(span / 3): the number of points strictly inside the first third
    low_end = int(scale_min) + width - 1
    high_start = int(scale_max) - width + 1
    return (int(scale_min), low_end), (low_end + 1, high_start - 1), (high_start, int(scale_max))


def band_counts(values: Ratings, scale_min: float, scale_max: float) -> ThirdsShares:
    """Percent of non-missing ratings in the low, middle and high thirds of the scale, plus their number n.

    On the RAND/UCLA 1-9 scale the thirds are 1-3, 4-6 and 7-9 (Fitch et al. 2001). A rating v is low when
    v - scale_min < r / 3 and high when scale_max - v < r / 3, with r = scale_max - scale_min; otherwise it is
    middle. So a rating exactly on a cut goes to the middle and the bands mirror each other; see
    :func:`scale_thirds` for the resulting bands on 1-5, 1-7 and 0-10.

    Returns NaN percentages (and n = 0) for empty input. Raises ``ValueError`` for ratings outside the scale.
    """
    _check_scale(scale_min, scale_max)
    data = as_values(values)
    if data.size == 0:
        return ThirdsShares(low=NAN, middle=NAN, high=NAN, n=0)
    if data.min() < scale_min or data.max() > scale_max:
        raise ValueError(f"values must lie within the scale {scale_min}-{scale_max}")
    span = scale_max - scale_min
    # Multiplying instead of dividing keeps the cut exact for integer scales.
    is_low = 3.0 * (data - scale_min) < span
    is_high = 3.0 * (scale_max - data) < span
    n = int(data.size)
    low = np.count_nonzero(is_low)
    high = np.count_nonzero(is_high)
    return ThirdsShares(
        low=100.0 * low / n,
        middle=100.0 * (n - low - high) / n,
        high=100.0 * high / n,
        n=n,
    )


def category_counts(values: Ratings, scale_min: int, scale_max: int) -> IntArray:
    """Counts of the integer ratings per category scale_min, scale_min + 1, ..., scale_max (missing dropped).

    The inverse of expanding a frequency table; feeds the vectorised ``*_rows`` functions.
    Raises ``ValueError`` for ratings that are not integers on the scale.
    """
    _check_scale(scale_min, scale_max)
    if int(scale_min) != scale_min or int(scale_max) != scale_max:
        raise ValueError("category_counts needs integer scale ends")
    data = as_values(values)
    if data.size and (np.any(data != np.round(data)) or data.min() < scale_min or data.max() > scale_max):
        raise ValueError(f"values must be integers within the scale {scale_min}-{scale_max}")
    n_categories = int(scale_max) - int(scale_min) + 1
    return np.bincount((data - scale_min).astype(np.int64), minlength=n_categories).astype(np.int64)


def quantile_from_counts(counts_2d: CountTable, q: float, method: str = "weibull", scale_min: float = 1) -> FloatArray:
    """Quantiles of many items at once from their category counts (items x categories, lowest category first).

    Category j (0-based) stands for the rating scale_min + j. The result for each row equals
    :func:`quantile` on that row's ratings expanded from the counts (Hyndman & Fan 1996 type 6 or 7),
    without expanding them: the k-th order statistic is the first category whose cumulative count reaches k.
    Rows without ratings give NaN. Counts must be whole numbers.
    """
    checked_q = check_probability(q)
    checked_method = check_quantile_method(method)
    counts = as_counts_2d(counts_2d)
    if np.any(counts != np.round(counts)):
        raise ValueError("counts_2d must hold whole numbers to define quantiles of the ratings")
    result = np.full(counts.shape[0], NAN)
    sizes = counts.sum(axis=1).astype(np.int64)
    rated = sizes > 0
    if not rated.any():
        return result
    cumulative = np.cumsum(counts[rated], axis=1)
    lower, upper, weight = _order_positions(sizes[rated], checked_q, checked_method)
    # k-th order statistic (1-based k = index + 1): number of categories whose cumulative count is below k.
    low_value = scale_min + np.count_nonzero(cumulative < (lower + 1)[:, np.newaxis], axis=1)
    high_value = scale_min + np.count_nonzero(cumulative < (upper + 1)[:, np.newaxis], axis=1)
    result[rated] = low_value + weight * (high_value - low_value)
    return result
