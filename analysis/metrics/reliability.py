"""Krippendorff's alpha from the coincidence matrix (Krippendorff 2011), vectorised with numpy."""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from ._inputs import NAN, FloatArray, RatingMatrix, as_matrix

ALPHA_LEVELS: Final = ("nominal", "ordinal", "interval", "ratio")


def _squared_distances(domain: FloatArray, marginals: FloatArray, level: str) -> FloatArray:
    """The metric differences delta^2(c, k) between all pairs of observed values (Krippendorff 2011, sec. F)."""
    first, second = domain[:, np.newaxis], domain[np.newaxis, :]
    if level == "nominal":
        return 1.0 - np.eye(domain.size)
    if level == "interval":
        result: FloatArray = (first - second) ** 2
        return result
    if level == "ratio":
        total = first + second
        ratio = np.divide(first - second, total, out=np.zeros((domain.size, domain.size)), where=total != 0)
        return ratio**2
    # ordinal: (sum of n_g for g from c to k) - (n_c + n_k) / 2, squared, with n_g the pairable value totals.
    index = np.arange(domain.size)
    low, high = np.minimum.outer(index, index), np.maximum.outer(index, index)
    cumulative = np.concatenate(([0.0], np.cumsum(marginals)))
    between = cumulative[high + 1] - cumulative[low]
    ordinal: FloatArray = (between - (marginals[low] + marginals[high]) / 2.0) ** 2
    return ordinal


def krippendorff_alpha(matrix: RatingMatrix, level: str = "ordinal") -> float:
    """Krippendorff's alpha reliability for raters (rows) x units (columns), missing cells allowed.

    Krippendorff, K. (2011), "Computing Krippendorff's Alpha-Reliability", Annenberg School for
    Communication, University of Pennsylvania. From the value counts n_uc of each unit u (m_u pairable values),
    the coincidence matrix o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1) over units with m_u >= 2,
    marginals n_c and n = sum n_c: alpha = 1 - (n - 1) sum o_ck delta^2_ck / sum n_c n_k delta^2_ck.
    ``level`` picks delta^2: "nominal" (0 or 1), "ordinal" (ranks via the pairable value totals), "interval"
    (squared difference) or "ratio" (((c - k) / (c + k))^2, for non-negative values). Matches the
    ``krippendorff`` package (PyPI) with its default value domain.

    NaN when fewer than two pairable values exist or they show no variation (expected disagreement 0).
    Raises ``ValueError`` for an unknown level or negative values at the ratio level.
    """
    if level not in ALPHA_LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(ALPHA_LEVELS)}")
    data = as_matrix(matrix)
    present = ~np.isnan(data)
    values = data[present]
    if level == "ratio" and values.size and values.min() < 0:
        raise ValueError("the ratio level needs non-negative values")
    domain, value_index = np.unique(values, return_inverse=True)
    if domain.size < 2:
        return NAN
    # data[present] and np.nonzero(present) list the cells in the same (row-major) order.
    unit_index = np.nonzero(present)[1]
    n_units, n_values = data.shape[1], domain.size
    unit_counts = np.bincount(unit_index * n_values + value_index, minlength=n_units * n_values).reshape(
        n_units, n_values
    )
    return alpha_from_unit_counts(unit_counts, domain.astype(np.float64), level)


def alpha_from_unit_counts(unit_counts: NDArray[np.int64], domain: FloatArray, level: str) -> float:
    """Krippendorff's alpha from the value counts n_uc of each unit (rows) over ``domain`` (columns, ascending).

    The computation of :func:`krippendorff_alpha` after it has counted the values (Krippendorff 2011): callers
    that hold the counts already (``analysis.criteria``: each area's histogram) skip the matrix. ``domain``
    lists the values that occur at least once (pairable or not), so the result equals the matrix form's.
    """
    if domain.size < 2:
        return NAN
    pairable = unit_counts.sum(axis=1)
    unit_weight = np.where(pairable >= 2, 1.0 / np.maximum(pairable - 1, 1), 0.0)
    weighted = unit_counts * unit_weight[:, np.newaxis]
    coincidences = weighted.T @ unit_counts - np.diag(weighted.sum(axis=0))
    marginals = coincidences.sum(axis=0)
    total = float(marginals.sum())
    if total < 2:
        return NAN
    distances = _squared_distances(domain, marginals, level)
    expected = float((np.outer(marginals, marginals) * distances).sum())
    if expected <= 0:
        return NAN
    observed = float((coincidences * distances).sum())
    return 1.0 - (total - 1.0) * observed / expected
