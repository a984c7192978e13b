"""The aggregates export: the round summary of the whole panel, one row per round and item.

Every column of the round summary (``aggregation.summary``) and the consensus verdict, computed by
the aggregation job's own code (``aggregation.services.load_ratings``, ``summarize`` with the previous
round for the stability columns, ``aggregation.rules.consensus``) from the ratings as they are now,
plus the lowest and highest rating. Every row goes through disclosure control (``aggregation.disclosure``):
an item fewer than k experts rated has ``suppressed`` = True and every count and statistic empty.
Recomputing rather than reading the stored results keeps the
table consistent with the exported ratings, which the bundle's ``recompute.py`` checks: a round that
was never aggregated, or whose ratings changed after its last run, still gets correct rows. The
stored results of the latest run, per bloc too, are the ``results`` table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from aggregation.disclosure import mark_suppressed
from aggregation.rules import RuleParts, consensus
from aggregation.services import load_ratings, previous_round
from aggregation.summary import PANEL, summarize
from elicitation.models import Round
from exports.statistics import COUNTS, IDENTITY, STATISTICS, ColumnSpec, shared_columns

# (name, type, description, codes). The reproducibility bundle's recompute.py checks these numbers.
AGGREGATE_COLUMNS: list[ColumnSpec] = [
    *shared_columns(IDENTITY + COUNTS),
    (
        "suppressed",
        "bool",
        "Whether fewer than the study's minimum group size (k) rated the item: every number of the row is empty.",
        "True = withheld; False = shown",
    ),
    ("min", "float", "Lowest rating; empty when n = 0.", ""),
    ("max", "float", "Highest rating; empty when n = 0.", ""),
    *shared_columns([*STATISTICS, "quantile_method"]),
]
_EMPTY_ITEM = {"n": 0, "n_cannot_judge": 0, "stability_pairs": 0}  # an item nobody answered


def aggregate_rows(round_ids: Sequence[int]) -> Iterator[dict[str, Any]]:
    """Summary rows of the rounds' items, in round, area and criterion order. Items nobody answered have n = 0."""
    rounds = (
        Round.objects.filter(pk__in=list(round_ids))
        .select_related("study", "consensus_rule")
        .prefetch_related("items__area", "items__criterion")
    )
    for round_ in sorted(rounds, key=lambda r: (r.study_id, r.number)):
        yield from _round_rows(round_)


def _round_rows(round_: Round) -> Iterator[dict[str, Any]]:
    study = round_.study
    method = study.quantile_method
    ratings = load_ratings(round_id=round_.pk, study_id=study.pk)
    earlier = previous_round(round_)
    previous = load_ratings(round_id=earlier.pk, study_id=study.pk) if earlier else None
    items = sorted(round_.items.all(), key=lambda i: (i.area.order, i.area_id, i.criterion.order, i.criterion_id))
    keys = pd.MultiIndex.from_tuples([(i.area_id, i.criterion_id) for i in items], names=["area", "criterion"])
    summary = summarize(ratings, method=method, previous=previous)
    summary = summary[summary["group"] == PANEL]
    panel = summary.set_index(["area", "criterion"]).reindex(keys)
    panel = panel.fillna(_EMPTY_ITEM).astype(dict.fromkeys(_EMPTY_ITEM, "int64"))
    rule = RuleParts.from_rule(round_.consensus_rule) if round_.consensus_rule else None
    panel["consensus"] = consensus(panel, rule)
    rated = ratings.dropna(subset=["value"]).groupby(["area", "criterion"])["value"]
    panel["min"] = rated.min().reindex(keys)
    panel["max"] = rated.max().reindex(keys)
    panel = mark_suppressed(panel.reset_index(), study.min_group_size).set_index(["area", "criterion"])
    shown = ~panel["suppressed"].to_numpy()
    for column in [*COUNTS, "min", "max"]:
        panel[column] = panel[column].astype(object).where(shown, None)
    for item, values in zip(items, panel.itertuples(index=False), strict=True):
        row = dict(zip(panel.columns, values, strict=True))
        row.update(study=str(study.uuid), round=round_.number, area=item.area.code, criterion=item.criterion.code)
        row["quantile_method"] = method
        yield {name: _cell(row[name]) for name, _, _, _ in AGGREGATE_COLUMNS}


def _cell(value: Any) -> Any:
    """Python values for the writers: NaN and "" (no RAND/UCLA class) are empty, numpy scalars plain."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return None
    return value
