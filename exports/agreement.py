"""The agreement and stability exports: Kendall's W and Krippendorff's alpha per round and criterion, and how
each item's ratings moved since the round before, for the panel and each bloc.

Both read the stored rows of each round's shown aggregation run (as the ``results`` table does); nothing is
recomputed while a request waits. Agreement figures of a criterion fewer than k experts rated are stored
empty (``analysis.disclosure``); so are the stability figures of a suppressed row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from aggregation.models import CriterionAgreement, ItemResult
from aggregation.selectors import shown_runs
from exports.cells import neutralise_cell
from exports.statistics import COLUMNS, ColumnSpec

PROBABILITY = "(unit: probability, 0 to 1)"
AGREEMENT_COLUMNS: list[ColumnSpec] = [
    COLUMNS["study"],
    COLUMNS["round"],
    COLUMNS["criterion"],
    ("n_areas", "int", "Areas rated on the criterion in the round (the units ranked). (unit: count of areas)", ""),
    (
        "kendall_w",
        "float",
        "Kendall's coefficient of concordance W of the experts' rankings of the areas, tie-corrected, over the "
        "experts who rated every area; empty when fewer than k experts rated the criterion. (unit: index, 0 to 1)",
        "",
    ),
    ("kendall_chi2", "float", "Friedman's chi-squared of W: raters x (areas - 1) x W. (unit: chi-squared)", ""),
    ("kendall_df", "float", "Degrees of freedom of that chi-squared: areas - 1. (unit: count)", ""),
    ("kendall_p", "float", f"p-value of W against no concordance. {PROBABILITY}", ""),
    ("kendall_raters", "int", "Experts who rated every area, the raters W stands on. (unit: count of experts)", ""),
    (
        "alpha_ordinal",
        "float",
        "Krippendorff's alpha at the ordinal level, experts as raters and areas as units, every pairable "
        "rating; empty below k. (unit: index, 1 = perfect agreement, 0 = chance, below 0 = systematic disagreement)",
        "",
    ),
    ("alpha_interval", "float", "Krippendorff's alpha at the interval level, as alpha_ordinal. (unit: index)", ""),
]
STABILITY_COLUMNS: list[ColumnSpec] = [
    COLUMNS["study"],
    COLUMNS["round"],
    ("previous_round", "int", "The round the ratings are compared with: the study's closest earlier round.", ""),
    COLUMNS["area"],
    COLUMNS["criterion"],
    ("group", "string", "Who the row summarises: empty = the whole panel, otherwise a bloc.", "empty; a bloc"),
    (
        "suppressed",
        "bool",
        "Whether the group is smaller than the study's minimum group size (k): every number of the row is empty.",
        "True = withheld; False = shown",
    ),
    COLUMNS["stability_pairs"],
    COLUMNS["delta_cv"],
    COLUMNS["wilcoxon_statistic"],
    COLUMNS["wilcoxon_p"],
    COLUMNS["changed_share"],
]
_AGREEMENT_FIELDS = [name for name, _, _, _ in AGREEMENT_COLUMNS[3:]]
_STABILITY_FIELDS = [name for name, _, _, _ in STABILITY_COLUMNS[7:]]


def agreement_rows(round_ids: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """One row per round and criterion of the shown runs, in round and criterion order."""
    rows = (
        CriterionAgreement.objects.filter(run_id__in=shown_runs(list(round_ids)))
        .order_by("round__number", "criterion__order", "criterion_id")
        .values_list("round__study__uuid", "round__number", "criterion__code", *_AGREEMENT_FIELDS)
    )
    for values in rows.iterator(chunk_size=2000):
        yield tuple(neutralise_cell(str(v) if i == 0 else v) for i, v in enumerate(values))


def agreement_count(round_ids: Sequence[int]) -> int:
    return CriterionAgreement.objects.filter(run_id__in=shown_runs(list(round_ids))).count()


def _stability_results(round_ids: Sequence[int], previous: dict[int, int]) -> Any:
    # The study's first round has no round before it: no stability rows.
    return ItemResult.objects.filter(run_id__in=shown_runs(list(round_ids)), round__number__in=list(previous))


def stability_rows(round_ids: Sequence[int], previous: dict[int, int]) -> Iterator[tuple[Any, ...]]:
    """One row per round after the first, item and group of the shown runs; ``previous``: number -> earlier."""
    rows = (
        _stability_results(round_ids, previous)
        .order_by("round__number", "area__order", "area_id", "criterion__order", "criterion_id", "group")
        .values_list(
            "round__study__uuid",
            "round__number",
            "area__code",
            "criterion__code",
            "group",
            "suppressed",
            *_STABILITY_FIELDS,
        )
    )
    for study, number, area, criterion, group, suppressed, *figures in rows.iterator(chunk_size=2000):
        shown = [None] * len(figures) if suppressed else figures
        values = (str(study), number, previous.get(number), area, criterion, group, suppressed, *shown)
        yield tuple(neutralise_cell(value) for value in values)


def stability_count(round_ids: Sequence[int], previous: dict[int, int]) -> int:
    return _stability_results(round_ids, previous).count()


def previous_rounds(numbers: Sequence[int]) -> dict[int, int]:
    """Each round number -> the closest earlier one of ``numbers`` (the study's), as the worker pairs them."""
    ordered = sorted(numbers)
    return dict(zip(ordered[1:], ordered[:-1], strict=True))
