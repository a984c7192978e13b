"""The round summary: one row per (area, criterion, group) from a round's ratings, in one vectorised pass.

No Django here. Input is a DataFrame of ratings with the columns of :data:`RATING_COLUMNS`:

- ``area``, ``criterion``, ``expert``: any hashable ids;
- ``bloc``: the expert's bloc (a string);
- ``value``: the rating, NaN for "cannot judge";
- ``scale_min``, ``scale_max``: the criterion's integer scale.

:func:`summarize` returns one row per (area, criterion) for the whole panel (``group == ""``) and one per
(area, criterion, bloc), with the columns of :data:`SUMMARY_COLUMNS`. Ratings are integers on a short scale,
so every statistic is computed from an items x categories counts table built with one ``np.bincount``
(sorting within groups reduces to counting): quantiles by walking the cumulative counts
(``metrics.quantile_from_counts``), moments by matrix products, and the ordinal measures with the
``metrics.*_rows`` functions. The only loop is over the distinct scales of the criteria (usually one).
The numbers equal the scalar functions of :mod:`analysis.metrics` (property-tested in
``tests/aggregation/test_summary_vectorised.py``).

Conventions are those of the metrics package: "cannot judge" is not in n; SD with n - 1; quartiles and
RAND/UCLA percentiles by ``method`` (Hyndman-Fan type 6 "weibull" or type 7 "linear"); undefined numbers
are NaN. RAND/UCLA columns exist only for 1-9 scales (NaN / "" / None elsewhere and for n = 0).

Stability (``previous`` given): the same experts' paired ratings of the same item in both rounds, pairs
with a missing side dropped, as :func:`analysis.metrics.stability`. The Wilcoxon signed-rank test is
computed vectorised with scipy's normal approximation (tie-corrected, no continuity correction) wherever
scipy would use it (more than 50 pairs, or ties/zeros and more than 13 pairs). For the small items on
which scipy computes an exact or permutation p-value, the same null distribution is computed for all of
them at once by dynamic programming over doubled ranks (``metrics.signed_rank_exact_p``), so ties cost
nothing extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from scipy import special

from analysis import metrics
from analysis.metrics._inputs import FloatArray, IntArray

RATING_COLUMNS: Final = ("area", "criterion", "expert", "bloc", "value", "scale_min", "scale_max")
STATISTIC_COLUMNS: Final = (
    "mean", "sd", "median", "q1", "q3", "iqr", "cv", "pct_low", "pct_mid", "pct_high",
    "cns", "vde_a", "bimodality", "p30", "p70", "ipr", "ipras",
)  # fmt: skip
STABILITY_COLUMNS: Final = ("stability_pairs", "delta_cv", "wilcoxon_statistic", "wilcoxon_p", "changed_share")
SUMMARY_COLUMNS: Final = (
    "area", "criterion", "group", "n", "n_cannot_judge",
    *STATISTIC_COLUMNS,
    "rand_class", "ipras_disagreement", "classic_disagreement",
    *STABILITY_COLUMNS,
)  # fmt: skip
PANEL: Final = ""
_IPRAS_TOLERANCE: Final = 1e-9  # as metrics.rand: a tie IPR == IPRAS is not disagreement
_EXACT_WILCOXON_MAX: Final = 50  # scipy: exact p-value up to 50 pairs without ties or zeros
_PERMUTATION_WILCOXON_MAX: Final = 13  # scipy: permutation p-value up to 13 pairs with ties or zeros
_JOINT_CELLS_MAX: Final = 2**22  # stability's joint histogram of (value, previous value) per key, at most


def positions_in(index: pd.Index, wanted: np.ndarray) -> IntArray:
    """``index.get_indexer(wanted)`` (-1 where absent), by a table over the span of integer ids when they lie
    close together (ids of one study do), which costs one step per value instead of a hash look-up."""
    values = index.to_numpy()
    if values.dtype.kind in "iu" and wanted.dtype.kind in "iu" and values.size and wanted.size:
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * (values.size + wanted.size) + 4096:
            table = np.full(high - low + 1, -1, dtype=np.int64)
            table[values.astype(np.int64) - low] = np.arange(values.size)
            inside = (wanted >= low) & (wanted <= high)
            return np.where(inside, table[np.where(inside, wanted, low).astype(np.int64) - low], -1)
    return np.asarray(index.get_indexer(pd.Index(wanted)), dtype=np.int64)


def expert_codes(frame: pd.DataFrame) -> tuple[IntArray, np.ndarray]:
    """Each row's expert code, and the expert of each code (in order of appearance, as ``pd.factorize``)."""
    codes, experts = pd.factorize(frame["expert"].to_numpy())
    return codes.astype(np.int64), np.asarray(experts)


