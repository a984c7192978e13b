"""The vectorised verdicts and suppression give what the per-item loops they replaced gave (issue 18).

``analysis.verdicts.area_verdicts`` grouped with pandas per (group, area) and looked each one up;
``analysis.disclosure.mark_suppressed`` called ``withheld_groups`` for every item. Both now work on whole
columns at once. The loops are kept here, as they were, as the reference: on random summaries (ties,
missing medians and consensus, suppressed rows, absent panel rows, small blocs, experts without a bloc,
every k from 1 to 7) both must give the same rows, value for value. The summary's histograms count each
rating once (panel keys add up their blocs' keys) and stability reads its three histograms off one joint
table: both compared with the counting they replaced. The divides between blocs take their lists per item
in one pass over the compared blocs, compared with the four passes and group-bys they replaced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from analysis.crossbloc import cross_bloc
from analysis.disclosure import HIDDEN_COLUMNS, mark_suppressed, withheld_groups
from analysis.summary import PANEL, RATING_COLUMNS, ItemKeys, summarize
from analysis.summary import _key_histogram as key_histogram
from analysis.verdicts import BENEFIT, MITIGABILITY, RISK, VERDICT_COLUMNS, Thresholds, area_verdicts


def area_verdicts_by_group(summary: pd.DataFrame, kinds: Mapping[Any, str], thresholds: Thresholds) -> pd.DataFrame:
    """``area_verdicts`` as it was: a pandas group-by per (group, area) and a look-up per bloc and area."""
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
    for group, area, criterion, median_value, agreed_value in zip(*columns, strict=True):
        detail.setdefault((group, area), {})[str(criterion)] = {
            "median": None if pd.isna(median_value) else float(median_value),
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


def suppressed_item_by_item(rows: pd.DataFrame, min_group_size: int) -> np.ndarray:
    """``mark_suppressed``'s ``suppressed`` column as it was computed: ``withheld_groups`` for every item."""
    suppressed = np.zeros(len(rows), dtype=bool)
    groups = rows["group"].to_numpy()
    counts = rows["n"].to_numpy()
    for _, index in rows.reset_index(drop=True).groupby(["area", "criterion"], sort=False).indices.items():
        panel = [i for i in index if groups[i] == PANEL]
        blocs = {str(groups[i]): int(counts[i]) for i in index if groups[i] != PANEL}
        total = int(counts[panel[0]]) if panel else sum(blocs.values())
        total_hidden, hidden = withheld_groups(total, blocs, k=min_group_size)
        for i in index:
            suppressed[i] = total_hidden if groups[i] == PANEL else str(groups[i]) in hidden
    return suppressed


BLOCS = ["China", "Europe", "Other", "United States"]


def random_summary(rng: np.random.Generator, *, string_ids: bool) -> pd.DataFrame:
    """Summary rows of random items: blocs of 0 to 12 ratings, some experts without a bloc, some panel rows
    missing, medians on a coarse grid (ties at every threshold) or NaN, consensus True, False or None."""
    rows = []
    for area in range(int(rng.integers(1, 7))):
        for criterion in range(int(rng.integers(1, 4))):
            bloc_counts = {bloc: int(rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 12])) for bloc in BLOCS}
            shown = {bloc: n for bloc, n in bloc_counts.items() if n > 0 or rng.random() < 0.2}
            unassigned = int(rng.choice([0, 0, 0, 1, 2, 5, 8]))
            groups = ([PANEL] if rng.random() < 0.9 else []) + list(shown)
            for group in groups:
                n = sum(bloc_counts.values()) + unassigned if group == PANEL else shown[group]
                rows.append(
                    {
                        "area": f"area-{area}" if string_ids else 100 + area,
                        "criterion": f"C{criterion}" if string_ids else 10 + criterion,
                        "group": group,
                        "n": n,
                        "n_cannot_judge": int(rng.integers(0, 3)),
                        "median": float(rng.choice([np.nan, 1.0, 2.0, 3.0, 3.0, 3.5, 4.0, 5.0, 7.0, 7.0, 8.0, 9.0])),
                        "consensus": [True, False, None][int(rng.choice(3, p=[0.8, 0.15, 0.05]))],
                        "consensus_band": str(rng.choice(["", "low", "high"])),
                        "suppressed": bool(rng.random() < 0.15),
                    }
                )
    frame = pd.DataFrame(rows)
    frame["consensus"] = frame["consensus"].astype(object)  # True/False/None, as ``analysis.rules`` gives
    for name in HIDDEN_COLUMNS:
        if name not in frame.columns:
            frame[name] = rng.normal(size=len(frame))
    frame["rand_class"] = "uncertain"
    frame["ipras_disagreement"] = pd.Series([False] * len(frame), dtype=object)
    frame["classic_disagreement"] = pd.Series([True] * len(frame), dtype=object)
    frame["stability_pairs"] = rng.integers(0, 9, size=len(frame))
    return frame


