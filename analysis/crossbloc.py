"""Divides between blocs: where a panel of rivals agrees within each bloc, and where it splits along bloc lines.

For every (area, criterion), from the summary rows (with ``consensus``, ``consensus_band`` and ``suppressed``)
and the ratings:

- the blocs compared are those with at least k ratings of the item that disclosure control shows
  (``analysis.disclosure``: the others never count as evidence either way nor enter a test), largest
  first; each compared bloc's consensus and the end it agrees on;
- the medians of the compared blocs that are not suppressed (see ``analysis.disclosure``) and the
  largest difference between them: the size of the divide;
- a Kruskal-Wallis H test across all compared blocs (Kruskal & Wallis 1952; tie-corrected chi-squared
  approximation, as ``scipy.stats.kruskal``) and two-sided Mann-Whitney U tests between every pair of
  compared blocs (Mann & Whitney 1947; as ``scipy.stats.mannwhitneyu`` with its defaults), their p-values
  adjusted for the number of pairs by Holm's step-down method (Holm 1979). All vectorised over items from
  category counts; the few pairs on which scipy would use the exact distribution (a bloc of at most 8 and
  no ties) go through ``metrics.mann_whitney``. ``bloc_a``/``bloc_b`` name the pair whose medians differ
  most (the two largest blocs when no two medians are shown) with that pair's U, raw and Holm p;
- the verdict: ``no_rule`` (no consensus rule, hence no frozen divide threshold), ``too_few_blocs`` (fewer
  than two blocs of at least k), ``split`` ("split along bloc lines": two compared blocs each reach
  consensus but on different ends, or two shown bloc medians differ by at least the rule's divide
  threshold), ``shared`` (every compared bloc agrees, on the same end) or ``not_split``.

No Django here.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import special

from analysis import metrics
from analysis.summary import PANEL, RatingCounts, count_ratings

CROSS_BLOC_COLUMNS: Final = (
    "area", "criterion", "panel_consensus", "consensus_in_every_bloc", "blocs_compared",
    "blocs_without_consensus", "blocs_suppressed", "bloc_ends", "group_medians", "max_median_difference",
    "kruskal_h", "kruskal_p", "pairwise", "bloc_a", "bloc_b", "mann_whitney_u", "mann_whitney_p",
    "mann_whitney_p_holm", "split_reason", "verdict",
)  # fmt: skip
_EXACT_MAX: Final = 8  # scipy: exact distribution when a sample has at most 8 values and nothing ties
_TOLERANCE: Final = 1e-9


def cross_bloc(
    summary: pd.DataFrame,
    ratings: pd.DataFrame,
    *,
    min_group_size: int,
    divide_threshold: float | None = None,
    counts: RatingCounts | None = None,
) -> pd.DataFrame:
    """One row per (area, criterion) of ``summary`` with the columns of :data:`CROSS_BLOC_COLUMNS`.

    ``summary`` has the columns of ``analysis.summary.summarize`` plus ``consensus`` (True/False/None),
    ``consensus_band`` and ``suppressed``; ``ratings`` is the frame the summary was computed from.
    ``divide_threshold``: bloc medians this far apart split the item (None: only opposite ends do).
    ``counts``: the ratings' ``analysis.summary.count_ratings``, when the caller has it already.
    """
    item = ["area", "criterion"]
    panel = summary[summary["group"] == PANEL].set_index(item)
    blocs = summary[summary["group"] != PANEL]
    if "consensus_band" not in blocs.columns:
        blocs = blocs.assign(consensus_band="")
    shown_bloc = (blocs["n"] >= min_group_size) & ~blocs["suppressed"].astype(bool)
    compared = blocs[shown_bloc].sort_values([*item, "n", "group"], ascending=[True, True, False, True])
    result = pd.DataFrame(index=panel.index)
    result["panel_consensus"] = panel["consensus"]
    index = result.index
    lists = _per_item(compared, blocs[~shown_bloc], index)
    result["blocs_compared"], result["blocs_without_consensus"] = lists["compared"], lists["without"]
    result["blocs_suppressed"] = lists["suppressed"]
    result["bloc_ends"], result["group_medians"] = lists["ends"], lists["medians"]
    result["max_median_difference"] = lists["difference"]

    n_compared = np.fromiter(map(len, lists["compared"]), dtype=np.int64, count=len(index))
    has_rule = result["panel_consensus"].notna().to_numpy()
    every = np.fromiter((not found for found in lists["without"]), dtype=bool, count=len(index))
    result["consensus_in_every_bloc"] = pd.Series(
        [bool(e) if r and n >= 2 else None for e, r, n in zip(every, has_rule, n_compared, strict=True)],
        index=result.index,
        dtype="object",
    )
    distinct_ends = np.fromiter((len(set(found.values())) for found in lists["ends"]), dtype=np.int64, count=len(index))
    opposite_ends = distinct_ends >= 2
    if divide_threshold is None:
        far_apart = np.zeros(len(result), dtype=bool)
    else:
        far_apart = result["max_median_difference"].to_numpy(dtype=np.float64) >= divide_threshold - _TOLERANCE
    result["split_reason"] = np.select(
        [opposite_ends & far_apart, opposite_ends, far_apart], ["ends_and_distance", "ends", "distance"], default=""
    )
    result["verdict"] = np.select(
        [~has_rule, n_compared < 2, opposite_ends | far_apart, every & (distinct_ends == 1)],
        ["no_rule", "too_few_blocs", "split", "shared"],
        default="not_split",
    )
    _tests(result, ratings, min_group_size, counts)
    return result.reset_index()[list(CROSS_BLOC_COLUMNS)]


def _per_item(compared: pd.DataFrame, hidden: pd.DataFrame, index: pd.Index) -> dict[str, Any]:
    """Per row of ``index`` (area, criterion), in one pass over the compared bloc rows (in their order):

    ``compared``, the blocs compared; ``without``, those of them without consensus; ``ends``, bloc -> the end
    each agreed bloc agrees on; ``medians``, bloc -> median of the compared blocs shown with a median;
    ``difference``, the largest minus the smallest of those medians (NaN with fewer than two); and
    ``suppressed``, the number of the item's bloc rows in ``hidden``. A loop over plain arrays of a few
    thousand rows: pandas' grouped ``agg(list)`` would call Python per group, and four group-bys per table.
    """
    found: dict[tuple[Any, Any], tuple[list[Any], list[Any], dict[str, str], dict[str, float]]] = {}
    arrays = [
        compared[name].to_numpy(dtype=object)
        for name in ("area", "criterion", "group", "consensus", "consensus_band", "suppressed", "median")
    ]
    for area, criterion, group, agreed, band, suppressed, median in zip(*arrays, strict=True):
        entry = found.get((area, criterion))
        if entry is None:
            entry = found[(area, criterion)] = ([], [], {}, {})
        entry[0].append(group)
        if agreed == False:  # noqa: E712 - None is no verdict, not disagreement
            entry[1].append(group)
        elif agreed == True:  # noqa: E712
            entry[2][str(group)] = str(band)
        if not bool(suppressed) and not pd.isna(median):
            entry[3][str(group)] = float(median)
    small: dict[tuple[Any, Any], int] = {}
    for key in zip(hidden["area"].to_numpy(dtype=object), hidden["criterion"].to_numpy(dtype=object), strict=True):
        small[key] = small.get(key, 0) + 1
    keys = list(zip(*(index.get_level_values(level).to_numpy(dtype=object) for level in range(2)), strict=True))
    empty: tuple[list[Any], list[Any], dict[str, str], dict[str, float]] = ([], [], {}, {})
    entries = [found.get(key, empty) for key in keys]
    differences = [
        max(medians.values()) - min(medians.values()) if len(medians) >= 2 else np.nan for *_, medians in entries
    ]
    return {
        "compared": pd.Series([list(entry[0]) for entry in entries], index=index, dtype="object"),
        "without": pd.Series([list(entry[1]) for entry in entries], index=index, dtype="object"),
        "ends": pd.Series([dict(entry[2]) for entry in entries], index=index, dtype="object"),
        "medians": pd.Series([dict(entry[3]) for entry in entries], index=index, dtype="object"),
        "difference": pd.Series(differences, index=index, dtype=np.float64),
        "suppressed": pd.Series([small.get(key, 0) for key in keys], index=index, dtype=int),
    }


def _tests(result: pd.DataFrame, ratings: pd.DataFrame, min_group_size: int, counts: RatingCounts | None) -> None:
    """Kruskal-Wallis across the compared blocs and Holm-adjusted pairwise Mann-Whitney, per row of ``result``."""
    size = len(result)
    for name in ("kruskal_h", "kruskal_p", "mann_whitney_u", "mann_whitney_p", "mann_whitney_p_holm"):
        result[name] = np.full(size, np.nan)
    result["bloc_a"], result["bloc_b"] = "", ""
    result["pairwise"] = pd.Series([[] for _ in range(size)], index=result.index, dtype="object")
    if size == 0 or ratings.empty:
        return
    counts_by_bloc, bloc_names = _bloc_counts(result, count_ratings(ratings) if counts is None else counts)
    n = counts_by_bloc.sum(axis=2)
    # Only the blocs disclosure control shows (at least k, not withheld) enter a test.
    position = {name: column for column, name in enumerate(bloc_names)}
    compared = np.zeros((len(result), len(bloc_names)), dtype=bool)
    for row, names in enumerate(result["blocs_compared"]):
        compared[row, [position[name] for name in names if name in position]] = True
    compared &= n >= min_group_size
    compared_counts = np.where(compared[:, :, np.newaxis], counts_by_bloc, 0.0)
    h, p = _kruskal_wallis(compared_counts, compared)
    result["kruskal_h"], result["kruskal_p"] = h, p
    pairs = list(combinations(range(len(bloc_names)), 2))
    if not pairs:
        return
    u = np.full((size, len(pairs)), np.nan)
    raw = np.full((size, len(pairs)), np.nan)
    for column, (first, second) in enumerate(pairs):
        tested = compared[:, first] & compared[:, second]
        u[:, column], raw[:, column] = _mann_whitney(
            compared_counts[:, first, :], compared_counts[:, second, :], tested
        )
    _name_pairs(result, (u, raw, holm_rows(raw)), n, pairs, bloc_names)


def _bloc_counts(result: pd.DataFrame, counts: RatingCounts) -> tuple[np.ndarray, list[str]]:
    """Counts per (result row, bloc, scale point) from the round's counts, and the bloc names in that order."""
    keys = counts.keys
    width = counts.table.shape[1]
    cells = counts.table.reshape(keys.size // keys.n_groups, keys.n_groups, width)[:, 1:, :].astype(np.float64)
    rows = keys.item_codes(result.index.to_frame(index=False))
    found = np.zeros((len(result), len(keys.blocs), width))
    known = rows >= 0
    found[known] = cells[rows[known]]
    return found, [str(name) for name in keys.blocs]


def _kruskal_wallis(counts: np.ndarray, compared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """H and p per row from (row, bloc, category) counts of the compared blocs, as ``scipy.stats.kruskal``.

    NaN with fewer than two compared blocs, or when every rating is the same (H is undefined).
    """
    total = counts.sum(axis=1)
    big_n = total.sum(axis=1)
    mid_rank = np.cumsum(total, axis=1) - total + (total + 1.0) / 2.0
    rank_sums = (counts * mid_rank[:, np.newaxis, :]).sum(axis=2)
    n = counts.sum(axis=2)
    groups = compared.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        between = np.where(n > 0, rank_sums**2 / np.where(n > 0, n, 1.0), 0.0).sum(axis=1)
        h = 12.0 / (big_n * (big_n + 1.0)) * between - 3.0 * (big_n + 1.0)
        ties = 1.0 - (total**3 - total).sum(axis=1) / (big_n**3 - big_n)
        h = np.where((groups >= 2) & (ties > 0), h / ties, np.nan)
    p = special.chdtrc(np.maximum(groups - 1, 1), h)
    return h, np.where(np.isnan(h), np.nan, p)


def _mann_whitney(first: np.ndarray, second: np.ndarray, tested: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """U of the first bloc and the two-sided p per row from two (row, category) count arrays (NaN untested)."""
    size = len(first)
    u = np.full(size, np.nan)
    p = np.full(size, np.nan)
    if not tested.any():
        return u, p
    n_a, n_b = first.sum(axis=1), second.sum(axis=1)
    below_b = np.cumsum(second, axis=1) - second
    u_a = (first * (below_b + 0.5 * second)).sum(axis=1)
    together = first + second
    total = n_a + n_b
    with np.errstate(invalid="ignore", divide="ignore"):
        ties = (together**3 - together).sum(axis=1)
        s = np.sqrt(n_a * n_b / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0))))
        z = (np.maximum(u_a, n_a * n_b - u_a) - n_a * n_b / 2.0 - 0.5) / s
    u[tested] = u_a[tested]
    p[tested] = np.clip(2.0 * special.ndtr(-z[tested]), 0.0, 1.0)
    exact = tested & ((n_a <= _EXACT_MAX) | (n_b <= _EXACT_MAX)) & (together.max(axis=1) <= 1)
    width = first.shape[1]
    for row in np.flatnonzero(exact):
        a = np.repeat(np.arange(width), first[row].astype(np.int64))
        b = np.repeat(np.arange(width), second[row].astype(np.int64))
        found = metrics.mann_whitney(a, b)
        u[row], p[row] = found["u"], found["p"]
    return u, p


