"""Within-group agreement (rwg, rwg(J)), concordance (Kendall's W) and Fleiss' kappa."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
from scipy import stats

from ._inputs import (
    NAN,
    CountTable,
    FloatArray,
    RatingMatrix,
    Ratings,
    as_counts_2d,
    as_matrix,
    as_values,
    check_n_options,
)


class KendallResult(TypedDict):
    """Kendall's W, its chi-squared test and the size of the data it was computed on."""

    w: float
    chi2: float
    df: int
    p: float
    n_objects: int
    n_raters: int


def _uniform_null_variance(n_options: int) -> float:
    """Variance of the discrete uniform distribution over A options, (A^2 - 1) / 12 (James et al. 1984)."""
    return (n_options**2 - 1) / 12.0


def _check_span(data: FloatArray, n_options: int) -> None:
    if data.size and np.ptp(data) > n_options - 1:
        raise ValueError(f"values span more than the {n_options} options of the scale")


def rwg(values: Ratings, n_options: int) -> float:
    """Within-group agreement r_wg = 1 - s^2 / sigma^2_EU on one item with ``n_options`` response options.

    James, L. R., Demaree, R. G. & Wolf, G. (1984), "Estimating within-group interrater reliability with
    and without response bias", Journal of Applied Psychology 69(1): 85-98. s^2 is the sample variance
    (ddof=1) of the non-missing ratings, sigma^2_EU = (A^2 - 1) / 12 the variance of a uniform null.
    Truncation: a negative value (more spread than the uniform null, i.e. a split panel) is reported as 0,
    as LeBreton & Senter (2008, Organizational Research Methods 11(4): 815-852) recommend; the result is in [0, 1].

    NaN with fewer than two ratings. Raises ``ValueError`` if n_options < 2 or the ratings span more than
    n_options categories.
    """
    options = check_n_options(n_options)
    data = as_values(values)
    _check_span(data, options)
    if data.size < 2:
        return NAN
    agreement = 1.0 - float(np.var(data, ddof=1)) / _uniform_null_variance(options)
    return max(agreement, 0.0)


def rwg_j(matrix: RatingMatrix, n_options: int) -> float:
    """Multi-item agreement r_wg(J) over J parallel items (James, Demaree & Wolf 1984, eq. 5).

    ``matrix`` has raters in rows and items in columns. With r = mean(s_j^2) / sigma^2_EU,
    r_wg(J) = J (1 - r) / (J (1 - r) + r). Each item's variance uses its own non-missing ratings
    (available-case, ddof=1); items with fewer than two ratings are left out and J counts the others.
    Truncation: when the mean variance reaches or exceeds sigma^2_EU the formula leaves [0, 1]
    (it can even exceed 1), so the result is 0 (LeBreton & Senter 2008).

    NaN when no item has two ratings. Raises ``ValueError`` if n_options < 2 or ratings span more than
    n_options categories.
    """
    options = check_n_options(n_options)
    data = as_matrix(matrix)
    present = ~np.isnan(data)
    _check_span(data[present], options)
    per_item = present.sum(axis=0)
    usable = per_item >= 2
    if not usable.any():
        return NAN
    columns = data[:, usable]
    variances = np.nanvar(columns, axis=0, ddof=1)
    n_items = int(usable.sum())
    ratio = float(variances.mean()) / _uniform_null_variance(options)
    if ratio >= 1.0:
        return 0.0
    return n_items * (1.0 - ratio) / (n_items * (1.0 - ratio) + ratio)


