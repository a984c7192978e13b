"""Cross-bloc consensus: does an item's consensus hold in the whole panel *and* within every bloc?

For each (area, criterion), from the summary rows (with ``consensus``, before suppression) and the ratings:

- the blocs compared are those with at least k ratings of the item that disclosure control shows
  (``aggregation.disclosure``: smaller blocs, and those withheld so a smaller one cannot be derived, are
  suppressed and never count as evidence either way, nor enter a test), largest first;
- ``consensus_in_every_bloc``: every compared bloc reaches consensus under the same rule;
- group medians of the compared blocs that are not suppressed (see ``aggregation.disclosure``), and the
  largest difference between them;
- a two-sided Mann-Whitney U test (Mann & Whitney 1947) between the two largest compared blocs, computed
  vectorised from category counts exactly as ``scipy.stats.mannwhitneyu`` does with its defaults
  (tie-corrected normal approximation with continuity correction); the few items on which scipy would use
  the exact distribution (a bloc of at most 8 and no ties) go through ``metrics.mann_whitney``;
- the verdict: ``no_rule`` (no consensus rule), ``no_consensus`` (no panel consensus), ``too_few_blocs``
  (fewer than two blocs of at least k), ``shared`` (every compared bloc agrees) or ``divided``.

No Django here.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import special

from aggregation import metrics
from aggregation.summary import PANEL, ItemKeys

CROSS_BLOC_COLUMNS: Final = (
    "area", "criterion", "panel_consensus", "consensus_in_every_bloc", "blocs_compared",
    "blocs_without_consensus", "blocs_suppressed", "group_medians", "max_median_difference",
    "bloc_a", "bloc_b", "mann_whitney_u", "mann_whitney_p", "verdict",
)  # fmt: skip
_EXACT_MAX: Final = 8  # scipy: exact distribution when a sample has at most 8 values and nothing ties


def cross_bloc(summary: pd.DataFrame, ratings: pd.DataFrame, *, min_group_size: int) -> pd.DataFrame:
    """One row per (area, criterion) of ``summary`` with the columns of :data:`CROSS_BLOC_COLUMNS`.

    ``summary`` has the columns of ``aggregation.summary.summarize`` plus ``consensus`` (True/False/None)
    and ``suppressed``; ``ratings`` is the frame the summary was computed from.
    """
    item = ["area", "criterion"]
    panel = summary[summary["group"] == PANEL].set_index(item)
    blocs = summary[summary["group"] != PANEL]
    shown_bloc = (blocs["n"] >= min_group_size) & ~blocs["suppressed"].astype(bool)
    compared = blocs[shown_bloc].sort_values([*item, "n", "group"], ascending=[True, True, False, True])
    result = pd.DataFrame(index=panel.index)
    result["panel_consensus"] = panel["consensus"]
    by_item = compared.groupby(item, sort=False)
    result["blocs_compared"] = by_item["group"].agg(list).reindex(result.index)
    result["blocs_compared"] = result["blocs_compared"].apply(lambda names: names if isinstance(names, list) else [])
    without = compared[compared["consensus"] == False].groupby(item, sort=False)["group"].agg(list)  # noqa: E712
    result["blocs_without_consensus"] = without.reindex(result.index)
    result["blocs_without_consensus"] = result["blocs_without_consensus"].apply(
        lambda names: names if isinstance(names, list) else []
    )
    small = blocs[~shown_bloc].groupby(item, sort=False).size()
    result["blocs_suppressed"] = small.reindex(result.index, fill_value=0).astype(int)
    shown = compared[~compared["suppressed"].astype(bool) & compared["median"].notna()]
    medians: dict[Any, dict[str, float]] = {}
    for key, group, median in zip(
        zip(shown["area"], shown["criterion"], strict=True), shown["group"], shown["median"], strict=True
    ):
        medians.setdefault(key, {})[str(group)] = float(median)
    result["group_medians"] = pd.Series(
        [medians.get(key, {}) for key in result.index], index=result.index, dtype="object"
    )
    spread = shown.groupby(item, sort=False)["median"].agg(["max", "min", "count"])
    difference = (spread["max"] - spread["min"]).where(spread["count"] >= 2)
    result["max_median_difference"] = difference.reindex(result.index).astype(float)
    n_compared = result["blocs_compared"].apply(len)
    every = result["blocs_without_consensus"].apply(len) == 0
    has_rule = result["panel_consensus"].notna()
    comparable = (has_rule & (n_compared >= 2)).to_numpy()
    result["consensus_in_every_bloc"] = pd.Series(
        [bool(e) if c else None for e, c in zip(every, comparable, strict=True)], index=result.index, dtype="object"
    )
    result["verdict"] = np.select(
        [~has_rule, result["panel_consensus"] == False, n_compared < 2, every],  # noqa: E712
        ["no_rule", "no_consensus", "too_few_blocs", "shared"],
        default="divided",
    )
    two_largest = by_item.head(2).assign(role=lambda rows: rows.groupby(item, sort=False).cumcount())
    pairs = two_largest.pivot_table(index=item, columns="role", values="group", aggfunc="first")
    pairs = pairs.dropna() if 1 in pairs.columns else pairs.iloc[0:0]
    result["bloc_a"] = pairs[0].reindex(result.index).fillna("") if len(pairs) else ""
    result["bloc_b"] = pairs[1].reindex(result.index).fillna("") if len(pairs) else ""
    u, p = _mann_whitney(result, ratings)
    result["mann_whitney_u"], result["mann_whitney_p"] = u, p
    return result.reset_index()[list(CROSS_BLOC_COLUMNS)]


def _mann_whitney(result: pd.DataFrame, ratings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """U of bloc a and the two-sided p per row of ``result`` (NaN where there is no pair of blocs)."""
    size = len(result)
    u = np.full(size, np.nan)
    p = np.full(size, np.nan)
    tested = (result["bloc_a"] != "").to_numpy()
    if not tested.any():
        return u, p
    # Each rating's (item, bloc) key, and which of the two compared blocs (role 0 or 1) of which result row
    # that key is: integer lookups instead of a merge on area, criterion and bloc strings.
    keys = ItemKeys.for_ratings(ratings)
    _, bloc_key = keys.panel_and_bloc_keys(ratings)
    rows = np.flatnonzero(tested)
    item = keys.item_codes(result.index.to_frame(index=False)) * keys.n_groups
    role_of = np.full(keys.size, -1, dtype=np.int64)
    row_of = np.full(keys.size, -1, dtype=np.int64)
    for which, column in enumerate(("bloc_a", "bloc_b")):
        key = item[rows] + keys.blocs.get_indexer(pd.Index(result[column].to_numpy()[rows])) + 1
        role_of[key] = which
        row_of[key] = rows
    values = ratings["value"].to_numpy(dtype=np.float64)
    role = role_of[bloc_key]
    chosen = (role >= 0) & ~np.isnan(values)
    category = (values[chosen] - ratings["scale_min"].to_numpy()[chosen]).astype(np.int64)
    width = int(category.max()) + 1
    cell = (row_of[bloc_key[chosen]] * 2 + role[chosen]) * width + category
    counts = np.bincount(cell, minlength=size * 2 * width).reshape(size, 2, width).astype(np.float64)
    first, second = counts[:, 0, :], counts[:, 1, :]
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
    for row in np.flatnonzero(exact):
        a = np.repeat(np.arange(width), first[row].astype(np.int64))
        b = np.repeat(np.arange(width), second[row].astype(np.int64))
        found = metrics.mann_whitney(a, b)
        u[row], p[row] = found["u"], found["p"]
    return u, p
