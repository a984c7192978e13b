"""The aggregates export: one summary row per round and item.

``aggregate_rows(round_ids)`` is the seam: today it computes the per-item summary from the
ratings with ``aggregation.metrics``; once the aggregation results tables exist it can read
them instead, keeping the same columns (``AGGREGATE_COLUMNS``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from aggregation import metrics
from elicitation.models import Rating, Round

# (name, type, description). The reproducibility bundle's recompute.py checks these numbers.
AGGREGATE_COLUMNS: list[tuple[str, str, str]] = [
    ("study", "string", "The study's identifier (UUID)."),
    ("round", "int", "Round number, 1 for the first round."),
    ("area", "string", "Area code."),
    ("criterion", "string", "Criterion code."),
    ("n", "int", 'Number of ratings with a value ("cannot judge" excluded).'),
    ("n_cannot_judge", "int", 'Number of "cannot judge" answers.'),
    ("median", "float", "Median (quantile 0.5 with the study's quantile method)."),
    ("q1", "float", "First quartile (quantile 0.25 with the study's quantile method)."),
    ("q3", "float", "Third quartile (quantile 0.75 with the study's quantile method)."),
    ("iqr", "float", "Interquartile range q3 - q1."),
    ("mean", "float", "Arithmetic mean."),
    ("sd", "float", "Standard deviation with n - 1 in the denominator; empty when n < 2."),
    ("cv", "float", "Coefficient of variation sd / mean; empty when undefined."),
    ("min", "float", "Lowest rating."),
    ("max", "float", "Highest rating."),
    ("pct_low", "float", "Percent of ratings in the lowest third of the scale (1-3 on 1-9)."),
    ("pct_middle", "float", "Percent of ratings in the middle third of the scale (4-6 on 1-9)."),
    ("pct_high", "float", "Percent of ratings in the highest third of the scale (7-9 on 1-9)."),
    ("cns", "float", "Tastle & Wierman (2007) consensus, 0 (split between the ends) to 1 (all in one category)."),
    ("quantile_method", "string", "Quantile definition: weibull = Hyndman-Fan type 6 (SPSS); linear = type 7 (R)."),
]


def aggregate_rows(round_ids: Sequence[int]) -> Iterator[dict[str, Any]]:
    """Summary rows of the rounds' items, in round, area and criterion order. Empty items have n = 0."""
    rounds = {
        r.pk: r
        for r in Round.objects.filter(pk__in=list(round_ids))
        .select_related("study")
        .prefetch_related("items__area", "items__criterion")
    }
    for round_ in sorted(rounds.values(), key=lambda r: (r.study_id, r.number)):
        yield from _round_rows(round_)


def _round_rows(round_: Round) -> Iterator[dict[str, Any]]:
    study = round_.study
    method = study.quantile_method
    ratings = (
        Rating.objects.filter(round=round_)
        .order_by("area_id", "criterion_id")
        .values_list("area_id", "criterion_id", "value", "cannot_judge")
    )
    grouped: dict[tuple[int, int], list[tuple[int | None, bool]]] = {
        key: [(value, cannot) for _, _, value, cannot in group]
        for key, group in itertools.groupby(ratings.iterator(chunk_size=5000), key=lambda row: (row[0], row[1]))
    }
    items = sorted(round_.items.all(), key=lambda i: (i.area.order, i.area_id, i.criterion.order, i.criterion_id))
    for item in items:
        answers = grouped.get((item.area_id, item.criterion_id), [])
        values = [value for value, cannot in answers if not cannot and value is not None]
        row: dict[str, Any] = {
            "study": str(study.uuid),
            "round": round_.number,
            "area": item.area.code,
            "criterion": item.criterion.code,
            "n_cannot_judge": sum(1 for _, cannot in answers if cannot),
        }
        row.update(
            summarise(values, scale_min=item.criterion.scale_min, scale_max=item.criterion.scale_max, method=method)
        )
        row["quantile_method"] = method
        yield {name: row[name] for name, _, _ in AGGREGATE_COLUMNS}


def summarise(values: Iterable[float], *, scale_min: int, scale_max: int, method: str) -> dict[str, Any]:
    """The numeric columns of one item; undefined numbers are None (an empty cell), never NaN."""
    data = np.asarray(list(values), dtype=float)
    n = int(data.size)
    thirds = metrics.band_counts(data, scale_min, scale_max)
    counts = metrics.category_counts(data, scale_min, scale_max)
    numbers = {
        "median": metrics.quantile(data, 0.5, method),
        "q1": metrics.quantile(data, 0.25, method),
        "q3": metrics.quantile(data, 0.75, method),
        "iqr": metrics.iqr(data, method),
        "mean": float(np.mean(data)) if n else math.nan,
        "sd": float(np.std(data, ddof=1)) if n >= 2 else math.nan,
        "cv": metrics.coefficient_of_variation(data),
        "min": float(data.min()) if n else math.nan,
        "max": float(data.max()) if n else math.nan,
        "pct_low": thirds["low"],
        "pct_middle": thirds["middle"],
        "pct_high": thirds["high"],
        "cns": metrics.tastle_wierman(counts),
    }
    result: dict[str, Any] = {"n": n}
    result.update({key: None if math.isnan(value) else value for key, value in numbers.items()})
    return result
