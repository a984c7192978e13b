"""The aggregates export: the whole panel's stored results, one row per round and item.

The rows are the panel rows (group "") of each round's shown aggregation run
(``aggregation.selectors.shown_runs``), the run the ``results`` table exports with the blocs,
plus the lowest and highest rating from one grouped query over the ratings. Rows that disclosure control
withheld (``suppressed``) are stored empty and stay empty here, range included. Nothing is recomputed
while a request waits: recomputing every round's summary at download time took 22.6-30.7 s for a
30-expert, two-round study (past gunicorn's 30 s timeout). A round without a done run has no rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import Max, Min

from aggregation.inclusion import counted_ratings_of_rounds
from aggregation.models import ItemResult
from aggregation.selectors import shown_runs
from exports.cells import neutralise_cell
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
    ("min", "float", "Lowest rating; empty when n = 0. (unit: scale points)", ""),
    ("max", "float", "Highest rating; empty when n = 0. (unit: scale points)", ""),
    *shared_columns([*STATISTICS, "quantile_method"]),
]
_STORED = [*COUNTS, *STATISTICS]


def aggregates_queryset(round_ids: Sequence[int]) -> Any:
    """The panel rows of the rounds' shown runs, in round, area and criterion order (one query)."""
    return (
        ItemResult.objects.filter(run_id__in=shown_runs(list(round_ids)), group="")
        .order_by("round__number", "area__order", "area_id", "criterion__order", "criterion_id")
        .values_list(
            "round_id",
            "area_id",
            "criterion_id",
            "round__study__uuid",
            "round__number",
            "area__code",
            "criterion__code",
            *_STORED,
            "suppressed",
            "run__quantile_method",
        )
    )


def rating_ranges(round_ids: Sequence[int]) -> dict[tuple[int, int, int], tuple[int, int]]:
    """(round, area, criterion) ids -> (lowest, highest) counted rating on the scale, in one grouped query.

    Only the ratings results count (``counted_ratings_of_rounds``: submitted answers, unless the round's rule
    counts every saved answer), so the range describes the same ratings as the stored statistics.
    """
    ranges = (
        counted_ratings_of_rounds(round_ids)
        .filter(value__isnull=False)
        .values("round_id", "area_id", "criterion_id")
        .annotate(low=Min("value"), high=Max("value"))
        .order_by()
    )
    return {(r["round_id"], r["area_id"], r["criterion_id"]): (r["low"], r["high"]) for r in ranges}


def aggregate_rows(queryset: Any, ranges: dict[tuple[int, int, int], tuple[int, int]]) -> Iterator[tuple[Any, ...]]:
    """Exported rows in AGGREGATE_COLUMNS order: text neutralised, no RAND/UCLA class or agreed end as an empty cell."""
    for round_id, area_id, criterion_id, study, number, area, criterion, *stored, suppressed, method in queryset:
        statistics = dict(zip(_STORED, stored, strict=True))
        if suppressed:  # stored with its counts for the audit trail; no number of it leaves (analysis.disclosure)
            statistics = dict.fromkeys(statistics)
        for code in ("rand_class", "consensus_band"):  # stored "" = no class / no agreed end: an empty cell
            if statistics.get(code) == "":
                statistics[code] = None
        # A suppressed row is empty in the stored results (analysis.disclosure); its range stays empty too.
        low, high = (None, None) if suppressed else ranges.get((round_id, area_id, criterion_id), (None, None))
        row = {
            "study": str(study),
            "round": number,
            "area": area,
            "criterion": criterion,
            **statistics,
            "suppressed": suppressed,
            "min": float(low) if low is not None else None,
            "max": float(high) if high is not None else None,
            "quantile_method": method,
        }
        yield tuple(neutralise_cell(row[name]) for name, _, _, _ in AGGREGATE_COLUMNS)
