"""Cooperation verdicts per area on the benefit x risk plane."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.verdicts import Thresholds, area_verdicts

KINDS = {"B1": "benefit", "B2": "benefit", "R1": "risk", "R2": "risk"}


def panel(area: str, medians: dict[str, float], agreed: dict[str, bool] | None = None) -> list[dict[str, object]]:
    agreed = agreed or {}
    return [
        {"area": area, "criterion": c, "group": "", "median": m, "consensus": agreed.get(c, True)}
        for c, m in medians.items()
    ]


def verdicts(
    rows: list[dict[str, object]], thresholds: Thresholds | None = None, kinds: dict[str, str] = KINDS
) -> dict[str, str]:
    result = area_verdicts(pd.DataFrame(rows), kinds, thresholds or Thresholds())
    result = result[result["group"] == ""]
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
    rows += [{"area": "x", "criterion": "B1", "group": "China", "median": 1.0, "consensus": False}]
    every = area_verdicts(pd.DataFrame(rows), KINDS, Thresholds())
    # The bloc gets its own verdict and leaves the panel's alone.
    assert every[every["group"] == "China"][["area", "verdict"]].to_dict("records") == [
        {"area": "x", "verdict": "no_consensus_yet"}
    ]
    result = every[every["group"] == ""].set_index("area")
    assert result["verdict"].to_dict() == {"x": "promising", "y": "avoid"}
    assert result.loc["x", "min_benefit_median"] == 8.0
    assert result.loc["y", "max_risk_median"] == 8.0
    detail: Any = result.loc["x", "detail"]
    assert detail["R1"] == {"median": 2.0, "consensus": True}


def test_without_a_rule_nothing_is_agreed() -> None:
    rows = [dict(r, consensus=None) for r in panel("x", {"B1": 8, "B2": 8, "R1": 2, "R2": 2})]
    assert verdicts(rows) == {"x": "no_consensus_yet"}


WITH_MITIGABILITY = {**KINDS, "M1": "mitigability"}


def test_safeguards_rest_on_agreed_high_mitigability_when_the_study_asks_it() -> None:
    moderate_risk = {"B1": 8, "B2": 8, "R1": 2, "R2": 5}
    agreed_high = panel("x", {**moderate_risk, "M1": 8}, agreed={"R2": False})
    assert verdicts(agreed_high, kinds=WITH_MITIGABILITY) == {"x": "safeguards"}
    # Mitigability low, or high without consensus: safeguards cannot be relied on, no verdict yet.
    agreed_low = panel("x", {**moderate_risk, "M1": 2}, agreed={"R2": False})
    assert verdicts(agreed_low, kinds=WITH_MITIGABILITY) == {"x": "no_consensus_yet"}
    disputed = panel("x", {**moderate_risk, "M1": 8}, agreed={"R2": False, "M1": False})
    assert verdicts(disputed, kinds=WITH_MITIGABILITY) == {"x": "no_consensus_yet"}
    # A mitigability criterion never makes a promising or an avoid area anything else.
    assert verdicts(panel("x", {"B1": 8, "B2": 8, "R1": 2, "R2": 2, "M1": 1}), kinds=WITH_MITIGABILITY) == {
        "x": "promising"
    }


def test_bloc_verdicts_use_only_rows_with_at_least_k_ratings() -> None:
    rows = panel("x", {"B1": 8, "B2": 8, "R1": 2, "R2": 2})
    rows += [dict(r, group="China", suppressed=False) for r in panel("x", {"B1": 8, "B2": 8, "R1": 8, "R2": 2})]
    rows += [dict(r, group="Europe", median=None, suppressed=True) for r in panel("x", {"B1": 8, "B2": 8})]
    rows = [dict(r, suppressed=r.get("suppressed", False)) for r in rows]
    result = area_verdicts(pd.DataFrame(rows), KINDS, Thresholds())
    assert result[["group", "area", "verdict"]].to_dict("records") == [
        {"group": "", "area": "x", "verdict": "promising"},
        {"group": "China", "area": "x", "verdict": "avoid"},
    ]
