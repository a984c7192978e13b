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
from typing import Any, Final, cast

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
    """
    rows = summary
    if "suppressed" in rows.columns:
        rows = rows[~rows["suppressed"].astype(bool)]
    rows = rows.copy()
    rows["kind"] = rows["criterion"].map(kinds)
    study_asks_mitigability = MITIGABILITY in set(kinds.values())
    panel = rows[rows["kind"].isin([BENEFIT, RISK, MITIGABILITY])]
    areas = pd.Index(pd.unique(summary["area"]), name="area")
    if panel.empty:
        empty = pd.DataFrame({"area": areas, "group": PANEL, "verdict": "no_consensus_yet"})
        return empty.assign(
            min_benefit_median=np.nan,
            max_risk_median=np.nan,
            benefits_agreed=False,
            risks_agreed=False,
            detail=cast(Any, [{}] * len(areas)),
        )[list(VERDICT_COLUMNS)]
    median = panel["median"].astype(float)
    agreed = panel["consensus"] == True  # noqa: E712
    is_benefit = panel["kind"] == BENEFIT
    is_risk = panel["kind"] == RISK
    is_mitigability = panel["kind"] == MITIGABILITY
    frame = panel.assign(
        agreed=agreed,
        benefit_ok=~is_benefit | ((median >= thresholds.benefit) & agreed),
        risk_low_ok=~is_risk | ((median <= thresholds.risk_low) & agreed),
        avoid=is_risk & (median >= thresholds.risk_avoid) & agreed,
        safeguard=is_risk & (median >= thresholds.risk_safeguard),
        benefit_median=median.where(is_benefit),
        risk_median=median.where(is_risk),
        benefit_agreed=~is_benefit | agreed,
        risk_agreed=~is_risk | agreed,
        has_benefit=is_benefit & median.notna(),
        mitigable=is_mitigability & (median >= thresholds.benefit) & agreed,
    )
    grouped = frame.groupby(["group", "area"], sort=False).agg(
        benefit_ok=("benefit_ok", "all"),
        risk_low_ok=("risk_low_ok", "all"),
        avoid=("avoid", "any"),
        safeguard=("safeguard", "any"),
        min_benefit_median=("benefit_median", "min"),
        max_risk_median=("risk_median", "max"),
        benefits_agreed=("benefit_agreed", "all"),
        risks_agreed=("risk_agreed", "all"),
        has_benefit=("has_benefit", "any"),
        mitigable=("mitigable", "any"),
    )
    safeguards_hold = grouped["mitigable"] if study_asks_mitigability else True
    grouped["verdict"] = np.select(
        [
            grouped["avoid"],
            grouped["has_benefit"] & grouped["benefit_ok"] & grouped["risk_low_ok"],
            grouped["has_benefit"] & grouped["benefit_ok"] & grouped["safeguard"] & safeguards_hold,
        ],
        ["avoid", "promising", "safeguards"],
        default="no_consensus_yet",
    )
    detail: dict[Any, dict[str, dict[str, Any]]] = {}
    columns = (frame[name].to_numpy(dtype=object) for name in ("group", "area", "criterion", "median", "consensus"))
    for group, area, criterion, median_value, agreed_value in zip(
        *columns, strict=True
    ):  # one pass over plain arrays of the rows (groups x areas x criteria), not a Python function per group
        detail.setdefault((group, area), {})[str(criterion)] = {
            "median": _float_or_none(median_value),
            "consensus": agreed_value,
        }
    grouped["detail"] = pd.Series([detail.get(key, {}) for key in grouped.index], index=grouped.index, dtype="object")
    blocs = sorted(group for group in pd.unique(frame["group"]) if group != PANEL)
    order = [(PANEL, area) for area in areas]
    order += [(bloc, area) for bloc in blocs for area in areas if (bloc, area) in grouped.index]
    result = grouped.reindex(pd.MultiIndex.from_tuples(order, names=["group", "area"]))
    result["verdict"] = result["verdict"].fillna("no_consensus_yet")
    result["detail"] = result["detail"].apply(lambda d: d if isinstance(d, dict) else {})
    result["benefits_agreed"] = result["benefits_agreed"].fillna(False).astype(bool)
    result["risks_agreed"] = result["risks_agreed"].fillna(False).astype(bool)
    return result.reset_index()[list(VERDICT_COLUMNS)]


def _float_or_none(value: float) -> float | None:
    return None if pd.isna(value) else float(value)
