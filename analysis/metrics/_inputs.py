"""Input coercion and validation shared by the metric modules (private).

Every public metric funnels its arguments through these helpers so that the conventions are the same
everywhere: ``None`` and NaN mean "missing"; infinities and wrong shapes are errors; counts may not be
negative and a missing count is a zero count (the category keeps its place on the ordered scale).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]
QuantileMethod: TypeAlias = Literal["weibull", "linear"]
# What the public functions accept: numpy arrays, pandas Series, or plain (nested) sequences in which None
# marks a missing value. ArrayLike alone would refuse [4, None, 5] under mypy.
Ratings: TypeAlias = ArrayLike | Sequence[float | None]
RatingMatrix: TypeAlias = ArrayLike | Sequence[Sequence[float | None]]
Counts: TypeAlias = ArrayLike | Sequence[float | None]
CountTable: TypeAlias = ArrayLike | Sequence[Sequence[float | None]]

QUANTILE_METHODS: Final = ("weibull", "linear")
NAN: Final = float("nan")


def to_float_array(data: Ratings | RatingMatrix, name: str) -> FloatArray:
    """Convert to a float64 array, turning ``None`` into NaN; refuse non-numeric data and infinities."""
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric (use None or NaN for a missing value): {error}") from error
    if np.isinf(array).any():
        raise ValueError(f"{name} must not contain infinite values")
    return array


def as_values(values: Ratings, name: str = "values") -> FloatArray:
    """A 1-D sequence of observations with the missing ones (None, NaN) dropped."""
    array = to_float_array(values, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array[~np.isnan(array)]


def as_matrix(matrix: RatingMatrix, name: str = "matrix") -> FloatArray:
    """A 2-D matrix of observations; missing cells stay NaN. An empty sequence is a 0 x 0 matrix."""
    array = to_float_array(matrix, name)
    if array.size == 0:
        return np.empty((0, 0), dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional, got shape {array.shape}")
    return array


def _checked_counts(array: FloatArray, name: str) -> FloatArray:
    array = np.where(np.isnan(array), 0.0, array)
    if (array < 0).any():
        raise ValueError(f"{name} must not contain negative counts")
    return array


def as_counts(counts: Counts, name: str = "counts") -> FloatArray:
    """A 1-D vector of counts (or proportions) per ordered category; a missing count counts as 0."""
    array = to_float_array(counts, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return _checked_counts(array, name)


def as_counts_2d(counts_2d: CountTable, name: str = "counts_2d") -> FloatArray:
    """An items x categories array of counts; a missing count counts as 0. Empty input is 0 x 0."""
    array = to_float_array(counts_2d, name)
    if array.size == 0 and array.ndim < 2:
        return np.empty((0, 0), dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional (items x categories), got shape {array.shape}")
    return _checked_counts(array, name)


def check_quantile_method(method: str) -> QuantileMethod:
    """Return ``method`` if it is a supported quantile method, else raise ``ValueError``."""
    if method == "weibull":
        return "weibull"
    if method == "linear":
        return "linear"
    raise ValueError(f"unknown quantile method {method!r}; use one of {', '.join(QUANTILE_METHODS)}")


def check_probability(q: float, name: str = "q") -> float:
    """Return ``q`` as a float if it lies in [0, 1], else raise ``ValueError``."""
    try:
        value = float(q)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a number in [0, 1], got {q!r}") from error
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must lie in [0, 1], got {q!r}")
    return value


def check_n_options(n_options: int) -> int:
    """Return the number of response options of a scale; it must be an integer of at least 2."""
    valid = not isinstance(n_options, bool) and isinstance(n_options, int | np.integer) and n_options >= 2
    if not valid:
        raise ValueError(f"n_options must be an integer >= 2, got {n_options!r}")
    return int(n_options)
