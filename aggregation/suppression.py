"""Small-group suppression of bloc statistics (DOMAIN.md, anonymity model).

A bloc row is *suppressed* when fewer than k experts rated the item (primary suppression). When exactly one
bloc of an item is suppressed, its mean and counts could be derived from the panel row and the other blocs,
so the smallest remaining bloc of that item is suppressed as well (secondary suppression). Suppressed rows
keep n and n_cannot_judge (panel membership is known to coordinators) but lose every statistic and verdict.
The panel row (group "") is never suppressed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aggregation.summary import PANEL, STABILITY_COLUMNS, STATISTIC_COLUMNS

HIDDEN_COLUMNS = (*STATISTIC_COLUMNS, *STABILITY_COLUMNS[1:])


def mark_suppressed(rows: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """A copy of the summary rows with a ``suppressed`` column and the suppressed rows' statistics blanked."""
    result = rows.copy()
    is_bloc = (result["group"] != PANEL).to_numpy()
    primary = is_bloc & (result["n"].to_numpy() < min_group_size)
    result["suppressed"] = primary
    item = ["area", "criterion"]
    primary_per_item = result.assign(_p=primary).groupby(item, sort=False)["_p"].transform("sum").to_numpy()
    candidates = result[is_bloc & ~primary & (primary_per_item == 1)]
    if not candidates.empty:
        smallest = candidates.sort_values(["n", "group"]).groupby(item, sort=False).head(1).index
        result.loc[smallest, "suppressed"] = True
    hidden = result["suppressed"].to_numpy()
    if hidden.any():
        result.loc[hidden, list(HIDDEN_COLUMNS)] = np.nan
        result.loc[hidden, "rand_class"] = ""
        result.loc[hidden, ["ipras_disagreement", "classic_disagreement"]] = None
        result.loc[hidden, "stability_pairs"] = 0
        if "consensus" in result.columns:
            result.loc[hidden, "consensus"] = None
    return result
