"""Small-group suppression of bloc statistics (DOMAIN.md, anonymity model).

A bloc row is *suppressed* when fewer than k experts rated the item (primary suppression). The suppressed
blocs of an item together can always be derived from the panel row minus the shown blocs (their pooled
mean and counts), so while they hold fewer than k ratings between them, the smallest remaining bloc of that
item is suppressed as well (secondary suppression): one small bloc takes another with it, and so do two
blocs of one expert each (whose pooled figures would give each of them the other's rating). Suppressed rows
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
    _suppress_until_pooled_reach_k(result, is_bloc, min_group_size)
    hidden = result["suppressed"].to_numpy()
    if hidden.any():
        result.loc[hidden, list(HIDDEN_COLUMNS)] = np.nan
        result.loc[hidden, "rand_class"] = ""
        result.loc[hidden, ["ipras_disagreement", "classic_disagreement"]] = None
        result.loc[hidden, "stability_pairs"] = 0
        if "consensus" in result.columns:
            result.loc[hidden, "consensus"] = None
        if "consensus_band" in result.columns:
            result.loc[hidden, "consensus_band"] = ""
    return result


def _suppress_until_pooled_reach_k(result: pd.DataFrame, is_bloc: np.ndarray, min_group_size: int) -> None:
    """Secondary suppression, in place: per item, hide the smallest shown bloc while the hidden ones pool < k.

    Each pass hides at most one bloc per item, so it ends after at most as many passes as there are blocs.
    """
    item = ["area", "criterion"]
    while True:
        hidden = result["suppressed"].to_numpy() & is_bloc
        pooled = result.assign(_n=np.where(hidden, result["n"], 0), _h=hidden).groupby(item, sort=False)
        hidden_n = pooled["_n"].transform("sum").to_numpy()
        any_hidden = pooled["_h"].transform("any").to_numpy()
        candidates = result[is_bloc & ~hidden & any_hidden & (hidden_n < min_group_size)]
        if candidates.empty:
            return
        smallest = candidates.sort_values(["n", "group"]).groupby(item, sort=False).head(1).index
        result.loc[smallest, "suppressed"] = True
