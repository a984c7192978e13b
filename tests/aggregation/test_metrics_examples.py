"""The published worked examples of tests/data/metrics_examples.json, each within half its last printed digit."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from analysis import metrics

# The in-repo copy makes a fresh clone self-contained; the original lives in the `shared` folder beside the
# project root (or in $COOPSURVEY_SHARED_DIR) and must stay identical to it.
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "metrics_examples.json"


def shared_examples_path() -> Path:
    override = os.environ.get("COOPSURVEY_SHARED_DIR")
    base = Path(override) if override else Path(__file__).resolve().parents[2] / ".." / "shared"
    return base / "data" / "metrics_examples.json"


def load(path: Path) -> dict[str, Any]:
    # Keep the printed form of every decimal: the tolerance is half its last digit.
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle, parse_float=Decimal)
    return data


EXAMPLES = load(FIXTURE)  # a missing fixture fails collection: these tests never skip


def cases(section: str) -> list[Any]:
    return [pytest.param(case, id=f"{section}-{index}") for index, case in enumerate(EXAMPLES[section])]


def assert_published(actual: float, published: Decimal | int) -> None:
    printed = Decimal(published)
    exponent = printed.as_tuple().exponent
    assert isinstance(exponent, int)
    tolerance = Decimal(5) * Decimal(10) ** (exponent - 1)
    assert abs(Decimal(repr(float(actual))) - printed) <= tolerance, f"{actual} is not {printed} +/- {tolerance}"


def test_it_ships_the_examples_fixture_with_its_sources() -> None:
    assert FIXTURE.is_file()
    assert "_about" in EXAMPLES
    sections = [key for key in EXAMPLES if not key.startswith("_")]
    assert sections
    assert all("source" in case for section in sections for case in EXAMPLES[section])


def test_it_keeps_the_fixture_identical_to_the_shared_examples() -> None:
    shared = shared_examples_path()
    if not os.environ.get("COOPSURVEY_SHARED_DIR") and not shared.exists():
        pytest.skip("no shared folder beside the project and COOPSURVEY_SHARED_DIR unset; the in-repo copy is used")
    assert shared.is_file(), f"COOPSURVEY_SHARED_DIR is set but {shared} is missing"
    assert load(shared) == EXAMPLES


@pytest.mark.parametrize("case", cases("quantile_iqr"))
def test_it_reproduces_the_published_quartiles_and_iqr(case: dict[str, Any]) -> None:
    method = case["method"]
    if "q1" in case:
        assert_published(metrics.quantile(case["values"], 0.25, method), case["q1"])
        assert_published(metrics.quantile(case["values"], 0.75, method), case["q3"])
    assert_published(metrics.iqr(case["values"], method), case["iqr"])


@pytest.mark.parametrize("case", cases("tastle_wierman"))
def test_it_reproduces_the_published_tastle_wierman_consensus(case: dict[str, Any]) -> None:
    assert_published(metrics.tastle_wierman(case["counts"]), case["cns"])
    assert_published(metrics.tastle_wierman_rows([case["counts"]])[0], case["cns"])


@pytest.mark.parametrize("case", cases("van_der_eijk"))
def test_it_reproduces_the_published_van_der_eijk_agreement_and_polarization(case: dict[str, Any]) -> None:
    assert_published(metrics.van_der_eijk(case["counts"]), case["agreement"])
    assert_published(metrics.van_der_eijk_rows([case["counts"]])[0], case["agreement"])
    assert_published(metrics.polarization(case["counts"]), case["polarization"])


@pytest.mark.parametrize("method", ["weibull", "linear"])
@pytest.mark.parametrize("case", cases("ipras"))
def test_it_reproduces_the_published_ipras_calculation(case: dict[str, Any], method: str) -> None:
    result = metrics.ipras(case["values"], method)
    for key in ("median", "p30", "p70", "ipr", "iprcp", "ai", "ipras"):
        assert_published(result[key], case[key])
    assert result["disagreement"] is case["disagreement"]


@pytest.mark.parametrize("case", cases("rwg"))
def test_it_reproduces_the_published_rwg(case: dict[str, Any]) -> None:
    assert_published(metrics.rwg(case["values"], case["n_options"]), case["rwg"])


@pytest.mark.parametrize("case", cases("kendall_w"))
def test_it_reproduces_the_published_kendall_w(case: dict[str, Any]) -> None:
    assert_published(metrics.kendall_w(case["matrix_objects_by_raters"])["w"], case["w"])


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("case", cases("krippendorff_alpha"))
def test_it_reproduces_the_published_krippendorff_alpha(case: dict[str, Any], level: str) -> None:
    assert_published(metrics.krippendorff_alpha(case["matrix_raters_by_units"], level), case[level])


@pytest.mark.parametrize("case", cases("fleiss_kappa"))
def test_it_reproduces_the_published_fleiss_kappa(case: dict[str, Any]) -> None:
    assert_published(metrics.fleiss_kappa(case["table_subjects_by_categories"]), case["kappa"])


def test_it_covers_every_section_of_the_examples() -> None:
    tested = {"quantile_iqr", "tastle_wierman", "van_der_eijk", "ipras", "rwg", "kendall_w"}
    tested |= {"krippendorff_alpha", "fleiss_kappa"}
    assert {key for key in EXAMPLES if not key.startswith("_")} <= tested
