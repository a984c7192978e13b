"""Divides between blocs: each bloc of at least k, its consensus and end, the tests across and between blocs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import metrics
from analysis.crossbloc import cross_bloc, holm_rows
from analysis.disclosure import mark_suppressed
from analysis.rules import RuleParts, agreement
from analysis.summary import summarize

RULE = RuleParts(max_iqr=1)
COMET = RuleParts(band="either", min_percent_in_band=70, max_percent_opposite_band=15)


def ratings(blocs: Mapping[str, Sequence[float]], *, area: str = "v", criterion: str = "B1") -> pd.DataFrame:
    rows = []
    expert = 0
    for bloc, values in blocs.items():
        for value in values:
            expert += 1
            rows.append((area, criterion, expert, bloc, value, 1, 9))
    return pd.DataFrame(rows, columns=["area", "criterion", "expert", "bloc", "value", "scale_min", "scale_max"])


def crossing(
    frame: pd.DataFrame, k: int = 5, rule: RuleParts | None = RULE, threshold: float | None = 3
) -> pd.DataFrame:
    summary = summarize(frame)
    summary[["consensus", "consensus_band"]] = agreement(summary, rule)
    return cross_bloc(mark_suppressed(summary, k), frame, min_group_size=k, divide_threshold=threshold)


def test_a_bloc_below_k_and_the_bloc_withheld_with_it_are_not_compared() -> None:
    # Blocs A and B (5 each) all rate 8; bloc C has only 2 experts, both rating 1. Panel: ten 8s and two 1s,
    # Q1 at position 3.25 and Q3 at 9.75 are both 8: IQR 0, consensus. C is below k = 5: suppressed; the
    # panel minus A and B would give C's two ratings, so the smallest other bloc (A, tied with B and first
    # by name) is withheld too. A withheld bloc is no evidence and enters no test (a test against B would
    # describe A's ratings): one bloc is left, too few to compare.
    row = crossing(ratings({"A": [8] * 5, "B": [8] * 5, "C": [1, 1]})).iloc[0]
    assert row["panel_consensus"] is True
    assert row["blocs_compared"] == ["B"]
    assert row["blocs_suppressed"] == 2
    assert row["consensus_in_every_bloc"] is None
    assert row["verdict"] == "too_few_blocs"
    assert row["group_medians"] == {"B": 8.0}
    assert math.isnan(row["max_median_difference"])
    assert row["bloc_a"] == ""
    assert math.isnan(row["mann_whitney_p"])


def test_consensus_shared_by_every_shown_bloc() -> None:
    row = crossing(ratings({"A": [8] * 5, "B": [8] * 5, "C": [8] * 6 + [1]})).iloc[0]
    assert row["blocs_compared"] == ["C", "A", "B"]
    assert row["consensus_in_every_bloc"] is True
    assert row["verdict"] == "shared"
    # Mann-Whitney between the two largest blocs C and A.
    assert (row["bloc_a"], row["bloc_b"]) == ("C", "A")


def test_a_bloc_without_consensus_but_the_same_median_is_not_a_split() -> None:
    # Panel: fifteen 8s and two 1s: IQR 0. Bloc C rates 1, 1, 8, 8, 8: Q1 = 4.5, Q3 = 8, IQR 3.5 > 1.
    row = crossing(ratings({"A": [8] * 6, "B": [8] * 6, "C": [1, 1, 8, 8, 8]})).iloc[0]
    assert row["panel_consensus"] is True
    assert row["blocs_without_consensus"] == ["C"]
    assert row["consensus_in_every_bloc"] is False
    assert row["verdict"] == "not_split"
    assert row["group_medians"] == {"A": 8.0, "B": 8.0, "C": 8.0}
    assert row["max_median_difference"] == 0.0


def test_opposed_blocs_are_split_whatever_the_panel_says() -> None:
    a, b = [7, 8, 8, 9, 8, 7], [2, 3, 2, 1, 3]
    row = crossing(ratings({"A": a, "B": b}), rule=COMET).iloc[0]
    assert row["panel_consensus"] is False
    assert row["verdict"] == "split"
    assert row["bloc_ends"] == {"A": "high", "B": "low"}
    assert row["split_reason"] == "ends_and_distance"
    assert row["group_medians"] == {"A": 8.0, "B": 2.0}
    assert row["max_median_difference"] == 6.0
    expected = stats.mannwhitneyu(a, b, alternative="two-sided")
    assert row["mann_whitney_u"] == pytest.approx(expected.statistic)
    assert row["mann_whitney_p"] == pytest.approx(expected.pvalue)


def test_one_bloc_of_k_is_too_few_to_compare() -> None:
    row = crossing(ratings({"A": [8] * 5, "B": [8, 8]})).iloc[0]
    assert row["blocs_compared"] == []  # B is below k, and A would give B as the panel minus A
    assert row["verdict"] == "too_few_blocs"
    assert row["consensus_in_every_bloc"] is None
    assert row["bloc_a"] == ""
    assert math.isnan(row["mann_whitney_p"])


def test_without_a_rule_there_is_no_verdict() -> None:
    row = crossing(ratings({"A": [8] * 5, "B": [8] * 5}), rule=None).iloc[0]
    assert row["verdict"] == "no_rule"
    assert row["panel_consensus"] is None


@pytest.mark.parametrize("seed", range(6))
def test_mann_whitney_equals_scipy_on_random_blocs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frames = []
    for item in range(8):
        sizes = rng.integers(5, 40, size=3)
        # Few distinct values in small blocs make the exact (no ties) path appear now and then.
        spread = 9 if item % 2 else 3
        blocs = {
            name: list(rng.choice(np.arange(1, spread + 1), size=s).astype(float))
            for name, s in zip("ABC", sizes, strict=True)
        }
        frame = ratings(blocs, area=f"a{item}")
        frame["expert"] += 1000 * item
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    result = crossing(frame)
    for _, row in result.iterrows():
        item = frame[frame["area"] == row["area"]]
        a = item.loc[item["bloc"] == row["bloc_a"], "value"].to_numpy()
        b = item.loc[item["bloc"] == row["bloc_b"], "value"].to_numpy()
        expected = stats.mannwhitneyu(a, b, alternative="two-sided")
        assert row["mann_whitney_u"] == pytest.approx(expected.statistic, rel=1e-12)
        assert row["mann_whitney_p"] == pytest.approx(expected.pvalue, rel=1e-9)


def test_the_exact_small_sample_path_equals_scipy() -> None:
    # No ties and blocs of 5: scipy uses the exact distribution.
    a, b = [1.0, 2.0, 4.0, 6.0, 9.0], [3.0, 5.0, 7.0, 8.0, 0.5]
    frame = ratings({"A": a, "B": b})
    frame["scale_min"] = 0
    frame["value"] = frame["value"].replace(0.5, 0.0)
    b = [3.0, 5.0, 7.0, 8.0, 0.0]
    row = crossing(frame).iloc[0]
    expected = stats.mannwhitneyu(a, b, alternative="two-sided")
    assert row["mann_whitney_u"] == expected.statistic
    assert row["mann_whitney_p"] == pytest.approx(expected.pvalue)


# Measured on a six-expert study: the United States rated 3, 3, 4 and China 8, 7, 8 and the item never
# appeared among the "divided items"; items where both bloc medians were 5 (Mann-Whitney p = 1) did.
def test_blocs_agreeing_on_opposite_ends_are_split_and_equal_medians_are_not() -> None:
    apart = crossing(ratings({"United States": [3, 3, 4], "China": [8, 7, 8]}), k=3, rule=COMET).iloc[0]
    # 3, 3, 4 has two thirds (< 70%) in 1-3, so only China agrees internally: the split is the distance 5.
    assert (apart["verdict"], apart["split_reason"]) == ("split", "distance")
    assert apart["bloc_ends"] == {"China": "high"}
    assert apart["group_medians"] == {"United States": 3.0, "China": 8.0}
    assert apart["max_median_difference"] == 5.0
    expected = stats.mannwhitneyu([3, 3, 4], [8, 7, 8], alternative="two-sided")
    assert apart["mann_whitney_p"] == pytest.approx(expected.pvalue)
    together = crossing(ratings({"United States": [5, 5, 4], "China": [5, 6, 5]}), k=3, rule=COMET).iloc[0]
    assert together["max_median_difference"] == 0.0
    assert together["verdict"] == "not_split"


def test_medians_at_least_the_threshold_apart_split_without_consensus_in_either_bloc() -> None:
    frame = ratings({"A": [2, 4, 6, 3, 5], "B": [5, 7, 9, 6, 8]})  # medians 4 and 7, neither bloc agrees
    row = crossing(frame, rule=RuleParts(max_iqr=1), threshold=3).iloc[0]
    assert row["bloc_ends"] == {}
    assert (row["verdict"], row["split_reason"]) == ("split", "distance")
    assert crossing(frame, rule=RuleParts(max_iqr=1), threshold=3.5).iloc[0]["verdict"] == "not_split"


def test_every_bloc_agreeing_on_the_same_end_is_shared() -> None:
    row = crossing(ratings({"A": [8] * 5, "B": [8, 8, 8, 7, 8]})).iloc[0]
    assert row["verdict"] == "shared"
    assert row["bloc_ends"] == {"A": "high", "B": "high"}


@pytest.mark.parametrize("seed", range(4))
def test_kruskal_wallis_and_holm_adjusted_pairs_equal_scipy_and_statsmodels(seed: int) -> None:
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(100 + seed)
    sizes = rng.integers(5, 30, size=4)
    blocs = {name: list(rng.integers(1, 10, size=s).astype(float)) for name, s in zip("ABCD", sizes, strict=True)}
    row = crossing(ratings(blocs)).iloc[0]
    expected = stats.kruskal(*blocs.values())
    assert row["kruskal_h"] == pytest.approx(expected.statistic, rel=1e-9)
    assert row["kruskal_p"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert len(row["pairwise"]) == 6
    raw = [pair["p"] for pair in row["pairwise"]]
    for pair in row["pairwise"]:
        test = stats.mannwhitneyu(blocs[pair["a"]], blocs[pair["b"]], alternative="two-sided")
        assert pair["u"] == pytest.approx(test.statistic, rel=1e-12)
        assert pair["p"] == pytest.approx(test.pvalue, rel=1e-9)
    holm_expected = multipletests(raw, method="holm")[1]
    assert [pair["p_holm"] for pair in row["pairwise"]] == pytest.approx(list(holm_expected), rel=1e-12)
    assert list(metrics.holm(raw)) == pytest.approx(list(holm_expected), rel=1e-12)
    assert metrics.kruskal_wallis(list(blocs.values()))["p"] == pytest.approx(expected.pvalue, rel=1e-12)


def test_holm_by_hand() -> None:
    # Holm (1979): p = 0.01, 0.04, 0.03 with m = 3: 3 x 0.01 = 0.03; 2 x 0.03 = 0.06; max(0.06, 1 x 0.04) = 0.06.
    assert list(metrics.holm([0.01, 0.04, 0.03])) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm_rows(np.array([[0.01, np.nan, 0.04, 0.03], [0.5, 0.2, np.nan, np.nan]]))
    assert adjusted[0] == pytest.approx([0.03, np.nan, 0.06, 0.06], nan_ok=True)
    assert adjusted[1] == pytest.approx([0.5, 0.4, np.nan, np.nan], nan_ok=True)


def test_the_headline_pair_is_the_one_whose_medians_differ_most() -> None:
    frame = ratings({"A": [5] * 9, "B": [6] * 7, "C": [1, 2, 1, 2, 1]})
    row = crossing(frame).iloc[0]
    assert (row["bloc_a"], row["bloc_b"]) == ("B", "C")
    expected = stats.mannwhitneyu([6] * 7, [1, 2, 1, 2, 1], alternative="two-sided")
    assert row["mann_whitney_u"] == pytest.approx(expected.statistic)