def same(found: Any, expected: Any) -> bool:
    if isinstance(found, float) and isinstance(expected, float):
        return (math.isnan(found) and math.isnan(expected)) or found == expected
    if isinstance(found, dict) and isinstance(expected, dict):
        return found.keys() == expected.keys() and all(same(found[key], expected[key]) for key in found)
    return bool(found == expected) and type(found) is type(expected)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(name): (value.item() if isinstance(value, np.generic) else value) for name, value in row.items()}
        for row in frame.to_dict("records")
    ]


KIND_SETS = [
    {0: BENEFIT, 1: RISK, 2: BENEFIT},
    {0: BENEFIT, 1: RISK, 2: MITIGABILITY},
    {0: BENEFIT, 1: "other", 2: RISK},
    {0: RISK, 1: RISK},  # no benefit criterion: never promising nor safeguards
    {5: BENEFIT},  # no rated criterion has a kind: every area "no_consensus_yet"
]


@pytest.mark.parametrize("seed", range(60))
def test_verdicts_equal_the_group_by_on_random_summaries(seed: int) -> None:
    rng = np.random.default_rng(seed)
    string_ids = seed % 2 == 0
    summary = random_summary(rng, string_ids=string_ids)
    if seed % 5 == 0:
        summary = summary.drop(columns="suppressed")
    number = KIND_SETS[seed % len(KIND_SETS)]
    kinds = {(f"C{key}" if string_ids else 10 + key): kind for key, kind in number.items()}
    thresholds = Thresholds(benefit=7.0, risk_low=3.0, risk_safeguard=float(rng.choice([3.5, 4.0])), risk_avoid=7.0)
    found, expected = (
        records(area_verdicts(summary, kinds, thresholds)),
        records(area_verdicts_by_group(summary, kinds, thresholds)),
    )
    assert len(found) == len(expected)
    for one, other in zip(found, expected, strict=True):
        assert one.keys() == other.keys()
        for name in one:
            assert same(one[name], other[name]), (seed, name, one, other)


def test_verdicts_of_an_empty_summary_are_empty() -> None:
    empty = pd.DataFrame(columns=["area", "criterion", "group", "median", "consensus", "suppressed"])
    assert area_verdicts(empty, {1: BENEFIT}, Thresholds()).empty