def expert_blocs(frame: pd.DataFrame) -> tuple[IntArray, np.ndarray]:
    """Each row's expert code, and the bloc of each expert code (an expert belongs to one bloc).

    Looking the bloc up once per expert instead of once per rating keeps string work off the hot path.
    """
    codes, experts = expert_codes(frame)
    return codes, _blocs_of(frame, codes, len(experts))


def _blocs_of(frame: pd.DataFrame, codes: IntArray, n_experts: int) -> np.ndarray:
    last_row = np.zeros(n_experts, dtype=np.int64)
    last_row[codes] = np.arange(len(codes))
    return frame["bloc"].iloc[last_row].to_numpy(dtype=object)


class ItemKeys:
    """Dense integer keys for (area, criterion, group): group 0 is the panel, 1.. the blocs (sorted)."""

    def __init__(self, areas: pd.Index, criteria: pd.Index, blocs: pd.Index) -> None:
        self.areas, self.criteria, self.blocs = areas, criteria, blocs
        self.n_groups = len(blocs) + 1
        self.size = len(areas) * len(criteria) * self.n_groups

    @classmethod
    def for_ratings(cls, ratings: pd.DataFrame, blocs_of_experts: np.ndarray | None = None) -> ItemKeys:
        """The keys of the ratings' items and blocs (``blocs_of_experts``: from ``expert_blocs``, when at hand)."""

        def sorted_unique(values: np.ndarray) -> pd.Index:
            return pd.Index(pd.unique(values)).sort_values()

        if blocs_of_experts is None:
            _, blocs_of_experts = expert_blocs(ratings)
        return cls(
            sorted_unique(ratings["area"].to_numpy()),
            sorted_unique(ratings["criterion"].to_numpy()),
            sorted_unique(blocs_of_experts),
        )

    def item_codes(self, frame: pd.DataFrame) -> IntArray:
        """(area, criterion) code of each row; -1 where the area or criterion is unknown here."""
        area = positions_in(self.areas, frame["area"].to_numpy())
        criterion = positions_in(self.criteria, frame["criterion"].to_numpy())
        codes = area.astype(np.int64) * len(self.criteria) + criterion
        return np.where((area < 0) | (criterion < 0), -1, codes)

    def panel_and_bloc_keys(self, frame: pd.DataFrame) -> tuple[IntArray, IntArray]:
        """Each row's key in the panel group and in its bloc's group (-1 for unknown items)."""
        panel_key, bloc_key, _, _ = self.keys_and_experts(frame)
        return panel_key, bloc_key

    def keys_and_experts(
        self, frame: pd.DataFrame, experts_found: tuple[IntArray, np.ndarray, np.ndarray] | None = None
    ) -> tuple[IntArray, IntArray, IntArray, np.ndarray]:
        """:meth:`panel_and_bloc_keys`, each row's expert code and the expert of each code (``expert_codes``).

        ``experts_found``: the frame's expert codes, experts and their blocs (``expert_blocs``), when at hand.
        """
        item = self.item_codes(frame)
        if experts_found is None:
            codes, experts = expert_codes(frame)
            blocs_of_experts = _blocs_of(frame, codes, len(experts))
        else:
            codes, experts, blocs_of_experts = experts_found
        bloc = (self.blocs.get_indexer(pd.Index(blocs_of_experts)).astype(np.int64) + 1)[codes]
        panel_key = np.where(item < 0, -1, item * self.n_groups)
        bloc_key = np.where((item < 0) | (bloc < 1), -1, item * self.n_groups + bloc)
        return panel_key, bloc_key, codes, experts

    def frame(self, keys: IntArray) -> pd.DataFrame:
        """The area, criterion and group columns of the given keys."""
        item, group = np.divmod(keys, self.n_groups)
        area, criterion = np.divmod(item, len(self.criteria))
        group_names = np.concatenate([np.array([PANEL], dtype=object), self.blocs.to_numpy(dtype=object)])
        return pd.DataFrame(
            {
                "area": self.areas.take(area).to_numpy(),
                "criterion": self.criteria.take(criterion).to_numpy(),
                "group": group_names[group],
            }
        )


