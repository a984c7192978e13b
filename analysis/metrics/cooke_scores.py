"""The scores of Cooke's classical model: intrinsic range, information, calibration and the decision maker.

Building blocks of :func:`analysis.metrics.cooke.classical_model`, vectorised over experts, items and
(for the cutoff search) candidate weightings. Formulas: Cooke (1991), *Experts in Uncertainty*, Oxford
University Press, ch. 12; Cooke & Goossens (2008), "TU Delft expert judgment data base", Reliab. Eng. Syst.
Saf. 93:657-674. Conventions where the books leave a choice (ties at a quantile, the intrinsic range, the
exact mixture) follow ANDURYL 1.2.2 and are listed in ``docs/metrics.md``.

Every array here is on the background scale (ln of the value for log-background items).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from ._inputs import FloatArray, IntArray

# Mathematically equal calibration scores computed from mirror-image interval counts, or a decision maker
# that reproduces one expert, can differ in the last bit; scores within this relative distance count as equal.
RELATIVE_TIE = 1e-12
# Items per block when evaluating the experts' distributions at every breakpoint: bounds the memory to about
# experts x block x breakpoints x (quantiles + 2) booleans.
_ITEM_BLOCK = 16


def intrinsic_range(values: FloatArray, realizations: FloatArray, overshoot: float) -> tuple[FloatArray, FloatArray]:
    """[L*, U*] per item: the range of all quantiles (and the realization) widened by ``overshoot`` each side.

    ``values`` is experts x items x quantiles, ``realizations`` items (NaN for targets). Cooke (1991) ch. 12:
    L* = L - k(U - L), U* = U + k(U - L). Items nobody answered get NaN.
    """
    with warnings.catch_warnings():  # an item nobody answered has NaN bounds, as wanted
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.fmin(np.nanmin(values, axis=(0, 2)), realizations)
        high = np.fmax(np.nanmax(values, axis=(0, 2)), realizations)
    width = high - low
    return low - overshoot * width, high + overshoot * width


def knots(values: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    """The CDF's knots of each answer: L*, the quantiles, U* (``... x items x (Q + 2)``)."""
    shape = (*values.shape[:-1], 1)
    return np.concatenate([np.broadcast_to(low[..., None], shape), values, np.broadcast_to(high[..., None], shape)], -1)


