"""Cooke's classical model against ANDURYL 1.2.2 on three cases of the TU Delft data base, in every setting.

tests/data/cooke_examples.json lists the conventions the expected values depend on; every number checked is
within the fixture's tolerance (relative 1e-6, absolute 1e-9).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.metrics.cooke import ClassicalModelResult, classical_model

# The in-repo copy makes a fresh clone self-contained; the original lives in the `shared` folder beside the
# project root (or in $COOPSURVEY_SHARED_DIR) and must stay identical to it.
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "cooke_examples.json"


def shared_examples_path() -> Path:
    override = os.environ.get("COOPSURVEY_SHARED_DIR")
    base = Path(override) if override else Path(__file__).resolve().parents[2] / ".." / "shared"
    return base / "data" / "cooke_examples.json"


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


EXAMPLES = load(FIXTURE)  # a missing fixture fails collection: these tests never skip
REL = EXAMPLES["tolerance"]["rel"]
ABS = EXAMPLES["tolerance"]["abs"]
SETTINGS = [setting["id"] for setting in EXAMPLES["settings"]]
# What conventions.checked lists, by the result's name for it.
CHECKED = [
    "calibration",
    "information_seeds",
    "information_all",
    "weights_normalised",
    "weights_unnormalised",
    "weights_per_item",
    "item_weights_unnormalised",
    "cutoff",
    "dm_quantiles",
    "dm_calibration",
    "dm_information_seeds",
    "dm_information_all",
    "dm_weight_unnormalised",
]


def as_array(data: Any) -> np.ndarray:
    """JSON null is NaN."""
    return np.array(data, dtype=np.float64)


def assert_close(name: str, actual: Any, expected: Any) -> None:
    got, want = as_array(actual), as_array(expected)
    assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
    off = np.abs(got - want) > np.maximum(REL * np.abs(want), ABS)
    assert not off.any(), f"{name}: at {np.argwhere(off)[:5].tolist()} got {got[off][:5]}, expected {want[off][:5]}"


def run(case: dict[str, Any], setting: dict[str, Any]) -> ClassicalModelResult:
    return classical_model(
        as_array(case["assessments"]),
        as_array(case["realizations"]),
        np.array(case["quantiles"]),
        weights=setting["weights"],
        alpha=setting["alpha"],
        overshoot=case["overshoot"],
        background=case["background"],
    )


def case_settings() -> list[Any]:
    return [
        pytest.param(case, setting, id=f"{case['name']}-{setting['id']}")
        for case in EXAMPLES["cases"]
        for setting in EXAMPLES["settings"]
    ]


def test_it_keeps_the_fixture_identical_to_the_shared_examples() -> None:
    shared = shared_examples_path()
    if not os.environ.get("COOPSURVEY_SHARED_DIR") and not shared.exists():
        pytest.skip("no shared folder beside the project and COOPSURVEY_SHARED_DIR unset; the in-repo copy is used")
    assert shared.is_file(), f"COOPSURVEY_SHARED_DIR is set but {shared} is missing"
    assert load(shared) == EXAMPLES


def test_every_case_has_a_result_for_every_setting() -> None:
    assert len(EXAMPLES["cases"]) == 3
    for case in EXAMPLES["cases"]:
        assert list(case["results"]) == SETTINGS


@pytest.mark.parametrize(("case", "setting"), case_settings())
def test_it_reproduces_anduryls_scores_weights_and_decision_maker(
    case: dict[str, Any], setting: dict[str, Any]
) -> None:
    expected = case["results"][setting["id"]]
    assert (expected["weights"], expected["alpha"]) == (setting["weights"], setting["alpha"])
    result = run(case, setting)
    checked = [name for name in CHECKED if name in expected]
    assert {"calibration", "weights_normalised", "weights_per_item", "cutoff", "dm_quantiles"} <= set(checked)
    for name in checked:
        assert_close(name, getattr(result, name), expected[name])


@pytest.mark.parametrize(("case", "setting"), case_settings())
def test_it_scans_the_same_cutoffs_as_anduryl(case: dict[str, Any], setting: dict[str, Any]) -> None:
    expected = case["results"][setting["id"]]
    result = run(case, setting)
    if "cutoff_scan" not in expected:
        assert result.cutoff_scan is None
        return
    # ANDURYL keeps mathematically equal calibration scores that differ in the last bit as two candidates;
    # the model merges them (the first gives the same decision maker, the cut at the second is round-off).
    scan = as_array(expected["cutoff_scan"])
    distinct = np.concatenate([[True], scan[1:, 0] > scan[:-1, 0] * (1 + 1e-12)])
    assert_close("cutoff_scan", result.cutoff_scan, scan[distinct])
    assert result.cutoff_scan is not None
    weights = np.sort(result.cutoff_scan[:, 3])
    assert (weights[-1] - weights[-2]) / weights[-1] == pytest.approx(expected["cutoff_margin"], rel=1e-6)


@pytest.mark.parametrize("case", EXAMPLES["cases"], ids=lambda case: case["name"])
def test_it_reproduces_the_intrinsic_range_and_information_per_item(case: dict[str, Any]) -> None:
    result = run(case, EXAMPLES["settings"][0])
    assert_close("intrinsic_range", result.intrinsic_range, case["intrinsic_range"])
    assert_close("information_per_item", result.information_per_item, case["information_per_item"])
    assert result.n_seeds_answered.tolist() == case["n_answered_seeds"]
    assert result.nmin == case["nmin"]


def test_it_matches_the_hand_check_of_the_tobacco_calibration() -> None:
    tobacco = next(case for case in EXAMPLES["cases"] if case["name"] == "tobacco")
    result = run(tobacco, {"weights": "global", "alpha": None})
    # conventions.chi_square_check: Ex7's counts [0, 2, 3, 1, 3, 1] with two realizations on a quantile.
    assert result.calibration[6] == pytest.approx(0.687586865690204, rel=1e-12)
    assert result.cutoff == result.dm_calibration == result.calibration[6]
    assert result.weights_normalised.tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert_close("dm = Ex7", result.dm_quantiles, as_array(tobacco["assessments"])[6])