@dataclass(frozen=True)
class RatingCounts:
    """A round's ratings counted per (area, criterion, group) and scale point: what every statistic of the
    per-item histogram derives from (summary, distributions, the tests between blocs), built once per round.

    ``table[key, j]`` counts the ratings of ``key`` at the scale point ``scale_min[key] + j`` ("cannot judge"
    is in ``cannot_judge`` only); ``panel_key`` and ``bloc_key`` give each rating's two keys, for the
    statistics that pair ratings expert by expert (stability).
    """

    keys: ItemKeys
    table: IntArray
    cannot_judge: IntArray
    scale_min: IntArray
    scale_max: IntArray
    panel_key: IntArray
    bloc_key: IntArray
    expert: IntArray  # each rating's expert code (0 .. n_experts - 1), for the statistics that rank within an expert
    experts: np.ndarray  # the expert of each code
    point: IntArray  # each rating's scale point, value - scale_min (-1: cannot judge)

    @property
    def n_experts(self) -> int:
        return len(self.experts)

    @property
    def n(self) -> IntArray:
        return self.table.sum(axis=1)

    def scales(self) -> list[tuple[int, int, IntArray]]:
        """Each scale with the keys on it that have at least one rating (ascending)."""
        rated = self.n > 0
        codes = self.scale_min * 1000 + self.scale_max
        found = []
        for code in pd.unique(codes[rated]):
            scale_min, scale_max = divmod(int(code), 1000)
            found.append((scale_min, scale_max, np.flatnonzero(rated & (codes == code))))
        return found


def count_ratings(ratings: pd.DataFrame) -> RatingCounts:
    """The :class:`RatingCounts` of a ratings DataFrame (columns :data:`RATING_COLUMNS`, at least one row)."""
    codes, experts = expert_codes(ratings)  # once: hashing every rating's expert is the costly step
    blocs_of_experts = _blocs_of(ratings, codes, len(experts))
    keys = ItemKeys.for_ratings(ratings, blocs_of_experts)
    panel_key, bloc_key, expert, experts = keys.keys_and_experts(ratings, (codes, experts, blocs_of_experts))
    values = ratings["value"].to_numpy(dtype=np.float64)
    low = ratings["scale_min"].to_numpy(dtype=np.int64)
    high = ratings["scale_max"].to_numpy(dtype=np.int64)
    rated = ~np.isnan(values)
    point = np.full(values.size, -1, dtype=np.int64)
    point[rated] = values[rated].astype(np.int64) - low[rated]
    width = int((high - low).max()) + 1
    table = _key_histogram(panel_key[rated], bloc_key[rated], point[rated], width, keys)
    unrated = ~rated
    cannot_judge = _key_histogram(panel_key[unrated], bloc_key[unrated], np.zeros(unrated.sum(), np.int64), 1, keys)[
        :, 0
    ]
    # One scale per criterion, hence per item: set on the panel keys, copied to the item's bloc keys; 0 on keys
    # without a rating.
    scale_min = np.zeros(keys.size, dtype=np.int64)
    scale_max = np.zeros(keys.size, dtype=np.int64)
    scale_min[panel_key], scale_max[panel_key] = low, high
    seen = (table.sum(axis=1) + cannot_judge) > 0
    scale_min = np.where(seen, np.repeat(scale_min[:: keys.n_groups], keys.n_groups), 0)
    scale_max = np.where(seen, np.repeat(scale_max[:: keys.n_groups], keys.n_groups), 0)
    return RatingCounts(
        keys=keys,
        table=table,
        cannot_judge=cannot_judge,
        scale_min=scale_min,
        scale_max=scale_max,
        panel_key=panel_key,
        bloc_key=bloc_key,
        expert=expert,
        experts=experts,
        point=point,
    )


