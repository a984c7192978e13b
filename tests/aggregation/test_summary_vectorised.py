"""The vectorised round summary gives the numbers of the scalar metrics functions, item by item."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import metrics
from analysis.summary import SUMMARY_COLUMNS, summarize

SCALES = [(1, 9), (1, 5), (0, 10), (1, 7)]


def random_round(seed: int, *, experts: int, areas: int, scales: list[tuple[int, int]], missing: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    blocs = ["China", "Europe", "Other", "United States"]
    for criterion, (low, high) in enumerate(scales):
        for area in range(areas):
            # Each item gets its own shape: concentrated, split or uniform.
            shape = rng.integers(3)
            for expert in range(experts):
                if rng.random() < 0.1:  # not every expert answers every item
                    continue
                if shape == 0:
                    value = float(np.clip(round(rng.normal((low + high) / 2, 1)), low, high))
                elif shape == 1:
                    value = float(low if rng.random() < 0.5 else high)
                else:
                    value = float(rng.integers(low, high + 1))
                if rng.random() < missing:
                    value = math.nan
                rows.append((f"a{area}", f"c{criterion}", expert, blocs[expert % 4], value, low, high))
    return pd.DataFrame(rows, columns=["area", "criterion", "expert", "bloc", "value", "scale_min", "scale_max"])


def group_values(ratings: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    selected = ratings[(ratings["area"] == row["area"]) & (ratings["criterion"] == row["criterion"])]
    if row["group"]:
        selected = selected[selected["bloc"] == row["group"]]
    return selected


def close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def check_row(ratings: pd.DataFrame, row: pd.Series, method: str) -> None:
    selected = group_values(ratings, row)
    values = selected["value"].to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    low, high = int(selected["scale_min"].iloc[0]), int(selected["scale_max"].iloc[0])
    assert row["n"] == present.size
    assert row["n_cannot_judge"] == values.size - present.size
    expected = {
        "mean": float(np.mean(present)) if present.size else math.nan,
        "sd": float(np.std(present, ddof=1)) if present.size > 1 else math.nan,
        "median": metrics.quantile(present, 0.5, method),
        "q1": metrics.quantile(present, 0.25, method),
        "q3": metrics.quantile(present, 0.75, method),
        "iqr": metrics.iqr(present, method),
        "cv": metrics.coefficient_of_variation(present),
        "cns": metrics.tastle_wierman(metrics.category_counts(present, low, high)),
        "vde_a": metrics.van_der_eijk(metrics.category_counts(present, low, high)),
        "bimodality": metrics.bimodality_coefficient(present),
    }
    thirds = metrics.band_counts(present, low, high)
    expected |= {"pct_low": thirds["low"], "pct_mid": thirds["middle"], "pct_high": thirds["high"]}
    if (low, high) == (1, 9) and present.size:
        rand = metrics.ipras(present, method)
        expected |= {"p30": rand["p30"], "p70": rand["p70"], "ipr": rand["ipr"], "ipras": rand["ipras"]}
        assert row["ipras_disagreement"] == rand["disagreement"]
        assert row["classic_disagreement"] == metrics.rand_classic_disagreement(present)
        assert row["rand_class"] == metrics.rand_classification(present, method)
    else:
        assert row["rand_class"] == ""
        assert row["ipras_disagreement"] is None
    for name, value in expected.items():
        assert close(row[name], value), (name, row[name], value, row["area"], row["criterion"], row["group"])


@pytest.mark.parametrize("method", ["weibull", "linear"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_row_equals_the_scalar_functions(seed: int, method: str) -> None:
    ratings = random_round(seed, experts=23, areas=5, scales=SCALES, missing=0.1)
    summary = summarize(ratings, method=method)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    # one panel row per item plus one per bloc present in the item
    assert len(summary) == ratings.groupby(["area", "criterion"]).ngroups * 5
    for _, row in summary.iterrows():
        check_row(ratings, row, method)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(1, 9)), min_size=1, max_size=30),
    method=st.sampled_from(["weibull", "linear"]),
)
def test_any_single_item_equals_the_scalar_functions(values: list[int | None], method: str) -> None:
    ratings = pd.DataFrame(
        {
            "area": "a",
            "criterion": "c",
            "expert": range(len(values)),
            "bloc": ["X" if i % 2 else "Y" for i in range(len(values))],
            "value": [math.nan if v is None else float(v) for v in values],
            "scale_min": 1,
            "scale_max": 9,
        }
    )
    for _, row in summarize(ratings, method=method).iterrows():
        check_row(ratings, row, method)


@pytest.mark.parametrize("experts", [9, 30, 60])
@pytest.mark.parametrize("seed", [4, 5])
def test_stability_equals_the_scalar_function(seed: int, experts: int) -> None:
    current = random_round(seed, experts=experts, areas=4, scales=[(1, 9), (1, 5)], missing=0.05)
    rng = np.random.default_rng(seed + 100)
    previous = current.sample(frac=0.9, random_state=seed).copy()
    moved = previous["value"] + rng.integers(-2, 3, len(previous))
    previous["value"] = np.clip(moved, previous["scale_min"], previous["scale_max"])
    summary = summarize(current, previous=previous)
    merged = current.merge(previous, on=["area", "criterion", "expert"], suffixes=("", "_prev"))
    for _, row in summary.iterrows():
        pairs = group_values(merged, row)
        expected = metrics.stability(pairs["value_prev"].to_numpy(float), pairs["value"].to_numpy(float))
        assert row["stability_pairs"] == expected["n_pairs"]
        for name in ("delta_cv", "wilcoxon_statistic", "wilcoxon_p", "changed_share"):
            assert close(row[name], expected[name]), (name, row[name], expected[name], row["group"])


def test_without_a_previous_round_stability_is_empty() -> None:
    ratings = random_round(7, experts=10, areas=2, scales=[(1, 9)], missing=0)
    summary = summarize(ratings)
    assert (summary["stability_pairs"] == 0).all()
    assert summary["delta_cv"].isna().all()


def test_empty_ratings_give_no_rows() -> None:
    empty = pd.DataFrame(columns=["area", "criterion", "expert", "bloc", "value", "scale_min", "scale_max"])
    assert summarize(empty).empty


def test_an_unknown_method_is_refused() -> None:
    ratings = random_round(8, experts=5, areas=1, scales=[(1, 9)], missing=0)
    with pytest.raises(ValueError, match="method"):
        summarize(ratings, method="nearest")
