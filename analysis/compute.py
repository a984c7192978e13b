"""Everything a round's results need, computed from plain DataFrames (no Django here).

:func:`compute_round` chains the pure steps: the summary (``analysis.summary``), consensus under the
round's rule and the end each item agrees on (``analysis.rules``), small-group disclosure control
(``analysis.disclosure``), the divides between blocs (``analysis.crossbloc``), the area verdicts of
the panel and of each bloc (``analysis.verdicts``) and, per
criterion across areas, Kendall's W and Krippendorff's alpha. The task in ``aggregation.services`` loads
the inputs and writes the outputs; the bundle's ``recompute.py`` calls :func:`compute_with` on the exported
ratings. :func:`compute_with` takes the settings as one :class:`analysis.settings.AnalysisSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis import metrics
from analysis.criteria import criterion_agreement_from_counts
from analysis.crossbloc import cross_bloc
from analysis.disclosure import blank_below_k, mark_suppressed
from analysis.rules import RuleParts, RuleSet, agreement
from analysis.settings import AnalysisSettings
from analysis.summary import count_ratings, summarize, value_counts
from analysis.verdicts import Thresholds, area_verdicts


@dataclass(frozen=True)
class RoundResults:
    items: pd.DataFrame  # summary rows + consensus + suppressed
    criteria: pd.DataFrame  # one row per criterion: Kendall's W and Krippendorff's alpha
    cross_bloc: pd.DataFrame
    verdicts: pd.DataFrame
    # (area, criterion, group) -> ratings at each scale point: the feedback chart of each stored row
    distributions: dict[tuple[Any, Any, str], list[int]] = field(default_factory=dict)


def compute_round(
    ratings: pd.DataFrame,
    *,
    method: str,
    rule: RuleParts | RuleSet | None,
    min_group_size: int,
    kinds: Mapping[Any, str],
    thresholds: Thresholds,
    previous: pd.DataFrame | None = None,
    divide_threshold: float | None = None,
) -> RoundResults:
    """All result tables of one round from its ratings (see ``analysis.summary`` for the columns).

    ``divide_threshold``: bloc medians at least this far apart split an item (the rule's frozen setting).
    """
    counts = count_ratings(ratings) if not ratings.empty else None  # the histogram every statistic below shares
    summary = summarize(ratings, method=method, previous=previous, counts=counts)
    found = agreement(summary, rule)
    summary["consensus"], summary["consensus_band"] = found["consensus"], found["consensus_band"]
    summary = mark_suppressed(summary, min_group_size)
    crossing = cross_bloc(
        summary, ratings, min_group_size=min_group_size, divide_threshold=divide_threshold, counts=counts
    )
    verdicts = area_verdicts(summary, kinds, thresholds)
    if counts is None:
        criteria = criterion_agreement(ratings)
        raters = pd.Series(dtype=np.int64)
    else:
        criteria, raters = criterion_agreement_from_counts(counts)
    criteria = blank_below_k(
        criteria.set_index("criterion", drop=False), raters, AGREEMENT_COLUMNS, k=min_group_size
    ).reset_index(drop=True)
    return RoundResults(
        items=summary,
        criteria=criteria,
        cross_bloc=crossing,
        verdicts=verdicts,
        distributions=value_counts(ratings, counts),
    )


def compute_with(
    ratings: pd.DataFrame,
    settings: AnalysisSettings,
    *,
    kinds: Mapping[Any, str],
    previous: pd.DataFrame | None = None,
) -> RoundResults:
    """:func:`compute_round` under ``settings``: the counted ratings of a round and of the round before it.

    ``kinds`` maps each criterion's key in the ratings to its kind (benefit, risk, mitigability).
    """
    return compute_round(
        ratings,
        method=settings.quantile_method,
        rule=settings.rule,
        min_group_size=settings.min_group_size,
        kinds=kinds,
        thresholds=settings.thresholds,
        previous=previous,
        divide_threshold=settings.divide_threshold,
    )


# Withheld (NaN) for a criterion fewer than k experts rated: they stand on those experts' rankings.
AGREEMENT_COLUMNS = ("kendall_w", "kendall_chi2", "kendall_df", "kendall_p", "alpha_ordinal", "alpha_interval")


def criterion_agreement(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per criterion: Kendall's W of the experts' rankings of the areas and Krippendorff's alpha.

    The reference form, one matrix per criterion; the job computes the same table from the round's counts
    (``analysis.criteria``, compared with this in the tests).

    The areas x experts matrix of one criterion holds each expert's rating (NaN for cannot judge or no
    answer). ``metrics.kendall_w`` keeps only the experts who rated every area; ``krippendorff_alpha``
    uses all pairable values (experts as raters, areas as units), at the ordinal and interval levels.
    """
    columns = ["criterion", "n_areas", "kendall_w", "kendall_chi2", "kendall_df", "kendall_p", "kendall_raters"]
    columns += ["alpha_ordinal", "alpha_interval"]
    rows = []
    for criterion, part in ratings.groupby("criterion", sort=True):  # one pass per criterion, not per item
        area_codes, areas = pd.factorize(part["area"], sort=True)
        expert_codes, experts = pd.factorize(part["expert"], sort=True)
        matrix = np.full((len(areas), len(experts)), np.nan)
        matrix[area_codes, expert_codes] = part["value"].to_numpy(dtype=np.float64)
        kendall = metrics.kendall_w(matrix)
        rows.append(
            (
                criterion,
                len(areas),
                kendall["w"],
                kendall["chi2"],
                float(kendall["df"]),
                kendall["p"],
                kendall["n_raters"],
                metrics.krippendorff_alpha(matrix.T, level="ordinal"),
                metrics.krippendorff_alpha(matrix.T, level="interval"),
            )
        )
    return pd.DataFrame(rows, columns=columns)