def summarize(
    ratings: pd.DataFrame,
    *,
    method: str = "weibull",
    previous: pd.DataFrame | None = None,
    counts: RatingCounts | None = None,
) -> pd.DataFrame:
    """Summary rows (see the module docstring) of one round's ratings, optionally with stability vs ``previous``.

    ``previous`` holds the earlier round's ratings with the same columns (its blocs and scales are ignored:
    pairs take the current round's). Rows are sorted by area, criterion and group (panel first).
    ``counts``: the ratings' :func:`count_ratings`, when the caller has it already.
    """
    missing = set(RATING_COLUMNS) - set(ratings.columns)
    if missing:
        raise ValueError(f"ratings lack the columns {sorted(missing)}")
    metrics.quantile(np.array([1.0]), 0.5, method)  # validates the method name early
    if ratings.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in SUMMARY_COLUMNS})
    counts = count_ratings(ratings) if counts is None else counts
    keys = counts.keys
    n, n_cannot_judge = counts.n, counts.cannot_judge
    present = np.flatnonzero((n + n_cannot_judge) > 0)

    columns: dict[str, np.ndarray] = {name: np.full(keys.size, np.nan) for name in STATISTIC_COLUMNS}
    rand_class = np.full(keys.size, "", dtype=object)
    ipras_disagreement = np.full(keys.size, None, dtype=object)
    classic_disagreement = np.full(keys.size, None, dtype=object)
    for scale_min, scale_max, rows in counts.scales():
        on_scale = counts.table[rows, : scale_max - scale_min + 1]
        _fill_from_counts(columns, rows, on_scale.astype(np.float64), scale_min, scale_max, method)
        if scale_min == 1 and scale_max == 9:
            _fill_rand(columns, rand_class, ipras_disagreement, classic_disagreement, rows, on_scale, method)

    result = keys.frame(present)
    result["n"] = n[present]
    result["n_cannot_judge"] = n_cannot_judge[present]
    for name in STATISTIC_COLUMNS:
        result[name] = columns[name][present]
    result["rand_class"] = rand_class[present]
    result["ipras_disagreement"] = ipras_disagreement[present]
    result["classic_disagreement"] = classic_disagreement[present]
    stability = _stability(counts, ratings, previous)
    for name in STABILITY_COLUMNS:
        result[name] = stability[name][present]
    return result


def value_counts(ratings: pd.DataFrame, counts: RatingCounts | None = None) -> dict[tuple[Any, Any, str], list[int]]:
    """The distribution of each (area, criterion, group): ratings at each scale point, lowest first.

    Groups as :func:`summarize`: the panel (``PANEL``) and each bloc; "cannot judge" is not counted, and a
    group with no rating has no entry. ``counts``: the ratings' :func:`count_ratings`, when at hand.
    """
    if ratings.empty:
        return {}
    counts = count_ratings(ratings) if counts is None else counts
    result: dict[tuple[Any, Any, str], list[int]] = {}
    for scale_min, scale_max, rows in counts.scales():
        names = counts.keys.frame(rows)
        table = counts.table[rows, : scale_max - scale_min + 1].tolist()
        for area, criterion, group, row in zip(
            names["area"].tolist(), names["criterion"].tolist(), names["group"].tolist(), table, strict=True
        ):
            result[(area, criterion, group)] = row
    return result


