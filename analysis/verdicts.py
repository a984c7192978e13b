"""The cooperation verdict per area on the benefit x risk plane, for the whole panel and for each bloc.

From a round's summary rows with ``consensus`` (and ``suppressed`` where blocs are present) and the criteria's
kinds, per group (the panel "" and each bloc) and area:

1. **avoid** — some risk criterion has median >= ``risk_avoid`` (default 7) *with* consensus;
2. **promising** — every benefit criterion has median >= ``benefit`` (default 7) and every risk criterion
   median <= ``risk_low`` (default 3), each with consensus (under a rule that knows the low end, see
   ``analysis.rules``: agreement that a risk is low is consensus too);
3. **safeguards** — every benefit criterion has median >= ``benefit`` with consensus, some risk criterion
   has median >= ``risk_safeguard`` (default 4), and, when the study has a *mitigability* criterion ("how
   far could safeguards reduce these risks?"), the panel agrees that mitigability is high (median >=
   ``benefit`` with consensus). Without a mitigability criterion the verdict is inferred from the risk
   medians alone, as it was before the criterion existed;
4. otherwise **no_consensus_yet** (also without a consensus rule, without ratings, or when the area lacks
   a rated benefit criterion for 2 and 3).

The checks run in that order, so a consensual high risk outweighs any benefit. Bloc verdicts use only the
bloc's rows that are not suppressed (fewer than k ratings): a bloc without such rows for an area gets no
verdict for it, so a verdict never rests on fewer than k people. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from analysis.summary import PANEL

BENEFIT: Final = "benefit"
RISK: Final = "risk"
MITIGABILITY: Final = "mitigability"

VERDICT_COLUMNS: Final = (
    "area", "group", "verdict", "min_benefit_median", "max_risk_median", "benefits_agreed", "risks_agreed", "detail",
)  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    """The study's verdict thresholds (``Study.benefit_threshold`` and the three risk thresholds)."""

    benefit: float = 7.0
    risk_low: float = 3.0
    risk_safeguard: float = 4.0
    risk_avoid: float = 7.0


def area_verdicts(summary: pd.DataFrame, kinds: Mapping[Any, str], thresholds: Thresholds) -> pd.DataFrame:
    """One row per area with the columns of :data:`VERDICT_COLUMNS`.

    ``kinds`` maps criterion id to "benefit", "risk" or "mitigability" (other criteria are ignored);
    ``detail`` maps the criterion id (as a string) to its median and consensus. Panel rows come first, one
    per area of the summary; then bloc rows, in bloc order, for the areas each bloc has unsuppressed rows on.

    Every (group, area) is one integer code (group position x areas + area position), and each test of the
    verdict is a count of rows per code (``np.bincount``) or a running minimum or maximum (``ufunc.at``): one
    pass over the rows for every group and area, no pandas group-by and no look-up per (group, area).
    """
    areas = pd.Index(pd.unique(summary["area"]))
    rows = summary
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].to_numpy(dtype=bool)]
    criterion_codes, criteria = pd.factorize(rows["criterion"].to_numpy(dtype=object))
    kind = np.array([kinds.get(criterion) for criterion in criteria] + [None], dtype=object)[criterion_codes]
    study_asks_mitigability = MITIGABILITY in set(kinds.values())
    is_benefit, is_risk, is_mitigability = kind == BENEFIT, kind == RISK, kind == MITIGABILITY
    chosen = is_benefit | is_risk | is_mitigability
    group = rows["group"].to_numpy(dtype=object)[chosen]
    blocs = sorted(name for name in pd.unique(group) if name != PANEL)
    group_at = pd.Index([PANEL, *blocs], dtype=object).get_indexer(group)
    area = rows["area"].to_numpy()[chosen]
    code = group_at * len(areas) + areas.get_indexer(area)
    size = (len(blocs) + 1) * len(areas)
    is_benefit, is_risk, is_mitigability = is_benefit[chosen], is_risk[chosen], is_mitigability[chosen]
    median = rows["median"].to_numpy(dtype=np.float64, na_value=np.nan)[chosen]
    consensus = rows["consensus"].to_numpy(dtype=object)[chosen]
    agreed = np.asarray(consensus == True, dtype=bool)  # noqa: E712 - None and False are not agreement

    def any_of(condition: np.ndarray) -> np.ndarray:
        return np.bincount(code[condition], minlength=size) > 0

    def all_of(condition: np.ndarray) -> np.ndarray:
        return ~any_of(~condition)

    with np.errstate(invalid="ignore"):
        high_benefit, high_risk = median >= thresholds.benefit, median >= thresholds.risk_avoid
        benefit_ok = all_of(~is_benefit | (high_benefit & agreed))
        risk_low_ok = all_of(~is_risk | ((median <= thresholds.risk_low) & agreed))
        avoid = any_of(is_risk & high_risk & agreed)
        safeguard = any_of(is_risk & (median >= thresholds.risk_safeguard))
        mitigable = any_of(is_mitigability & high_benefit & agreed)
    has_benefit = any_of(is_benefit & ~np.isnan(median))
    safeguards_hold = mitigable if study_asks_mitigability else True
    verdict = np.select(
        [avoid, has_benefit & benefit_ok & risk_low_ok, has_benefit & benefit_ok & safeguard & safeguards_hold],
        ["avoid", "promising", "safeguards"],
        default="no_consensus_yet",
    ).astype(object)
    min_benefit, max_risk = np.full(size, np.nan), np.full(size, np.nan)
    np.fmin.at(min_benefit, code[is_benefit], median[is_benefit])  # fmin/fmax skip NaN, as pandas' min/max
    np.fmax.at(max_risk, code[is_risk], median[is_risk])
    detail: list[dict[str, dict[str, Any]]] = [{} for _ in range(size)]
    for at, criterion, median_value, agreed_value in zip(
        code.tolist(), rows["criterion"].to_numpy(dtype=object)[chosen], median.tolist(), consensus, strict=True
    ):  # one pass over plain values of the rows (groups x areas x criteria), not a Python function per group
        detail[at][str(criterion)] = {"median": _float_or_none(median_value), "consensus": agreed_value}
    present = np.bincount(code, minlength=size) > 0
    shown = np.concatenate([np.arange(len(areas)), len(areas) + np.flatnonzero(present[len(areas) :])])
    group_names = np.array([PANEL, *blocs], dtype=object)
    return pd.DataFrame(
        {
            "area": areas.take(shown % len(areas)) if len(areas) else areas,
            "group": group_names[shown // max(len(areas), 1)],
            "verdict": np.where(present, verdict, "no_consensus_yet")[shown],
            "min_benefit_median": min_benefit[shown],
            "max_risk_median": max_risk[shown],
            "benefits_agreed": (present & all_of(~is_benefit | agreed))[shown],
            "risks_agreed": (present & all_of(~is_risk | agreed))[shown],
            "detail": pd.Series([detail[at] for at in shown.tolist()], dtype=object),
        },
        columns=list(VERDICT_COLUMNS),
    )


def _float_or_none(value: float) -> float | None:
    return None if pd.isna(value) else float(value)
