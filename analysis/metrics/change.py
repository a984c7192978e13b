"""Change between rounds (stability) and differences between groups of experts."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
from scipy import stats

from ._inputs import NAN, Ratings, as_values, to_float_array
from .location import coefficient_of_variation


class StabilityResult(TypedDict):
    """How the same experts' ratings moved between two rounds."""

    delta_cv: float
    wilcoxon_statistic: float
    wilcoxon_p: float
    changed_share: float
    n_pairs: int


class MannWhitneyResult(TypedDict):
    """Two-sided Mann-Whitney U test of two independent groups."""

    u: float
    p: float
    n_a: int
    n_b: int


def stability(previous: Ratings, current: Ratings) -> StabilityResult:
    """Stability of one item between two rounds, from the same experts' paired ratings.

    ``previous[i]`` and ``current[i]`` belong to the same expert; pairs with a missing side are dropped and
    every number is computed on the remaining pairs (n_pairs):

    - delta_cv: CV(current) - CV(previous), CV with the n - 1 SD (English & Kernan 1976, Transportation
      Research 10: 1-8); NaN if either CV is. A negative value means the panel converged.
    - wilcoxon_statistic, wilcoxon_p: Wilcoxon (1945) signed-rank test of current vs previous through
      ``scipy.stats.wilcoxon`` with ``zero_method="wilcox"`` (unchanged experts are dropped before ranking,
      as R's wilcox.test and SPSS do) and scipy's defaults otherwise (two-sided, no continuity correction,
      exact distribution for small samples without ties). The statistic is the smaller signed-rank sum.
      When every difference is zero the test has nothing to rank: the result is statistic 0.0 and p 1.0
      ("no evidence of change"), which is also what scipy returns, but without its warning.
    - changed_share: share of experts whose rating changed.

    All numbers are NaN when no pair is complete. Raises ``ValueError`` if the two arrays differ in length.
    """
    before = to_float_array(previous, "previous")
    after = to_float_array(current, "current")
    if before.ndim != 1 or after.ndim != 1 or before.shape != after.shape:
        raise ValueError(f"previous and current must be 1-D and paired, got shapes {before.shape} and {after.shape}")
    complete = ~(np.isnan(before) | np.isnan(after))
    before, after = before[complete], after[complete]
    n_pairs = int(before.size)
    if n_pairs == 0:
        return StabilityResult(delta_cv=NAN, wilcoxon_statistic=NAN, wilcoxon_p=NAN, changed_share=NAN, n_pairs=0)
    changed = after != before
    if changed.any():
        test = stats.wilcoxon(after, before, zero_method="wilcox")
        statistic, p = float(test.statistic), float(test.pvalue)
    else:
        statistic, p = 0.0, 1.0
    return StabilityResult(
        delta_cv=coefficient_of_variation(after) - coefficient_of_variation(before),
        wilcoxon_statistic=statistic,
        wilcoxon_p=p,
        changed_share=float(np.mean(changed)),
        n_pairs=n_pairs,
    )


def signed_rank_exact_p(doubled_ranks: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Two-sided exact p-values of Wilcoxon's signed-rank test, one per row, by dynamic programming.

    ``doubled_ranks``: one row per test, twice the (average, for ties) ranks of the non-zero absolute
    differences, so they are integers; pad rows with 0 (a 0 only doubles every count, and counts are
    normalised by their sum). ``observed``: twice the sum of the ranks of the positive differences.

    Under the null each difference is positive or negative with probability 1/2 independently (Wilcoxon
    1945), so the distribution of twice the positive rank sum is the coefficient list of
    prod_i (1 + x^(2 r_i)), built one rank at a time: O(pairs x rank total) per row and vectorised across
    rows, where enumerating the 2^n signs (a permutation test) explodes. Without ties this is the exact
    distribution of ``scipy.stats.wilcoxon(method="exact")``; with ties (average ranks) it is the
    distribution scipy's permutation test enumerates for n <= 13. p = min(1, 2 min(P(T <= t), P(T >= t))).
    """
    ranks = np.asarray(doubled_ranks, dtype=np.int64)
    if ranks.ndim != 2:
        raise ValueError(f"doubled_ranks must be 2-D (tests x ranks), got shape {ranks.shape}")
    rows, width = ranks.shape
    total = int(ranks.sum(axis=1).max()) if ranks.size else 0
    counts = np.zeros((rows, total + 1))
    counts[:, 0] = 1.0
    positions = np.arange(total + 1)
    for column in range(width):
        shift = ranks[:, column][:, np.newaxis]
        source = positions[np.newaxis, :] - shift
        counts = counts + np.where(source >= 0, np.take_along_axis(counts, np.maximum(source, 0), axis=1), 0.0)
    counts /= counts.sum(axis=1, keepdims=True)
    at_or_below = np.cumsum(counts, axis=1)
    at_or_above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    t = np.clip(np.asarray(observed, dtype=np.int64), 0, total)[:, np.newaxis]
    lower = np.take_along_axis(at_or_below, t, axis=1)[:, 0]
    upper = np.take_along_axis(at_or_above, t, axis=1)[:, 0]
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper))


def mann_whitney(a: Ratings, b: Ratings) -> MannWhitneyResult:
    """Two-sided Mann-Whitney U test between two independent groups (Mann & Whitney 1947), via scipy.

    ``scipy.stats.mannwhitneyu(a, b, alternative="two-sided")`` with its defaults (continuity correction,
    exact p for small samples without ties, else the tie-corrected normal approximation). ``u`` is the U
    statistic of group ``a`` (the number of pairs in which a beats b, ties counting one half).
    Missing values are dropped; u and p are NaN when either group is empty.
    """
    first, second = as_values(a, "a"), as_values(b, "b")
    if first.size == 0 or second.size == 0:
        return MannWhitneyResult(u=NAN, p=NAN, n_a=int(first.size), n_b=int(second.size))
    test = stats.mannwhitneyu(first, second, alternative="two-sided")
    return MannWhitneyResult(u=float(test.statistic), p=float(test.pvalue), n_a=int(first.size), n_b=int(second.size))
