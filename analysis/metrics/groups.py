"""Differences between several groups of experts: Kruskal-Wallis across groups and Holm's correction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np
from scipy import stats

from ._inputs import NAN, Ratings, as_values, to_float_array


class KruskalResult(TypedDict):
    """Kruskal-Wallis H test across groups."""

    h: float
    p: float
    groups: int
    n: int


def kruskal_wallis(groups: Sequence[Ratings]) -> KruskalResult:
    """Kruskal-Wallis H test (Kruskal & Wallis 1952, J. Am. Stat. Assoc. 47: 583-621) across groups, via scipy.

    ``scipy.stats.kruskal``: ranks with average ranks for ties, H divided by the tie correction
    1 - sum(t^3 - t) / (N^3 - N), p from the chi-squared distribution with (groups - 1) degrees of freedom.
    Missing values are dropped and empty groups left out. H and p are NaN with fewer than two non-empty
    groups or when every value is the same (no ranking possible).
    """
    samples = [values for values in (as_values(group, "group") for group in groups) if values.size]
    n = int(sum(values.size for values in samples))
    if len(samples) < 2 or np.unique(np.concatenate(samples)).size < 2:
        return KruskalResult(h=NAN, p=NAN, groups=len(samples), n=n)
    test = stats.kruskal(*samples)
    return KruskalResult(h=float(test.statistic), p=float(test.pvalue), groups=len(samples), n=n)


def holm(p_values: Ratings) -> np.ndarray:
    """Holm's (1979, Scand. J. Stat. 6: 65-70) step-down adjustment of one family of p-values.

    Sorted ascending, the i-th of m p-values (i from 1) becomes max over j <= i of min(1, (m - j + 1) p_(j)),
    returned in the input order; it controls the family-wise error rate without assuming independence.
    NaN entries are not tests: they stay NaN and do not count in m. Equals
    ``statsmodels.stats.multitest.multipletests(p, method="holm")``.
    """
    p = to_float_array(p_values, "p_values")
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    adjusted = np.full(p.shape, NAN)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    running = 0.0
    for rank, position in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p[position])))
        adjusted[position] = running
    return adjusted