@pytest.mark.parametrize("seed", range(80))
def test_suppression_equals_the_item_by_item_rule_on_random_summaries(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    summary = random_summary(rng, string_ids=seed % 2 == 1).drop(columns="suppressed")
    k = 1 + seed % 7
    expected = suppressed_item_by_item(summary, k)
    result = mark_suppressed(summary, k)
    assert result["suppressed"].tolist() == expected.tolist()
    hidden = result[result["suppressed"]]
    assert hidden[list(HIDDEN_COLUMNS)].isna().all().all()
    assert (hidden["stability_pairs"] == 0).all()
    assert hidden["consensus"].isna().all()
    assert (hidden["consensus_band"] == "").all()
    shown = result[~result["suppressed"]]
    pd.testing.assert_frame_equal(shown.drop(columns="suppressed"), summary[~expected])


def test_suppression_of_a_round_with_large_blocs_withholds_nothing_and_checks_no_item() -> None:
    rows = [
        {"area": 1, "criterion": c, "group": group, "n": n}
        for c in range(3)
        for group, n in ((PANEL, 30), ("China", 10), ("Europe", 10), ("Other", 5))
    ]  # five experts in no bloc: k of them, never shown
    frame = pd.DataFrame(rows)
    for name in HIDDEN_COLUMNS:
        frame[name] = 1.0
    frame["rand_class"], frame["stability_pairs"] = "", 3
    frame["ipras_disagreement"] = frame["classic_disagreement"] = None
    assert not mark_suppressed(frame, 5)["suppressed"].any()
    assert suppressed_item_by_item(frame, 5).tolist() == [False] * len(rows)


def key_histogram_twice(panel: np.ndarray, bloc: np.ndarray, cell: np.ndarray, width: int, size: int) -> np.ndarray:
    """The counts per (key, cell) as they were counted: one bincount for the panel keys, one for the blocs'."""
    table = np.bincount(panel * width + cell, minlength=size * width)
    in_bloc = bloc >= 0
    table += np.bincount(bloc[in_bloc] * width + cell[in_bloc], minlength=size * width)
    return table.reshape(size, width)


@pytest.mark.parametrize("seed", range(20))
def test_one_bincount_per_histogram_counts_what_two_did(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    keys = ItemKeys(pd.Index(range(int(rng.integers(1, 5)))), pd.Index(range(3)), pd.Index(BLOCS[: seed % 4 + 1]))
    rows = int(rng.integers(0, 400))
    item = rng.integers(0, keys.size // keys.n_groups, size=rows)
    bloc = rng.integers(0, keys.n_groups, size=rows)  # 0: an expert without a bloc
    panel_key = item * keys.n_groups
    bloc_key = np.where(bloc > 0, panel_key + bloc, -1)
    width = int(rng.integers(1, 12))
    cell = rng.integers(0, width, size=rows)
    found = key_histogram(panel_key, bloc_key, cell, width, keys)
    np.testing.assert_array_equal(found, key_histogram_twice(panel_key, bloc_key, cell, width, keys.size))


def random_ratings(rng: np.random.Generator, *, scale: tuple[int, int]) -> pd.DataFrame:
    """A round of random ratings: missing answers, "cannot judge", experts without a bloc, small blocs."""
    rows = []
    for expert in range(int(rng.integers(2, 40))):
        bloc = [None, *BLOCS][int(rng.integers(0, 5))]
        for area in range(3):
            for criterion in range(2):
                if rng.random() < 0.15:
                    continue
                value = math.nan if rng.random() < 0.1 else float(rng.integers(scale[0], scale[1] + 1))
                rows.append((area, criterion, expert, bloc, value, *scale))
    return pd.DataFrame(rows, columns=list(RATING_COLUMNS))


@pytest.mark.parametrize("seed", range(24))
def test_stability_from_the_joint_histogram_equals_the_three_histograms(seed: int) -> None:
    rng = np.random.default_rng(3000 + seed)
    scale = [(1, 9), (0, 4), (0, 100)][seed % 3]
    current = random_ratings(rng, scale=scale)
    previous = current.copy()
    moved = rng.random(len(previous)) < 0.5
    shift = rng.integers(-3, 4, size=len(previous))
    previous.loc[moved, "value"] = np.clip(previous["value"][moved] + shift[moved], *scale)
    previous = previous.sample(frac=0.9, random_state=seed)  # pairs missing on the previous side
    joint = summarize(current, previous=previous)
    with mock.patch("analysis.summary._JOINT_CELLS_MAX", 0):
        three = summarize(current, previous=previous)
    pd.testing.assert_frame_equal(joint, three)
    assert joint["stability_pairs"].sum() > 0


def cross_bloc_by_group(summary: pd.DataFrame, *, min_group_size: int, divide_threshold: float | None) -> pd.DataFrame:
    """The part of ``cross_bloc`` before its tests as it was: a pass over the rows per column, pandas group-bys."""

    def grouped(rows: pd.DataFrame, add: Any, empty: Any, *columns: str) -> dict[tuple[Any, Any], Any]:
        found: dict[tuple[Any, Any], Any] = {}
        arrays = [rows[name].to_numpy(dtype=object) for name in ("area", "criterion", "group", *columns)]
        for area, criterion, group, *values in zip(*arrays, strict=True):
            key = (area, criterion)
            if key not in found:
                found[key] = empty()
            add(found[key], group, *values)
        return found

    def per_item(found: dict[tuple[Any, Any], Any], index: pd.Index, empty: Any) -> pd.Series:
        keys = zip(*(index.get_level_values(level).to_numpy(dtype=object) for level in range(2)), strict=True)
        return pd.Series([found.get(key) or empty() for key in keys], index=index, dtype="object")

    item = ["area", "criterion"]
    panel = summary[summary["group"] == PANEL].set_index(item)
    blocs = summary[summary["group"] != PANEL]
    shown_bloc = (blocs["n"] >= min_group_size) & ~blocs["suppressed"].astype(bool)
    compared = blocs[shown_bloc].sort_values([*item, "n", "group"], ascending=[True, True, False, True])
    result = pd.DataFrame(index=panel.index)
    result["panel_consensus"] = panel["consensus"]
    index = result.index
    result["blocs_compared"] = per_item(grouped(compared, lambda found, group: found.append(group), list), index, list)
    without = compared[compared["consensus"] == False]  # noqa: E712
    result["blocs_without_consensus"] = per_item(
        grouped(without, lambda found, group: found.append(group), list), index, list
    )
    small = blocs[~shown_bloc].groupby(item, sort=False).size()
    result["blocs_suppressed"] = small.reindex(result.index, fill_value=0).astype(int)
    agreed = compared[compared["consensus"] == True]  # noqa: E712
    ends = grouped(agreed, lambda found, group, band: found.__setitem__(str(group), str(band)), dict, "consensus_band")
    result["bloc_ends"] = per_item(ends, index, dict)
    shown = compared[~compared["suppressed"].astype(bool) & compared["median"].notna()]
    medians = grouped(shown, lambda found, group, median: found.__setitem__(str(group), float(median)), dict, "median")
    result["group_medians"] = per_item(medians, index, dict)
    spread = shown.groupby(item, sort=False)["median"].agg(["max", "min", "count"])
    difference = (spread["max"] - spread["min"]).where(spread["count"] >= 2)
    result["max_median_difference"] = difference.reindex(result.index).astype(float)
    n_compared = result["blocs_compared"].apply(len).to_numpy()
    has_rule = result["panel_consensus"].notna().to_numpy()
    every = (result["blocs_without_consensus"].apply(len) == 0).to_numpy()
    result["consensus_in_every_bloc"] = pd.Series(
        [bool(e) if r and n >= 2 else None for e, r, n in zip(every, has_rule, n_compared, strict=True)],
        index=result.index,
        dtype="object",
    )
    distinct_ends = result["bloc_ends"].apply(lambda found: len(set(found.values()))).to_numpy()
    opposite_ends = distinct_ends >= 2
    if divide_threshold is None:
        far_apart = np.zeros(len(result), dtype=bool)
    else:
        far_apart = result["max_median_difference"].to_numpy(dtype=np.float64) >= divide_threshold - 1e-9
    result["split_reason"] = np.select(
        [opposite_ends & far_apart, opposite_ends, far_apart], ["ends_and_distance", "ends", "distance"], default=""
    )
    result["verdict"] = np.select(
        [~has_rule, n_compared < 2, opposite_ends | far_apart, every & (distinct_ends == 1)],
        ["no_rule", "too_few_blocs", "split", "shared"],
        default="not_split",
    )
    return result.reset_index()


@pytest.mark.parametrize("seed", range(40))
def test_the_divides_equal_the_group_bys_on_random_summaries(seed: int) -> None:
    rng = np.random.default_rng(4000 + seed)
    summary = random_summary(rng, string_ids=seed % 2 == 0)
    if seed % 3 == 0:
        summary["consensus"] = None  # no rule
    k = 1 + seed % 6
    threshold = [None, 2.0, 3.5][seed % 3]
    found = cross_bloc(
        summary, pd.DataFrame(columns=list(RATING_COLUMNS)), min_group_size=k, divide_threshold=threshold
    )
    expected = cross_bloc_by_group(summary, min_group_size=k, divide_threshold=threshold)
    assert len(found) == len(expected)
    for one, other in zip(records(found), records(expected), strict=True):
        for name in other:
            assert same(one[name], other[name]), (seed, name, one, other)
