"""Cooperation verdicts per area on the benefit x risk plane."""

from __future__ import annotations

from typing import Any

import pandas as pd

from aggregation.verdicts import Thresholds, area_verdicts

KINDS = {"B1": "benefit", "B2": "benefit", "R1": "risk", "R2": "risk"}


def panel(area: str, medians: dict[str, float], agreed: dict[str, bool] | None = None) -> list[dict[str, object]]:
    agreed = agreed or {}
    return [
        {"area": area, "criterion": c, "group": "", "median": m, "consensus": agreed.get(c, True)}
        for c, m in medians.items()
    ]


def verdicts(rows: list[dict[str, object]], thresholds: Thresholds | None = None) -> dict[str, str]:
    result = area_verdicts(pd.DataFrame(rows), KINDS, thresholds or Thresholds())
    return dict(zip(result["area"], result["verdict"], strict=True))


def test_high_benefit_and_low_risk_with_consensus_is_promising() -> None:
    assert verdicts(panel("x", {"B1": 8, "B2": 7, "R1": 2, "R2": 3})) == {"x": "promising"}


def test_promising_needs_consensus_on_every_criterion() -> None:
    rows = panel("x", {"B1": 8, "B2": 7, "R1": 2, "R2": 3}, agreed={"R2": False})
    assert verdicts(rows) == {"x": "no_consensus_yet"}


def test_high_benefit_with_some_risk_needs_safeguards() -> None:
    # The risk of 5 need not be agreed: its median is enough to call for safeguards.
    rows = panel("x", {"B1": 8, "B2": 8, "R1": 2, "R2": 5}, agreed={"R2": False})
    assert verdicts(rows) == {"x": "safeguards"}


def test_a_risk_of_seven_with_consensus_means_avoid_whatever_the_benefit() -> None:
    assert verdicts(panel("x", {"B1": 9, "B2": 9, "R1": 7, "R2": 1})) == {"x": "avoid"}


def test_a_high_risk_without_consensus_is_not_avoid() -> None:
    rows = panel("x", {"B1": 5, "B2": 5, "R1": 8, "R2": 1}, agreed={"R1": False})
    assert verdicts(rows) == {"x": "no_consensus_yet"}


def test_moderate_benefit_has_no_verdict_yet() -> None:
    assert verdicts(panel("x", {"B1": 6, "B2": 8, "R1": 2, "R2": 2})) == {"x": "no_consensus_yet"}


def test_a_risk_between_the_low_and_safeguard_thresholds_is_not_yet_decided() -> None:
    assert verdicts(panel("x", {"B1": 8, "B2": 8, "R1": 3.5, "R2": 2})) == {"x": "no_consensus_yet"}


def test_the_study_thresholds_apply() -> None:
    rows = panel("x", {"B1": 6, "B2": 6, "R1": 4, "R2": 4})
    assert verdicts(rows) == {"x": "no_consensus_yet"}
    assert verdicts(rows, Thresholds(benefit=6, risk_low=4, risk_safeguard=5, risk_avoid=8)) == {"x": "promising"}


def test_every_area_is_judged_and_the_detail_names_each_criterion() -> None:
    rows = panel("x", {"B1": 8, "B2": 8, "R1": 2, "R2": 2}) + panel("y", {"B1": 2, "B2": 2, "R1": 8, "R2": 8})
    rows += [{"area": "x", "criterion": "B1", "group": "China", "median": 1.0, "consensus": False}]  # blocs ignored
    result = area_verdicts(pd.DataFrame(rows), KINDS, Thresholds()).set_index("area")
    assert result["verdict"].to_dict() == {"x": "promising", "y": "avoid"}
    assert result.loc["x", "min_benefit_median"] == 8.0
    assert result.loc["y", "max_risk_median"] == 8.0
    detail: Any = result.loc["x", "detail"]
    assert detail["R1"] == {"median": 2.0, "consensus": True}


def test_without_a_rule_nothing_is_agreed() -> None:
    rows = [dict(r, consensus=None) for r in panel("x", {"B1": 8, "B2": 8, "R1": 2, "R2": 2})]
    assert verdicts(rows) == {"x": "no_consensus_yet"}
