"""The results export: every column of the stored aggregation results, one row per round, item and group.

Rows are the ``ItemResult`` rows written by the latest *done* aggregation run of each round (the same
run ``aggregation.selectors.round_results`` reports); a round without a done run has no rows. Each row
names the run's recipe: consensus-rule version, quantile method, code version and finish time.
A suppressed row (a bloc with fewer than the study's minimum group size) keeps its identifying columns
and ``suppressed`` = True; every count, statistic and verdict is empty, as in the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import F, OuterRef, Subquery

from aggregation.models import AggregationRun, ItemResult
from exports.cells import neutralise_cell

# (name, type, description, codes). The statistics are empty on suppressed rows.
RESULT_COLUMNS: list[tuple[str, str, str, str]] = [
    ("study", "string", "The study's identifier (UUID).", ""),
    ("round", "int", "Round number, 1 for the first round.", ""),
    ("area", "string", "Area code.", ""),
    ("criterion", "string", "Criterion code.", ""),
    ("group", "string", "Who the row summarises: empty = the whole panel, otherwise a bloc.", "empty; a bloc"),
    ("n", "int", 'Number of ratings with a value ("cannot judge" excluded).', ""),
    ("n_cannot_judge", "int", 'Number of "cannot judge" answers.', ""),
    (
        "suppressed",
        "bool",
        "Whether the group is smaller than the study's minimum group size (k): every number of the row is empty.",
        "True = withheld; False = shown",
    ),
    ("mean", "float", "Arithmetic mean.", ""),
    ("sd", "float", "Standard deviation with n - 1 in the denominator; empty when n < 2.", ""),
    ("median", "float", "Median (quantile 0.5 with the run's quantile method).", ""),
    ("q1", "float", "First quartile (quantile 0.25 with the run's quantile method).", ""),
    ("q3", "float", "Third quartile (quantile 0.75 with the run's quantile method).", ""),
    ("iqr", "float", "Interquartile range q3 - q1.", ""),
    ("cv", "float", "Coefficient of variation sd / mean; empty when undefined.", ""),
    ("pct_low", "float", "Percent of ratings in the lowest third of the scale (1-3 on 1-9).", ""),
    ("pct_mid", "float", "Percent of ratings in the middle third of the scale (4-6 on 1-9).", ""),
    ("pct_high", "float", "Percent of ratings in the highest third of the scale (7-9 on 1-9).", ""),
    ("cns", "float", "Tastle & Wierman (2007) consensus, 0 (split between the ends) to 1 (all in one category).", ""),
    ("vde_a", "float", "van der Eijk (2001) agreement A, -1 (polarised) to 1 (all in one category).", ""),
    ("bimodality", "float", "Bimodality coefficient (Pfister et al. 2013), 0 to 1; above 5/9 suggests two camps.", ""),
    ("p30", "float", "30th percentile (RAND/UCLA IPRAS, with the run's quantile method).", ""),
    ("p70", "float", "70th percentile (RAND/UCLA IPRAS, with the run's quantile method).", ""),
    ("ipr", "float", "Interpercentile range p70 - p30.", ""),
    (
        "ipras",
        "float",
        "Interpercentile range adjusted for symmetry, 2.35 + 1.5 x |5 - (p30 + p70) / 2| (RAND/UCLA).",
        "",
    ),
    (
        "rand_class",
        "string",
        "RAND/UCLA appropriateness class from the median; uncertain whenever ipras finds disagreement.",
        "appropriate (median 7-9); uncertain; inappropriate (median 1-3); empty when undefined",
    ),
    ("ipras_disagreement", "bool", "Disagreement by the RAND/UCLA rule ipr > ipras.", "True; False; empty"),
    (
        "classic_disagreement",
        "bool",
        "Disagreement by the classic RAND/UCLA rule: at least (n + 1) // 3 ratings in each end third.",
        "True; False; empty",
    ),
    (
        "consensus",
        "bool",
        "Whether the round's consensus rule holds for the item.",
        "True; False; empty when the round has no consensus rule",
    ),
    (
        "stability_pairs",
        "int",
        "Experts with a rating of the item in this round and the previous one (pairs for the stability columns).",
        "",
    ),
    (
        "delta_cv",
        "float",
        "cv of this round minus cv of the previous round, over paired experts (negative = converging).",
        "",
    ),
    ("wilcoxon_statistic", "float", "Wilcoxon signed-rank statistic of the paired ratings (previous round).", ""),
    ("wilcoxon_p", "float", "Two-sided p-value of the Wilcoxon signed-rank test of the paired ratings.", ""),
    ("changed_share", "float", "Share of paired experts who changed their rating since the previous round.", ""),
    ("rule_version", "int", "Version of the consensus rule the run applied; empty when the round has none.", ""),
    (
        "quantile_method",
        "string",
        "Quantile definition the run used.",
        "weibull = Hyndman-Fan type 6 (SPSS); linear = type 7 (R)",
    ),
    ("code_version", "string", "Version of the software that computed the row.", ""),
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


def latest_done_runs(round_ids: Sequence[int]) -> Subquery:
    """The id of the round's latest done run (the one ``aggregation.selectors.round_results`` picks)."""
    done = AggregationRun.objects.filter(round_id=OuterRef("round_id"), status=AggregationRun.Status.DONE)
    return Subquery(done.order_by("-finished_at", "-id").values("pk")[:1])


def results_queryset(round_ids: Sequence[int]) -> Any:
    """Values of the latest done runs' item rows, in round, area, criterion and group order (one query)."""
    return (
        ItemResult.objects.filter(round_id__in=list(round_ids))
        .annotate(latest_run=latest_done_runs(round_ids))
        .filter(run_id=F("latest_run"))
        .order_by("round__number", "area__order", "area_id", "criterion__order", "criterion_id", "group")
        .values_list(
            "round__study__uuid",
            "round__number",
            "area__code",
            "criterion__code",
            "group",
            *_STORED,
            "run__rule_version",
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
