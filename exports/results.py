"""The results export: every column of the stored aggregation results, one row per round, item and group.

Rows are the ``ItemResult`` rows of each round's shown run (``aggregation.selectors.shown_runs``: the
newest published run of an open round, the current run of a closed one); a round without one has no rows. Each row
names the run's recipe: consensus-rule version, quantile method, code version and finish time.
A suppressed row (a bloc with fewer than the study's minimum group size) keeps its identifying columns
and ``suppressed`` = True; every count, statistic and verdict is empty, as in the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from aggregation.models import ItemResult
from aggregation.selectors import shown_runs
from exports.cells import neutralise_cell
from exports.statistics import COUNTS, IDENTITY, STATISTICS, ColumnSpec, shared_columns

# (name, type, description, codes). The statistics are empty on suppressed rows.
RESULT_COLUMNS: list[ColumnSpec] = [
    *shared_columns(IDENTITY),
    ("group", "string", "Who the row summarises: empty = the whole panel, otherwise a bloc.", "empty; a bloc"),
    *shared_columns(COUNTS),
    (
        "suppressed",
        "bool",
        "Whether the group is smaller than the study's minimum group size (k): every number of the row is empty.",
        "True = withheld; False = shown",
    ),
    *shared_columns(STATISTICS),
    ("rule_version", "int", "Version of the consensus rule the run applied; empty when the round has none.", ""),
    (
        "plan_version",
        "int",
        "Version of the analysis plan the run computed with (plan_versions table); empty for runs from before "
        "plans were versioned.",
        "",
    ),
    (
        "plan_sha256",
        "string",
        "SHA-256 of the plan content the run computed with (plan_versions.content_sha256).",
        "64 hex digits; empty for runs from before plans were versioned",
    ),
    *shared_columns(["quantile_method"]),
    (
        "code_version",
        "string",
        "Version of the code that computed the row: package version + the first 12 hex digits of a SHA-256 "
        "of the analysis code (analysis/metrics and the pure modules beside it).",
        "",
    ),
    ("finished_at", "string", "When the run finished: ISO 8601 date and time in UTC.", ""),
]

RESULT_FIELDS = [name for name, _, _, _ in RESULT_COLUMNS]
# The columns emptied on a suppressed row: everything between ``suppressed`` and the run's recipe.
_FIRST_HIDDEN = RESULT_FIELDS.index("n")
_SUPPRESSED = RESULT_FIELDS.index("suppressed")
_FIRST_RUN = RESULT_FIELDS.index("rule_version")
_HIDDEN = [i for i in range(_FIRST_HIDDEN, _FIRST_RUN) if i != _SUPPRESSED]
_FINISHED = RESULT_FIELDS.index("finished_at")
_STORED = RESULT_FIELDS[_FIRST_HIDDEN:_FIRST_RUN]


def results_queryset(round_ids: Sequence[int]) -> Any:
    """Values of the shown runs' item rows, in round, area, criterion and group order (one query)."""
    return (
        ItemResult.objects.filter(run_id__in=shown_runs(list(round_ids)))
        .order_by("round__number", "area__order", "area_id", "criterion__order", "criterion_id", "group")
        .values_list(
            "round__study__uuid",
            "round__number",
            "area__code",
            "criterion__code",
            "group",
            *_STORED,
            "run__rule_version",
            "run__plan_version",
            "run__plan_sha256",
            "run__quantile_method",
            "run__code_version",
            "run__finished_at",
        )
    )


def result_row(values: Sequence[Any]) -> tuple[Any, ...]:
    """One exported row: text neutralised, numbers emptied when suppressed, the finish time as UTC text."""
    row = [neutralise_cell(str(v) if i == 0 else v) for i, v in enumerate(values)]
    if row[_SUPPRESSED]:
        for index in _HIDDEN:
            row[index] = None
    elif row[RESULT_FIELDS.index("rand_class")] == "":
        row[RESULT_FIELDS.index("rand_class")] = None
    finished = row[_FINISHED]
    if isinstance(finished, dt.datetime):
        row[_FINISHED] = finished.astimezone(dt.UTC).isoformat()
    return tuple(row)


def result_rows(queryset: Any) -> Iterator[tuple[Any, ...]]:
    for values in queryset:
        yield result_row(values)