def _fill_from_counts(
    columns: dict[str, np.ndarray],
    rows: IntArray,
    counts: FloatArray,
    scale_min: int,
    scale_max: int,
    method: str,
) -> None:
    """Location, spread, thirds and ordinal consensus of the given keys from their category counts."""
    categories = np.arange(scale_min, scale_max + 1, dtype=np.float64)
    n = counts.sum(axis=1)
    mean = counts @ categories / n
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((counts * (categories - mean[:, np.newaxis]) ** 2).sum(axis=1) / (n - 1.0))
        sd = np.where(n >= 2, sd, np.nan)
        cv = np.where((n >= 2) & (mean != 0), sd / mean, np.nan)
    q1 = metrics.quantile_from_counts(counts, 0.25, method, scale_min)
    q3 = metrics.quantile_from_counts(counts, 0.75, method, scale_min)
    span = scale_max - scale_min
    low = 3 * (categories - scale_min) < span
    high = 3 * (scale_max - categories) < span
    n_low, n_high = counts[:, low].sum(axis=1), counts[:, high].sum(axis=1)
    columns["mean"][rows] = mean
    columns["sd"][rows] = sd
    columns["cv"][rows] = cv
    columns["median"][rows] = metrics.quantile_from_counts(counts, 0.5, method, scale_min)
    columns["q1"][rows] = q1
    columns["q3"][rows] = q3
    columns["iqr"][rows] = q3 - q1
    columns["pct_low"][rows] = 100.0 * n_low / n
    columns["pct_mid"][rows] = 100.0 * (n - n_low - n_high) / n
    columns["pct_high"][rows] = 100.0 * n_high / n
    columns["cns"][rows] = metrics.tastle_wierman_rows(counts)
    columns["vde_a"][rows] = metrics.van_der_eijk_rows(counts)
    columns["bimodality"][rows] = metrics.bimodality_rows(counts)


