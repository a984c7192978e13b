"""Disclosure control: the one place that decides which figures may leave coopsurvey (DOMAIN.md, anonymity).

Every output goes through here: the stored results (dashboard, report, ``aggregates/`` API, ``results``
export), the ``aggregates`` and ``panel`` exports, the report's panel composition and the experts'
feedback. The rule is the same everywhere: no figure stands on fewer than k contributors, the whole panel
included, and no withheld figure can be worked out from the figures shown.

- **Primary suppression.** A cell (a group's statistics, or a count) with 0 < n < k is withheld.
- **Complementary suppression.** A table publishes relations "total = sum of parts" (the panel row and its
  bloc rows; a bloc's count and its sectors). When the total is shown, the withheld parts pooled can be
  derived (their count, their n·mean), so while only one part is withheld, or the withheld parts pool fewer
  than k, the smallest other non-zero part is withheld too (two lone experts would otherwise learn each
  other's rating). When the total is withheld and every part shown, the smallest non-zero part is withheld.
  This repeats until no relation needs more.
- Contributors that belong to no part (experts without a bloc) are a part that is never shown.

The functions here know no Django: the same code runs in the worker, the views and the export bundle.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from analysis.summary import PANEL, STABILITY_COLUMNS, STATISTIC_COLUMNS

K = TypeVar("K", bound=Hashable)

HIDDEN_COLUMNS = (*STATISTIC_COLUMNS, *STABILITY_COLUMNS[1:])


def too_few(n: int, *, k: int) -> bool:
    """Whether a figure standing on ``n`` contributors must be withheld (primary suppression alone)."""
    return 0 < n < k


def withheld(
    counts: Mapping[K, int],
    relations: Iterable[tuple[K, Sequence[K]]],
    *,
    k: int,
    never_shown: Iterable[K] = (),
) -> set[K]:
    """The cells of ``counts`` to withhold, given the relations ``(total, parts)`` the table publishes.

    A cell named only in ``counts`` has primary suppression; the relations add complementary suppression.
    ``never_shown`` are parts the table does not publish (they count as withheld from the start). Each pass
    withholds at least one more cell, so it ends after at most ``len(counts)`` passes.
    """
    unpublished = set(never_shown)
    hidden = {key for key, count in counts.items() if too_few(count, k=k)} | unpublished
    rules = list(relations)
    changed = True
    while changed:
        changed = False
        for total, parts in rules:
            hidden_parts = [part for part in parts if part in hidden]
            if total in hidden:
                exposed = not hidden_parts  # the total is the sum of the shown parts
            else:
                pooled = sum(counts[part] for part in hidden_parts)
                # one withheld part is derivable; harmless only if it is an unpublished part of k or more
                alone = len(hidden_parts) == 1 and not (hidden_parts[0] in unpublished and pooled >= k)
                exposed = alone or (bool(hidden_parts) and pooled < k)
            if not exposed:
                continue
            candidates = [part for part in parts if part not in hidden and counts[part] > 0]
            if not candidates and total not in hidden:
                candidates = [total]
            if candidates:
                hidden.add(min(candidates, key=lambda key: (counts[key], str(key))))
                changed = True
    return hidden


def withheld_groups(total: int, parts: Mapping[str, int], *, k: int) -> tuple[bool, set[str]]:
    """For a total (the whole panel) and its named parts (blocs): whether the total is withheld, and which parts.

    Contributors counted in ``total`` but in no part (``total - sum(parts)``) form a part that is never shown.
    """
    counts: dict[tuple[str, ...], int] = {_TOTAL: total, **{(name,): n for name, n in parts.items()}}
    members = [(name,) for name in parts]
    rest = total - sum(parts.values())
    if rest > 0:
        counts[_UNASSIGNED] = rest
        members.append(_UNASSIGNED)
    hidden = withheld(counts, [(_TOTAL, members)], k=k, never_shown=[_UNASSIGNED] if rest > 0 else [])
    return _TOTAL in hidden, {key[0] for key in hidden if key not in (_TOTAL, _UNASSIGNED)}


def difference_discloses(before: Mapping[K, int], shown: Mapping[K, int], *, k: int) -> bool:
    """Whether showing ``shown`` (figure -> contributors) after ``before`` (the same figures as last shown; a
    figure never shown counts 0) lets a subtraction isolate 1 to k - 1 contributors: some shown figure
    changed by fewer than k of them.

    Counts are per figure (an item's panel or bloc row), so a bloc that gained one expert between two views
    is caught even when the panel as a whole gained k.
    """
    return any(too_few(abs(n - before.get(key, 0)), k=k) for key, n in shown.items())


def mark_suppressed(rows: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """A copy of summary rows (panel and blocs per item) with ``suppressed`` set and suppressed statistics blanked.

    Per (area, criterion), the panel row is the total and the bloc rows its parts, counted by n (the ratings
    on the scale). Suppressed rows keep n and n_cannot_judge in storage; every output shows them empty.
    """
    result = rows.copy()
    suppressed = np.zeros(len(result), dtype=bool)
    if len(result):
        groups = result["group"].to_numpy(dtype=object)
        counts = result["n"].to_numpy()
        for rows_of_item in _items_to_check(result, groups, min_group_size):
            panel = [i for i in rows_of_item if groups[i] == PANEL]
            blocs = {str(groups[i]): int(counts[i]) for i in rows_of_item if groups[i] != PANEL}
            total = int(counts[panel[0]]) if panel else sum(blocs.values())
            total_hidden, hidden = withheld_groups(total, blocs, k=min_group_size)
            for i in rows_of_item:
                suppressed[i] = total_hidden if groups[i] == PANEL else str(groups[i]) in hidden
    result["suppressed"] = suppressed
    if suppressed.any():
        result.loc[suppressed, list(HIDDEN_COLUMNS)] = np.nan
        result.loc[suppressed, "rand_class"] = ""
        result.loc[suppressed, ["ipras_disagreement", "classic_disagreement"]] = None
        result.loc[suppressed, "stability_pairs"] = 0
        if "consensus" in result.columns:
            result.loc[suppressed, "consensus"] = None
        if "consensus_band" in result.columns:
            result.loc[suppressed, "consensus_band"] = ""
    return result


def _items_to_check(rows: pd.DataFrame, groups: np.ndarray, k: int) -> list[np.ndarray]:
    """The row positions of each (area, criterion) on which :func:`withheld_groups` may withhold something.

    Vectorised over all items: an item withholds nothing when neither its total (the panel row's n, else the
    sum of its blocs') nor any bloc is 1 to k - 1 and its experts without a bloc (total minus the blocs) are
    none or at least k: no primary suppression, and the relation "total = sum of parts" exposes no part. Only
    the other items (few: every item of a round with more than k experts per bloc is of the first kind) go
    through :func:`withheld_groups` one by one. One row per (area, criterion, group), as ``summarize`` gives.
    """
    item = rows.groupby(["area", "criterion"], sort=False).ngroup().to_numpy()  # -1: a missing key, never checked
    n = rows["n"].to_numpy(dtype=np.int64)
    is_panel = (groups == PANEL) & (item >= 0)
    is_bloc = (groups != PANEL) & (item >= 0)
    items = int(item.max()) + 1
    if items == 0:
        return []
    panel_rows = np.flatnonzero(is_panel)
    _, first = np.unique(item[panel_rows], return_index=True)  # the first panel row of an item is its total
    has_panel = np.zeros(items, dtype=bool)
    panel_total = np.zeros(items, dtype=np.int64)
    has_panel[item[panel_rows[first]]] = True
    panel_total[item[panel_rows[first]]] = n[panel_rows[first]]
    bloc_sum = np.bincount(item[is_bloc], weights=n[is_bloc], minlength=items).astype(np.int64)
    total = np.where(has_panel, panel_total, bloc_sum)
    rest = total - bloc_sum
    small_bloc = np.bincount(item[is_bloc & (n > 0) & (n < k)], minlength=items) > 0
    check = ((total > 0) & (total < k)) | small_bloc | ((rest > 0) & (rest < k))
    chosen = np.flatnonzero((item >= 0) & check[np.maximum(item, 0)])
    if not chosen.size:
        return []
    order = chosen[np.argsort(item[chosen], kind="stable")]
    return np.split(order, np.flatnonzero(np.diff(item[order])) + 1)


def blank_below_k(frame: pd.DataFrame, contributors: pd.Series, columns: Sequence[str], *, k: int) -> pd.DataFrame:
    """A copy of ``frame`` whose ``columns`` are NaN on rows with fewer than k ``contributors`` (same index)."""
    result = frame.copy()
    small = contributors.reindex(result.index, fill_value=0).to_numpy() < k
    if small.any():
        result.loc[small, list(columns)] = np.nan
    return result


_TOTAL = ("\0total",)
_UNASSIGNED = ("\0unassigned",)  # contributors in no part of a relation: counted, never shown


def dissent_disclosed(dissenters: int, *, k: int) -> int | None:
    """What an output may say about the experts who recorded dissent on one item.

    The number itself when k or more dissent; ``None`` when 1 to k - 1 do: only that dissent was recorded,
    never how many (a count standing on fewer than k is withheld like any other figure); 0 when none did.
    """
    if too_few(dissenters, k=k):
        return None
    return dissenters