def holm_rows(p: np.ndarray) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values within each row; NaN entries are not tests and stay NaN.

    Each row's m p-values, sorted ascending, become max over j <= i of min(1, (m - j) * p_(j)) (j from 0),
    as ``metrics.holm`` for one family.
    """
    if p.size == 0:
        return p.copy()
    missing = np.isnan(p)
    m = (~missing).sum(axis=1, keepdims=True)
    order = np.argsort(np.where(missing, np.inf, p), axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    scaled = np.minimum(1.0, (m - np.arange(p.shape[1])) * ranked)
    adjusted_sorted = np.fmax.accumulate(np.where(np.isnan(scaled), -np.inf, scaled), axis=1)
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, adjusted_sorted, axis=1)
    return np.where(missing, np.nan, adjusted)


def _name_pairs(
    result: pd.DataFrame,
    tests: tuple[np.ndarray, np.ndarray, np.ndarray],
    n: np.ndarray,
    pairs: list[tuple[int, int]],
    bloc_names: list[str],
) -> None:
    """The pairwise list per row, and the headline pair: the shown medians furthest apart, else the two largest."""
    u, raw, adjusted = (values.tolist() for values in tests)  # Python floats: no numpy scalar per cell
    n_rows = n.tolist()
    index = {name: position for position, name in enumerate(bloc_names)}
    column_of = {pair: column for column, pair in enumerate(pairs)}
    pairwise: list[list[dict[str, Any]]] = []
    heads: list[tuple[str, str, float, float, float]] = []
    for row, (medians, compared) in enumerate(zip(result["group_medians"], result["blocs_compared"], strict=True)):
        raw_row = raw[row]
        tested = [column for column in range(len(pairs)) if not math.isnan(raw_row[column])]
        pairwise.append(
            [
                {
                    "a": bloc_names[pairs[c][0]],
                    "b": bloc_names[pairs[c][1]],
                    "u": u[row][c],
                    "p": raw_row[c],
                    "p_holm": adjusted[row][c],
                }
                for c in sorted(tested, key=lambda c: (raw_row[c], pairs[c]))
            ]
        )
        head: tuple[str, str] | None = None
        shown = [name for name in compared if name in medians]
        high = max(shown, key=medians.__getitem__, default=None)
        low = min(shown, key=medians.__getitem__, default=None)
        if high is not None and low is not None and medians[high] != medians[low]:
            head = (high, low) if compared.index(high) < compared.index(low) else (low, high)
        elif len(compared) >= 2:
            head = (compared[0], compared[1])
        if head is None:
            heads.append(("", "", np.nan, np.nan, np.nan))
            continue
        first, second = index[head[0]], index[head[1]]
        column = column_of[(min(first, second), max(first, second))]
        pair_u = u[row][column]
        if first > second:  # the test ran the other way round: U of the first named bloc is n_a * n_b - U
            pair_u = float(n_rows[row][first] * n_rows[row][second] - pair_u)
        heads.append((head[0], head[1], pair_u, raw[row][column], adjusted[row][column]))
    result["pairwise"] = pd.Series(pairwise, index=result.index, dtype="object")
    for position, name in enumerate(("bloc_a", "bloc_b", "mann_whitney_u", "mann_whitney_p", "mann_whitney_p_holm")):
        result[name] = [head[position] for head in heads]