def _fill_rand(
    columns: dict[str, np.ndarray],
    rand_class: np.ndarray,
    ipras_disagreement: np.ndarray,
    classic_disagreement: np.ndarray,
    rows: IntArray,
    counts: IntArray,
    method: str,
) -> None:
    """RAND/UCLA columns (Fitch et al. 2001, ch. 7) of keys on the 1-9 scale, as ``metrics.ipras`` and friends."""
    p30 = metrics.quantile_from_counts(counts, 0.30, method, 1)
    p70 = metrics.quantile_from_counts(counts, 0.70, method, 1)
    ipr = p70 - p30
    adjusted = 2.35 + 1.5 * np.abs(5.0 - (p30 + p70) / 2.0)
    disagreement = ipr > adjusted + _IPRAS_TOLERANCE
    n = counts.sum(axis=1)
    needed = np.maximum(1, (n + 1) // 3)
    classic = (n >= 2) & (counts[:, :3].sum(axis=1) >= needed) & (counts[:, 6:].sum(axis=1) >= needed)
    median = columns["median"][rows]
    label = np.where(median >= 7, "appropriate", np.where(median <= 3, "inappropriate", "uncertain"))
    label = np.where(disagreement, "uncertain", label).astype(object)
    columns["p30"][rows] = p30
    columns["p70"][rows] = p70
    columns["ipr"][rows] = ipr
    columns["ipras"][rows] = adjusted
    rand_class[rows] = label
    ipras_disagreement[rows] = disagreement.astype(object)
    classic_disagreement[rows] = classic.astype(object)


def _stability(counts: RatingCounts, ratings: pd.DataFrame, previous: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Stability columns per key (see ``metrics.stability``): NaN and 0 pairs without a previous round.

    Pairs are matched on one integer per (item, expert), looked up in a dense slot array of the previous
    round's ratings (a hash index when items x experts is much larger than the ratings), instead of a
    three-column merge; one rating per expert and item is a database invariant. The round's item and expert
    codes come from its counts; the previous round's ids are looked up in the same codes.
    """
    keys, panel_key, bloc_key = counts.keys, counts.panel_key, counts.bloc_key
    result: dict[str, np.ndarray] = {name: np.full(keys.size, np.nan) for name in STABILITY_COLUMNS}
    result["stability_pairs"] = np.zeros(keys.size, dtype=np.int64)
    if previous is None or previous.empty:
        return result
    n_experts = counts.n_experts
    current_pair = (panel_key // keys.n_groups) * n_experts + counts.expert
    previous_item = keys.item_codes(previous)
    previous_expert = positions_in(pd.Index(counts.experts), previous["expert"].to_numpy())
    known = (previous_item >= 0) & (previous_expert >= 0)
    previous_pair = previous_item[known] * n_experts + previous_expert[known]
    position = _pair_positions(previous_pair, current_pair, (keys.size // keys.n_groups) * n_experts)
    matched = position >= 0
    current_values = ratings["value"].to_numpy(dtype=np.float64)[matched]
    before_values = previous["value"].to_numpy(dtype=np.float64)[known][position[matched]]
    complete = ~np.isnan(current_values) & ~np.isnan(before_values)
    if not complete.any():
        return result
    panel = panel_key[matched][complete]
    bloc = bloc_key[matched][complete]
    current = current_values[complete].astype(np.int64)
    before = before_values[complete].astype(np.int64)
    # Every stability statistic derives from three histograms per key: the round's values, the previous
    # round's values and the differences, each one bincount over the pairs (panel and bloc keys).
    low = int(min(current.min(), before.min()))
    span = int(max(current.max(), before.max())) - low + 1
    current_counts, before_counts, differences, reach = _pair_histograms(
        panel, bloc, current - low, before - low, span, keys
    )
    n = differences.sum(axis=1)
    result["stability_pairs"] = n
    zeros = differences[:, reach]
    positive = differences[:, reach:]
    per_magnitude = positive + differences[:, reach::-1]
    per_magnitude[:, 0] = 0
    positive = positive.copy()
    positive[:, 0] = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        result["changed_share"] = np.where(n > 0, (n - zeros) / n, np.nan)
        values = np.arange(low, low + span, dtype=np.float64)
        result["delta_cv"] = _cv_from_counts(current_counts, values, n) - _cv_from_counts(before_counts, values, n)
    statistic, p = _wilcoxon_by_key(per_magnitude, positive, n)
    result["wilcoxon_statistic"], result["wilcoxon_p"] = statistic, p
    _exact_wilcoxon(result, per_magnitude, positive, zeros, n)
    return result


def _key_histogram(panel: IntArray, bloc: IntArray, cell: IntArray, width: int, keys: ItemKeys) -> IntArray:
    """Counts per (key, cell) of rows counted in their panel key and in their bloc key (when they have one).

    One ``np.bincount`` over the rows: each row lands in its bloc's key, or (no bloc) in its panel key, and
    each panel key then adds up its item's keys, which hold every rating of the item exactly once.
    """
    own = np.where(bloc >= 0, bloc, panel)
    table = np.bincount(own * width + cell, minlength=keys.size * width).reshape(-1, keys.n_groups, width)
    table[:, 0, :] = table.sum(axis=1)
    return table.reshape(keys.size, width)


def _pair_histograms(
    panel: IntArray, bloc: IntArray, current: IntArray, before: IntArray, span: int, keys: ItemKeys
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Per key: the counts of the round's values, of the previous round's, and of their differences (width
    2 reach + 1, reach the largest absolute difference of any pair), values as offsets in ``range(span)``.

    All three come from one joint histogram of (value, previous value) per key, while it stays small (a
    1-9 scale: 81 cells a key); on long scales from three histograms of the pairs.
    """
    if keys.size * span * span > _JOINT_CELLS_MAX:
        reach = int(np.abs(current - before).max())
        return (
            _key_histogram(panel, bloc, current, span, keys),
            _key_histogram(panel, bloc, before, span, keys),
            _key_histogram(panel, bloc, current - before + reach, 2 * reach + 1, keys),
            reach,
        )
    joint = _key_histogram(panel, bloc, current * span + before, span * span, keys).reshape(keys.size, span, span)
    seen_current, seen_before = np.nonzero(joint.any(axis=0))
    reach = int(np.abs(seen_current - seen_before).max())
    differences = np.zeros((keys.size, 2 * reach + 1), dtype=joint.dtype)
    for offset in range(-reach, reach + 1):  # the diagonal ``before = current + offset``: difference -offset
        differences[:, reach - offset] = np.diagonal(joint, offset=offset, axis1=1, axis2=2).sum(axis=1)
    return joint.sum(axis=2), joint.sum(axis=1), differences, reach


def _pair_positions(previous_pair: IntArray, current_pair: IntArray, space: int) -> IntArray:
    """Where each current pair is among the previous pairs (-1 where it is not), pairs being in ``range(space)``."""
    if space > 4 * (previous_pair.size + current_pair.size) + 4096:
        return np.asarray(pd.Index(previous_pair).get_indexer(pd.Index(current_pair)), dtype=np.int64)
    slot = np.full(space, -1, dtype=np.int64)
    slot[previous_pair] = np.arange(previous_pair.size)
    return slot[current_pair]


def _cv_from_counts(counts: IntArray, values: FloatArray, n: IntArray) -> FloatArray:
    """CV with the n - 1 SD per key (NaN for n < 2 or mean 0) from each key's counts of ``values``."""
    mean = counts @ values / np.where(n > 0, n, 1)
    squares = (counts * (values - mean[:, np.newaxis]) ** 2).sum(axis=1)
    sd = np.sqrt(squares / np.where(n > 1, n - 1, 1))
    return np.where((n >= 2) & (mean != 0), sd / np.where(mean != 0, mean, 1.0), np.nan)


def _wilcoxon_by_key(per_magnitude: IntArray, positive: IntArray, n: IntArray) -> tuple[FloatArray, FloatArray]:
    """Wilcoxon signed-rank statistic (smaller rank sum) and normal-approximation p per key.

    As ``scipy.stats.wilcoxon(zero_method="wilcox", correction=False)``: zero differences are dropped, the
    absolute differences get average ranks (computed from their counts per key and magnitude, column 0 empty,
    and the positive ones among them: integer differences), the variance is tie-corrected, p = 2 P(Z > |z|).
    Keys without a non-zero difference get statistic 0 and p 1.
    """
    counts = per_magnitude.astype(np.float64)
    average_rank = np.cumsum(counts, axis=1) - counts + (counts + 1.0) / 2.0
    r_plus = (positive * average_rank).sum(axis=1)
    r_minus = ((counts - positive) * average_rank).sum(axis=1)
    m = counts.sum(axis=1)
    ties = (counts**3 - counts).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((m * (m + 1.0) * (2.0 * m + 1.0) - ties / 2.0) / 24.0)
        z = (r_plus - m * (m + 1.0) / 4.0) / se
    p = np.clip(2.0 * special.ndtr(-np.abs(z)), 0.0, 1.0)
    statistic = np.minimum(r_plus, r_minus)
    no_change = (n > 0) & (m == 0)
    statistic = np.where(n > 0, np.where(no_change, 0.0, statistic), np.nan)
    p = np.where(n > 0, np.where(no_change, 1.0, p), np.nan)
    return statistic, p


def _exact_wilcoxon(
    result: dict[str, np.ndarray], per_magnitude: IntArray, positive: IntArray, zeros: IntArray, n: IntArray
) -> None:
    """Exact p-values for the small keys on which scipy uses an exact or permutation test, all at once.

    scipy's choice is kept (so every p equals ``scipy.stats.wilcoxon``'s): the exact distribution up to
    ``_EXACT_WILCOXON_MAX`` pairs without ties or zeros, the full permutation distribution up to
    ``_PERMUTATION_WILCOXON_MAX`` pairs with ties or zeros, the tie-corrected normal approximation beyond.
    Both small cases are the same null, computed here by ``metrics.signed_rank_exact_p`` over doubled
    average ranks (integers even with ties) from the keys x magnitudes count table, one batch per number
    of non-zero differences: no Python loop per key, no enumeration of 2^n signs.
    """
    changed = per_magnitude.sum(axis=1)
    tied = (per_magnitude > 1).any(axis=1) | (zeros > 0)
    small = (changed > 0) & np.where(tied, n <= _PERMUTATION_WILCOXON_MAX, n <= _EXACT_WILCOXON_MAX)
    if not small.any():
        return
    chosen = np.flatnonzero(small)
    table = per_magnitude[chosen]
    doubled_rank = 2 * np.cumsum(table, axis=1) - table + 1  # twice the average rank of each magnitude
    observed = (positive[chosen] * doubled_rank).sum(axis=1)
    pairs = changed[chosen]
    for count in np.unique(pairs):
        rows = np.flatnonzero(pairs == count)
        ranks = np.repeat(doubled_rank[rows].ravel(), table[rows].ravel()).reshape(rows.size, int(count))
        result["wilcoxon_p"][chosen[rows]] = metrics.signed_rank_exact_p(ranks, observed[rows])
