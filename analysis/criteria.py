"""Agreement per criterion across areas, from the round's counts: Kendall's W and Krippendorff's alpha.

For each criterion, the areas are the objects (units) and the experts the raters, as in
``analysis.compute.criterion_agreement`` (which builds each criterion's areas x experts matrix and calls
``metrics.kendall_w`` and ``metrics.krippendorff_alpha``; it stays as the reference the tests compare with).
Here nothing is ranked or sorted:

- **Kendall's W** (Kendall & Babington Smith 1939; ties as Kendall 1948/1970) keeps the experts who rated
  every area of the criterion. Ratings are scale points, so an expert's average rank of a value is the
  number of their ratings below it plus (the number equal to it + 1) / 2, read from their counts per scale
  point; the areas' rank sums are one weighted ``np.bincount`` and T = sum (t^3 - t) comes from the same
  counts. ``metrics.kendall_w_from_ranks`` then applies the formula.
- **Krippendorff's alpha** (Krippendorff 2011) needs only each unit's value counts: the panel row of each
  (area, criterion) of ``analysis.summary.RatingCounts`` is exactly that (``metrics.alpha_from_unit_counts``).

No Django here.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from analysis.metrics.agreement import kendall_w_from_ranks
from analysis.metrics.reliability import alpha_from_unit_counts
from analysis.summary import RatingCounts

CRITERION_COLUMNS: Final = (
    "criterion", "n_areas", "kendall_w", "kendall_chi2", "kendall_df", "kendall_p", "kendall_raters",
    "alpha_ordinal", "alpha_interval",
)  # fmt: skip


def criterion_agreement_from_counts(counts: RatingCounts) -> tuple[pd.DataFrame, pd.Series]:
    """One row per criterion (columns :data:`CRITERION_COLUMNS`), and per criterion the experts who rated it.

    The second value counts, per criterion, the experts with at least one rating on the scale ("cannot
    judge" does not count): the contributors the figures stand on, for disclosure control.
    """
    keys = counts.keys
    n_areas_all, n_criteria, n_groups = len(keys.areas), len(keys.criteria), keys.n_groups
    width = counts.table.shape[1]
    panel = counts.table.reshape(n_areas_all, n_criteria, n_groups, width)[:, :, 0, :]
    panel_cannot = counts.cannot_judge.reshape(n_areas_all, n_criteria, n_groups)[:, :, 0]
    has_rows = (panel.sum(axis=2) + panel_cannot) > 0  # (area, criterion): the criterion's areas
    n_areas = has_rows.sum(axis=0)

    item = counts.panel_key // n_groups
    criterion = item % n_criteria
    rated = counts.point >= 0
    pair = criterion * counts.n_experts + counts.expert  # (criterion, expert)
    per_pair = np.bincount(pair[rated], minlength=n_criteria * counts.n_experts).reshape(n_criteria, -1)
    raters = pd.Series((per_pair > 0).sum(axis=1), index=keys.criteria)

    complete_pair = per_pair == n_areas[:, np.newaxis]  # rated every area of the criterion
    slot = np.cumsum(complete_pair.ravel()) - 1  # dense number of each complete (criterion, expert)
    ranked = rated & complete_pair.ravel()[pair]
    ranked_slot = slot[pair[ranked]]
    n_complete = int(complete_pair.sum())
    per_point = np.bincount(ranked_slot * width + counts.point[ranked], minlength=n_complete * width)
    per_point = per_point.reshape(n_complete, width).astype(np.float64)
    average_rank = np.cumsum(per_point, axis=1) - per_point + (per_point + 1.0) / 2.0
    rank = average_rank[ranked_slot, counts.point[ranked]]
    rank_sums = np.bincount(item[ranked], weights=rank, minlength=n_areas_all * n_criteria)
    rank_sums = rank_sums.reshape(n_areas_all, n_criteria)
    ties_per_expert = (per_point**3 - per_point).sum(axis=1)
    criterion_of_slot = np.flatnonzero(complete_pair.ravel()) // max(counts.n_experts, 1)
    tie_totals = np.bincount(criterion_of_slot, weights=ties_per_expert, minlength=n_criteria)
    complete_raters = complete_pair.sum(axis=1)

    rows = []
    for position, name in enumerate(keys.criteria):
        areas = has_rows[:, position]
        kendall = kendall_w_from_ranks(
            rank_sums[areas, position], n_raters=int(complete_raters[position]), tie_total=float(tie_totals[position])
        )
        unit_counts = panel[areas, position, :]
        observed = np.flatnonzero(unit_counts.sum(axis=0) > 0)  # the values that occur, as np.unique finds them
        scale_min = counts.scale_min[int(np.flatnonzero(areas)[0]) * n_criteria * n_groups + position * n_groups]
        domain = (scale_min + observed).astype(np.float64)
        rows.append(
            (
                name,
                int(areas.sum()),
                kendall["w"],
                kendall["chi2"],
                float(kendall["df"]),
                kendall["p"],
                kendall["n_raters"],
                alpha_from_unit_counts(unit_counts[:, observed], domain, "ordinal"),
                alpha_from_unit_counts(unit_counts[:, observed], domain, "interval"),
            )
        )
    return pd.DataFrame(rows, columns=list(CRITERION_COLUMNS)), raters
