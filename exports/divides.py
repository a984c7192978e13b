"""The divides and verdicts exports: how each item divides the blocs, and each area's cooperation verdict.

Both read the stored rows of each round's shown aggregation run (as the ``results`` table does).
Divides come largest first within a round (the size of the divide, then the Kruskal-Wallis p), as on the
"Items split along bloc lines" page and in the API; only blocs with at least k ratings appear in them.
Verdicts hold the whole panel's row per area and one per bloc with at least k ratings behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import F

from aggregation.models import AreaVerdict, CrossBloc
from aggregation.selectors import shown_runs
from exports.cells import neutralise_cell
from exports.statistics import ColumnSpec

DIVIDE_COLUMNS: list[ColumnSpec] = [
    ("study", "string", "The study's identifier (UUID).", ""),
    ("round", "int", "Round number, 1 for the first round.", ""),
    ("rank", "int", "Rank of the item's divide within the round (1 = the largest), over every item.", ""),
    ("area", "string", "Area code.", ""),
    ("criterion", "string", "Criterion code.", ""),
    (
        "verdict",
        "string",
        "How the item divides the blocs with at least k ratings.",
        "split = split along bloc lines; shared = every bloc agrees on the same end; not_split; "
        "too_few_blocs = fewer than two blocs of at least k; no_rule = the round has no consensus rule",
    ),
    (
        "split_reason",
        "string",
        "Why the item is split.",
        "ends = blocs agree internally on different ends; distance = bloc medians at least the rule's divide "
        "threshold apart; ends_and_distance = both; empty when not split",
    ),
    ("blocs_compared", "string", "Blocs with at least k ratings, largest first, separated by '; '.", ""),
    (
        "bloc_ends",
        "string",
        "Compared blocs that reach consensus and the end each agrees on, as 'bloc: end' separated by '; '.",
        "end: low, middle or high (third of the scale)",
    ),
    (
        "bloc_medians",
        "string",
        "Median per compared bloc not suppressed, as 'bloc: median' separated by '; ' (unit: scale points).",
        "",
    ),
    (
        "max_median_difference",
        "float",
        "The size of the divide: the largest difference between the bloc medians shown (unit: scale points).",
        "",
    ),
    ("kruskal_h", "float", "Kruskal-Wallis H across the compared blocs (tie-corrected).", ""),
    ("kruskal_p", "float", "p-value of the Kruskal-Wallis test (unit: probability, 0 to 1).", ""),
    ("bloc_a", "string", "First bloc of the pair whose medians differ most.", ""),
    ("bloc_b", "string", "Second bloc of that pair.", ""),
    ("mann_whitney_u", "float", "Mann-Whitney U of bloc_a against bloc_b.", ""),
    ("mann_whitney_p", "float", "Two-sided Mann-Whitney p of that pair (unit: probability, 0 to 1).", ""),
    (
        "mann_whitney_p_holm",
        "float",
        "That p adjusted by Holm's method for every pair of compared blocs (unit: probability, 0 to 1).",
        "",
    ),
    (
        "pairwise",
        "string",
        "Every pair of compared blocs as JSON: a, b, u, p and p_holm (p-values as probabilities, 0 to 1).",
        "",
    ),
]
VERDICT_COLUMNS: list[ColumnSpec] = [
    ("study", "string", "The study's identifier (UUID).", ""),
    ("round", "int", "Round number, 1 for the first round.", ""),
    ("area", "string", "Area code.", ""),
    ("group", "string", "Whose verdict: empty = the whole panel, otherwise a bloc of at least k.", "empty; a bloc"),
    (
        "verdict",
        "string",
        "Cooperation verdict on the benefit x risk plane (docs/metrics.md).",
        "promising; safeguards = cooperate with safeguards; avoid; no_consensus_yet",
    ),
    ("min_benefit_median", "float", "Lowest median of the benefit criteria (unit: scale points).", ""),
    ("max_risk_median", "float", "Highest median of the risk criteria (unit: scale points).", ""),
    ("benefits_agreed", "bool", "Every benefit criterion reaches consensus.", "True; False"),
    ("risks_agreed", "bool", "Every risk criterion reaches consensus.", "True; False"),
]


def divide_rows(round_ids: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """One row per round and item of the latest done runs, the largest divide first within each round."""
    rows = (
        CrossBloc.objects.filter(run_id__in=shown_runs(list(round_ids)))
        .select_related("round__study", "area", "criterion")
        .order_by(
            "round__number",
            F("max_median_difference").desc(nulls_last=True),
            F("kruskal_p").asc(nulls_last=True),
            "area__order",
            "area_id",
            "criterion__order",
            "criterion_id",
        )
    )
    rank, current_round = 0, None
    for row in rows.iterator(chunk_size=2000):
        rank = rank + 1 if row.round_id == current_round else 1
        current_round = row.round_id
        values = (
            str(row.round.study.uuid),
            row.round.number,
            rank,
            row.area.code,
            row.criterion.code,
            row.verdict,
            row.split_reason or None,
            "; ".join(row.blocs_compared),
            "; ".join(f"{bloc}: {end}" for bloc, end in row.bloc_ends.items()),
            "; ".join(f"{bloc}: {median:g}" for bloc, median in row.group_medians.items()),
            row.max_median_difference,
            row.kruskal_h,
            row.kruskal_p,
            row.bloc_a or None,
            row.bloc_b or None,
            row.mann_whitney_u,
            row.mann_whitney_p,
            row.mann_whitney_p_holm,
            json.dumps(row.pairwise, ensure_ascii=False) if row.pairwise else None,
        )
        yield tuple(neutralise_cell(value) for value in values)


def verdict_rows(round_ids: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """One row per round, group and area of the latest done runs: the panel first, then blocs by name."""
    rows = (
        AreaVerdict.objects.filter(run_id__in=shown_runs(list(round_ids)))
        .order_by("round__number", "group", "area__order", "area_id")
        .values_list(
            "round__study__uuid",
            "round__number",
            "area__code",
            "group",
            "verdict",
            "min_benefit_median",
            "max_risk_median",
            "benefits_agreed",
            "risks_agreed",
        )
    )
    for values in rows.iterator(chunk_size=2000):
        yield tuple(neutralise_cell(str(v) if i == 0 else v) for i, v in enumerate(values))


def divide_count(round_ids: Sequence[int]) -> int:
    return CrossBloc.objects.filter(run_id__in=shown_runs(list(round_ids))).count()


def verdict_count(round_ids: Sequence[int]) -> int:
    return AreaVerdict.objects.filter(run_id__in=shown_runs(list(round_ids))).count()