def kendall_w(matrix: RatingMatrix, correct_ties: bool = True) -> KendallResult:
    """Kendall's coefficient of concordance W of m raters ranking n objects, with its chi-squared test.

    Kendall, M. G. & Babington Smith, B. (1939), "The problem of m rankings", Annals of Mathematical
    Statistics 10(3): 275-287; tie correction as in Kendall (1948/1970), Rank Correlation Methods.
    ROWS are the objects (e.g. areas), COLUMNS the raters; cells hold scores or ranks. Each column is ranked
    with average ranks for ties (scipy.stats.rankdata). With R_i the rank sums and S = sum (R_i - mean R)^2:
    W = 12 S / (m^2 (n^3 - n) - m sum T), T = sum over a rater's tie groups of (t^3 - t) (T = 0 when
    ``correct_ties`` is False); chi2 = m (n - 1) W on n - 1 degrees of freedom (Friedman's tie-corrected
    statistic), p from the chi-squared survival function.

    Raters (columns) with any missing value are dropped. W, chi2 and p are NaN with fewer than two objects or
    no complete rater, and when every rater ties all objects.
    """
    data = as_matrix(matrix)
    complete = data[:, ~np.isnan(data).any(axis=0)]
    n_objects, n_raters = complete.shape
    if n_objects < 2 or n_raters < 1:
        return kendall_w_from_ranks(np.zeros(n_objects), n_raters=n_raters, tie_total=0.0)
    ranks = stats.rankdata(complete, axis=0, method="average")
    # With average ranks, sum r^2 = n(n+1)(2n+1)/6 - sum(t^3 - t)/12 for each rater, which yields T exactly.
    untied_squares = n_objects * (n_objects + 1) * (2 * n_objects + 1) / 6.0
    ties = np.round(12.0 * (untied_squares - (ranks**2).sum(axis=0)))
    tie_total = float(ties.sum()) if correct_ties else 0.0
    return kendall_w_from_ranks(ranks.sum(axis=1), n_raters=n_raters, tie_total=tie_total)


def kendall_w_from_ranks(rank_sums: FloatArray, *, n_raters: int, tie_total: float) -> KendallResult:
    """Kendall's W and its chi-squared test from the objects' rank sums R_i over ``n_raters`` complete raters.

    The formula of :func:`kendall_w` (Kendall & Babington Smith 1939; Kendall 1948/1970 for the ties):
    ``tie_total`` is sum T over the raters, T = sum over a rater's tie groups of (t^3 - t). Callers that
    count ratings instead of ranking a matrix (``analysis.criteria``) give the same rank sums and T.
    """
    n_objects = int(rank_sums.size)
    df = max(n_objects - 1, 0)
    undefined = KendallResult(w=NAN, chi2=NAN, df=df, p=NAN, n_objects=n_objects, n_raters=n_raters)
    if n_objects < 2 or n_raters < 1:
        return undefined
    spread = float(((rank_sums - n_raters * (n_objects + 1) / 2.0) ** 2).sum())
    denominator = n_raters**2 * (n_objects**3 - n_objects) - n_raters * tie_total
    if denominator <= 0:
        return undefined
    w = 12.0 * spread / denominator
    chi2 = n_raters * (n_objects - 1) * w
    p = float(stats.chi2.sf(chi2, df))
    return KendallResult(w=w, chi2=chi2, df=df, p=p, n_objects=n_objects, n_raters=n_raters)


def fleiss_kappa(table: CountTable) -> float:
    """Fleiss' kappa for many raters assigning subjects to nominal categories.

    Fleiss, J. L. (1971), "Measuring nominal scale agreement among many raters", Psychological Bulletin
    76(5): 378-382. ``table`` has subjects in rows and, per category, the number of raters who chose it.
    kappa = (P_bar - P_e) / (1 - P_e), with P_i = (sum_j n_ij^2 - n) / (n (n - 1)), P_bar their mean and
    P_e = sum_j p_j^2 over the category shares p_j. Matches ``statsmodels.stats.inter_rater.fleiss_kappa``.

    Rows with no ratings are dropped; the other rows must have the same number n of raters
    (``ValueError`` otherwise). NaN when no subject is left, n < 2, or all ratings fall in one category.
    """
    counts = as_counts_2d(table, "table")
    counts = counts[counts.sum(axis=1) > 0]
    if counts.shape[0] == 0:
        return NAN
    raters = counts.sum(axis=1)
    n = float(raters[0])
    if not np.allclose(raters, n, rtol=0.0, atol=1e-9):
        raise ValueError("every rated subject (row) of table must have the same number of ratings")
    if n < 2:
        return NAN
    shares = counts.sum(axis=0) / counts.sum()
    expected = float((shares**2).sum())
    if expected >= 1.0 - 1e-12:
        return NAN
    observed = float((((counts**2).sum(axis=1) - n) / (n * (n - 1.0))).mean())
    return (observed - expected) / (1.0 - expected)
