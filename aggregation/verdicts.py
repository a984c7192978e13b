"""The cooperation verdict per area on the benefit x risk plane (aggregation issue, DOMAIN.md).

From the panel rows (group "") of a round's summary with ``consensus`` and the criteria's kinds:

1. **avoid** — some risk criterion has median >= ``risk_avoid`` (default 7) *with* consensus;
2. **promising** — every benefit criterion has median >= ``benefit`` (default 7) and every risk criterion
   median <= ``risk_low`` (default 3), each with consensus;
3. **safeguards** — every benefit criterion has median >= ``benefit`` with consensus, but some risk criterion
   has median >= ``risk_safeguard`` (default 4);
4. otherwise **no_consensus_yet** (also without a consensus rule, without ratings, or when the area lacks
   a rated benefit criterion for 2 and 3).

The checks run in that order, so a consensual high risk outweighs any benefit. No Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from aggregation.summary import PANEL

VERDICT_COLUMNS: Final = (
    "area", "verdict", "min_benefit_median", "max_risk_median", "benefits_agreed", "risks_agreed", "detail",
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

    ``kinds`` maps criterion id to "benefit" or "risk" (other criteria are ignored); ``detail`` maps the
    criterion id (as a string) to its median and consensus.
    """
    panel = summary[(summary["group"] == PANEL)].copy()
    panel["kind"] = panel["criterion"].map(kinds)
    panel = panel[panel["kind"].isin(["benefit", "risk"])]
    areas = pd.Index(pd.unique(summary["area"]), name="area")
    if panel.empty:
        empty = pd.DataFrame({"area": areas, "verdict": "no_consensus_yet"})
        return empty.assign(
            min_benefit_median=np.nan,
            max_risk_median=np.nan,
            benefits_agreed=False,
            risks_agreed=False,
            detail=cast(Any, [{}] * len(areas)),
        )[list(VERDICT_COLUMNS)]
    median = panel["median"].astype(float)
    agreed = panel["consensus"] == True  # noqa: E712
    is_benefit = panel["kind"] == "benefit"
    is_risk = ~is_benefit
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
    )
    grouped = frame.groupby("area", sort=False).agg(
        benefit_ok=("benefit_ok", "all"),
        risk_low_ok=("risk_low_ok", "all"),
        avoid=("avoid", "any"),
        safeguard=("safeguard", "any"),
        min_benefit_median=("benefit_median", "min"),
        max_risk_median=("risk_median", "max"),
        benefits_agreed=("benefit_agreed", "all"),
        risks_agreed=("risk_agreed", "all"),
        has_benefit=("has_benefit", "any"),
    )
    grouped["verdict"] = np.select(
        [
            grouped["avoid"],
            grouped["has_benefit"] & grouped["benefit_ok"] & grouped["risk_low_ok"],
            grouped["has_benefit"] & grouped["benefit_ok"] & grouped["safeguard"],
        ],
        ["avoid", "promising", "safeguards"],
        default="no_consensus_yet",
    )
    by_area: Any = frame.groupby("area", sort=False)
    detail = by_area.apply(
        lambda rows: {
            str(criterion): {"median": _float_or_none(m), "consensus": c}
            for criterion, m, c in zip(rows["criterion"], rows["median"], rows["consensus"], strict=True)
        },
        include_groups=False,
    )
    grouped["detail"] = detail
    result = grouped.reindex(areas)
    result["verdict"] = result["verdict"].fillna("no_consensus_yet")
    result["detail"] = result["detail"].apply(lambda d: d if isinstance(d, dict) else {})
    result["benefits_agreed"] = result["benefits_agreed"].fillna(False).astype(bool)
    result["risks_agreed"] = result["risks_agreed"].fillna(False).astype(bool)
    return result.reset_index()[list(VERDICT_COLUMNS)]


def _float_or_none(value: float) -> float | None:
    return None if pd.isna(value) else float(value)