def information(values: FloatArray, low: FloatArray, high: FloatArray, p: FloatArray) -> FloatArray:
    """Relative information of each answer w.r.t. the uniform background on [L*, U*] (Cooke 1991, ch. 8).

    I = ln(U* - L*) + sum_j p_j ln(p_j / (x_j - x_{j-1})), x_0 = L*, x_{Q+1} = U*: the minimum-information
    density that is uniform between the quantiles. NaN where the answer is missing.
    """
    widths = np.diff(knots(values, low, high), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(high - low) + np.sum(p * np.log(p / widths), axis=-1)


def interval_index(values: FloatArray, realizations: FloatArray) -> IntArray:
    """Which inter-quantile interval holds each realization: the number of quantiles strictly below it.

    Interval j is (x_{j-1}, x_j]: a realization equal to a quantile counts in the interval below it.
    """
    return np.sum(values < realizations[..., None], axis=-1)


def calibration_from_counts(counts: FloatArray, p: FloatArray, nmin: int) -> FloatArray:
    """Calibration score: P(chi2 with Q df > 2 * Nmin * I(s, p)), s = counts / n (Cooke 1991, ch. 12).

    ``counts`` is ``... x (Q + 1)`` realizations per interval; I(s, p) = sum_{s_j > 0} s_j ln(s_j / p_j).
    Uses the exact chi-square survival function. NaN without any realization.
    """
    n = counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = counts / n
        terms = np.where(shares > 0, shares * np.log(shares / p), 0.0)
    statistic = 2.0 * nmin * terms.sum(axis=-1)
    score: FloatArray = stats.chi2.sf(statistic, df=p.size - 1)
    return np.where(n[..., 0] > 0, score, np.nan)


def interval_counts(index: IntArray, mask: np.ndarray, n_intervals: int) -> FloatArray:
    """Realizations per interval, summed over the last (item) axis where ``mask`` holds."""
    one_hot = (index[..., None] == np.arange(n_intervals)) & mask[..., None]
    return one_hot.sum(axis=-2).astype(np.float64)


def _cdf_at(item_knots: FloatArray, levels: FloatArray, points: FloatArray, needed: np.ndarray) -> FloatArray:
    """Each needed expert's piecewise-linear CDF (through its knots at ``levels``) at the item's breakpoints.

    ``item_knots`` experts x items x (Q + 2), ``points`` items x M, ``needed`` experts x items; returns
    experts x items x M, 0 where not needed. ``np.interp`` returns the level itself at a knot (no round-off),
    so a decision maker that reproduces one expert has exactly that expert's quantiles, and realizations on
    a quantile count in the same interval for both.
    """
    cdf = np.zeros(item_knots.shape[:2] + points.shape[-1:])
    for expert, item in zip(*np.nonzero(needed), strict=True):
        cdf[expert, item] = np.interp(points[item], item_knots[expert, item], levels)
    return cdf


def mixture_quantiles(
    values: FloatArray, answered: np.ndarray, low: FloatArray, high: FloatArray, weights: FloatArray, q: FloatArray
) -> FloatArray:
    """Quantiles of the weighted mixture of the experts' CDFs, per weighting and item (Cooke 1991, ch. 12).

    ``values`` experts x items x Q, ``weights`` candidates x experts x items, normalised over the experts
    who answered each item. Each expert's CDF is linear between (L*, 0), (x_1, q_1), ..., (x_Q, q_Q),
    (U*, 1); the mixture is piecewise linear with knots at all the experts' quantiles and L*, U*, so it is
    evaluated there and inverted exactly by linear interpolation. Returns candidates x items x Q; NaN for
    items with no weight.
    """
    levels = np.concatenate([[0.0], q, [1.0]])
    n_candidates, n_items = weights.shape[0], values.shape[1]
    result = np.full((n_candidates, n_items, q.size), np.nan)
    for start in range(0, n_items, _ITEM_BLOCK):
        block = slice(start, start + _ITEM_BLOCK)
        block_knots = knots(values[:, block], low[block], high[block])
        block_weights = weights[:, :, block]
        filled = np.where(answered[:, block, None], block_knots, high[block][None, :, None])
        points = np.sort(filled.transpose(1, 0, 2).reshape(filled.shape[1], -1), axis=-1)
        # Experts without weight on an item in every weighting add nothing: skip their CDFs.
        cdf = _cdf_at(block_knots, levels, points, answered[:, block] & (block_weights > 0).any(axis=0))
        mixture = np.einsum("cei,eim->cim", block_weights, cdf)
        result[:, block] = _invert(mixture, points, q)
    return result


def _invert(cdf: FloatArray, points: FloatArray, q: FloatArray) -> FloatArray:
    """x with cdf(x) = q, for a non-decreasing piecewise-linear cdf given at sorted ``points``."""
    below = np.sum(cdf[..., None, :] < q[:, None], axis=-1)  # candidates x items x Q
    upper = np.clip(below, 1, points.shape[-1] - 1)
    grid = np.broadcast_to(points[None], cdf.shape)
    f_right = np.take_along_axis(cdf, upper, axis=-1)
    f_left = np.take_along_axis(cdf, upper - 1, axis=-1)
    x_right = np.take_along_axis(grid, upper, axis=-1)
    x_left = np.take_along_axis(grid, upper - 1, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = x_left + (q - f_left) * (x_right - x_left) / (f_right - f_left)
    exact = np.where(f_right == q, x_right, between)
    has_weight = cdf[..., -1:] > 0
    return np.where(has_weight, exact, np.nan)


def nanmean_or_nan(values: FloatArray, axis: int) -> FloatArray:
    """Mean over the non-NaN values along ``axis``; NaN where there are none (without numpy's warning)."""
    present = ~np.isnan(values)
    count = present.sum(axis=axis)
    total = np.where(present, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)
