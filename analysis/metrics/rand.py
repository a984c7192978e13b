"""The RAND/UCLA Appropriateness Method on its 1-9 scale (Fitch et al. 2001, The RAND/UCLA Appropriateness
Method User's Manual, RAND MR-1269, chapter 7)."""

from __future__ import annotations

from typing import Literal, TypeAlias, TypedDict

import numpy as np

from ._inputs import FloatArray, Ratings, as_values
from .location import quantile

RandClass: TypeAlias = Literal["appropriate", "uncertain", "inappropriate"]

# Round-off guard for "IPR > IPRAS": both are sums of decimals (e.g. 6.1 - 3.3 against 2.35 + 1.5 * 0.3),
# so a tie must not turn into disagreement through the last bit.
_IPRAS_TOLERANCE = 1e-9


class IprasResult(TypedDict):
    """The interpercentile range adjusted for symmetry and its ingredients (Fitch et al. 2001, ch. 7)."""

    n: int
    median: float
    p30: float
    p70: float
    ipr: float
    iprcp: float
    ai: float
    ipras: float
    disagreement: bool


def _ratings_1_to_9(values: Ratings) -> FloatArray:
    data = as_values(values)
    if data.size and (data.min() < 1 or data.max() > 9):
        raise ValueError("RAND/UCLA ratings must lie on the 1-9 scale")
    return data


def ipras(values: Ratings, method: str = "weibull") -> IprasResult:
    """IPRAS disagreement test of the RAND/UCLA manual (Fitch et al. 2001, ch. 7) for 1-9 ratings.

    IPR = P70 - P30; IPRCP = (P30 + P70) / 2; AI = |5 - IPRCP|; IPRAS = 2.35 + 1.5 AI; disagreement when
    IPR > IPRAS (a tie is not disagreement). Percentiles use :func:`~analysis.metrics.quantile` with
    ``method`` (the manual does not fix one; type 6 "weibull" is the SPSS default). Missing values are
    dropped. For empty input every number is NaN, n is 0 and disagreement is False.
    Raises ``ValueError`` for ratings outside 1-9 or an unknown method.
    """
    data = _ratings_1_to_9(values)
    p30 = quantile(data, 0.30, method)
    p70 = quantile(data, 0.70, method)
    median = quantile(data, 0.5, method)
    ipr = p70 - p30
    iprcp = (p30 + p70) / 2.0
    ai = abs(5.0 - iprcp)
    adjusted = 2.35 + 1.5 * ai
    return IprasResult(
        n=int(data.size),
        median=median,
        p30=p30,
        p70=p70,
        ipr=ipr,
        iprcp=iprcp,
        ai=ai,
        ipras=adjusted,
        disagreement=bool(ipr > adjusted + _IPRAS_TOLERANCE),
    )


def rand_classic_threshold(n_panelists: int) -> int:
    """Panellists needed in *each* extreme third (1-3 and 7-9) for classic disagreement with this panel size.

    The manual's table (Fitch et al. 2001, ch. 7) gives 3 for panels of 8-10, 4 for 11-13 and 5 for 14-16:
    that is n / 3 rounded to the nearest integer, i.e. (n + 1) // 3, which this function applies to every n,
    with a floor of 1 (so a panel of 2 disagrees when one rates 1-3 and the other 7-9). Note that it is not
    ceil(n / 3), which would give 4 for 10, 5 for 13 and 6 for 16.
    """
    if isinstance(n_panelists, bool) or not isinstance(n_panelists, int | np.integer) or n_panelists < 0:
        raise ValueError(f"n_panelists must be a non-negative integer, got {n_panelists!r}")
    return max(1, (int(n_panelists) + 1) // 3)


def rand_classic_disagreement(values: Ratings) -> bool:
    """Classic RAND/UCLA disagreement by panel size (Fitch et al. 2001, ch. 7) for 1-9 ratings.

    Disagreement when at least :func:`rand_classic_threshold` (n) panellists rate 1-3 and at least as many rate
    7-9, n being the number of non-missing ratings: for 8-10 panellists >= 3 each, 11-13 >= 4, 14-16 >= 5,
    and n / 3 rounded to the nearest integer for other sizes. False for an empty or one-member panel.
    Raises ``ValueError`` for ratings outside 1-9.
    """
    data = _ratings_1_to_9(values)
    if data.size < 2:
        return False
    needed = rand_classic_threshold(int(data.size))
    low = int(np.count_nonzero(data <= 3))
    high = int(np.count_nonzero(data >= 7))
    return low >= needed and high >= needed


def rand_classification(values: Ratings, method: str = "weibull") -> RandClass | None:
    """RAND/UCLA appropriateness class of 1-9 ratings (Fitch et al. 2001, ch. 7), or None without ratings.

    "appropriate" when the panel median is >= 7, "inappropriate" when it is <= 3, "uncertain" otherwise
    (a median of 3.5 or 6.5 lies outside both end thirds, so it is uncertain) and "uncertain" whenever
    :func:`ipras` finds disagreement. ``method`` is the percentile method for the IPRAS (the median is the
    same under types 6 and 7). Returns None for empty input, since no class is defined.
    """
    result = ipras(values, method)
    if result["n"] == 0:
        return None
    if result["disagreement"]:
        return "uncertain"
    if result["median"] >= 7:
        return "appropriate"
    if result["median"] <= 3:
        return "inappropriate"
    return "uncertain"
