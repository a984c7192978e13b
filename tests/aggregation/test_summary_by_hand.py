"""The round summary on small rounds whose answers are worked out by hand (in the comments)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import metrics
from analysis.disclosure import mark_suppressed
from analysis.summary import summarize

NAN = math.nan


def frame(rows: list[tuple[str, str, int, str, float]], scale: tuple[int, int] = (1, 9)) -> pd.DataFrame:
    data = pd.DataFrame(rows, columns=["area", "criterion", "expert", "bloc", "value"])
    return data.assign(scale_min=scale[0], scale_max=scale[1])


# Item (v, B1): five experts rate 7, 8, 8, 9 and one cannot judge. Blocs: A = experts 1-3, B = 4-5.
CONCENTRATED = [
    ("v", "B1", 1, "A", 7.0),
    ("v", "B1", 2, "A", 8.0),
    ("v", "B1", 3, "A", 8.0),
    ("v", "B1", 4, "B", 9.0),
    ("v", "B1", 5, "B", NAN),
]
# Item (v, R1): four experts split between the ends, 1, 1, 9, 9.
SPLIT = [("v", "R1", 1, "A", 1.0), ("v", "R1", 2, "A", 1.0), ("v", "R1", 3, "A", 9.0), ("v", "R1", 4, "B", 9.0)]


def panel_row(summary: pd.DataFrame, criterion: str) -> pd.Series:
    return summary[(summary["criterion"] == criterion) & (summary["group"] == "")].iloc[0]


def test_a_concentrated_item_by_hand() -> None:
    row = panel_row(summarize(frame(CONCENTRATED)), "B1")
    assert row["n"] == 4  # "cannot judge" is not in n ...
    assert row["n_cannot_judge"] == 1  # ... but counted apart
    assert row["mean"] == 8.0  # (7 + 8 + 8 + 9) / 4
    assert row["sd"] == pytest.approx(math.sqrt(2 / 3))  # squares 1 + 0 + 0 + 1 over n - 1 = 3
    assert row["cv"] == pytest.approx(math.sqrt(2 / 3) / 8)  # 0.10206
    assert row["median"] == 8.0
    # Type 6: Q1 at (n + 1) / 4 = 1.25 -> 7 + 0.25 (8 - 7); Q3 at 3.75 -> 8 + 0.75 (9 - 8).
    assert (row["q1"], row["q3"], row["iqr"]) == (7.25, 8.75, 1.5)
    assert (row["pct_low"], row["pct_mid"], row["pct_high"]) == (0.0, 0.0, 100.0)
    # Cns: mu = 8, d = 8; 7 and 9 are 1/8 from the mean: 1 + 2 * 0.25 * log2(7/8).
    assert row["cns"] == pytest.approx(1 + 0.5 * math.log2(7 / 8))  # 0.9037
    # BC: m2 = 0.5, m4 = 0.5, g = 0, k = -1; K = ((5)(-1) + 6) 3 / (2 * 1) = 1.5; BC = 1 / (1.5 + 27/2).
    assert row["bimodality"] == pytest.approx(1 / 15)
    # RAND: P30 at 1.5 -> 7.5, P70 at 3.5 -> 8.5; IPR 1; IPRCP 8; AI 3; IPRAS 2.35 + 4.5 = 6.85.
    assert (row["p30"], row["p70"], row["ipr"]) == (7.5, 8.5, 1.0)
    assert row["ipras"] == pytest.approx(6.85)
    assert row["ipras_disagreement"] is False
    assert row["classic_disagreement"] is False  # nobody rates 1-3
    assert row["rand_class"] == "appropriate"  # median 8 >= 7


def test_the_linear_method_gives_type_7_quartiles() -> None:
    row = panel_row(summarize(frame(CONCENTRATED), method="linear"), "B1")
    # Type 7: Q1 at (n - 1) / 4 + 1 = 1.75 -> 7.75; Q3 at 3.25 -> 8.25.
    assert (row["q1"], row["q3"], row["iqr"]) == (7.75, 8.25, 0.5)


def test_a_split_item_by_hand() -> None:
    row = panel_row(summarize(frame(SPLIT)), "R1")
    assert row["median"] == 5.0  # position 2.5 between 1 and 9
    assert row["mean"] == 5.0
    assert row["sd"] == pytest.approx(math.sqrt(64 * 4 / 3) / 2)  # squares 4 * 16 = 64 over 3
    assert row["cns"] == pytest.approx(0.0)  # an even split between the two ends
    assert row["vde_a"] == pytest.approx(-1.0)  # perfectly bimodal
    assert (row["pct_low"], row["pct_high"]) == (50.0, 50.0)
    # P30 = 1, P70 = 9: IPR 8 > IPRAS 2.35 (AI = 0); classic: 2 >= 1 at each end (n = 4 -> t = 1).
    assert (row["ipr"], row["ipras"]) == (8.0, pytest.approx(2.35))
    assert row["ipras_disagreement"] is True
    assert row["classic_disagreement"] is True
    assert row["rand_class"] == "uncertain"


def test_a_five_point_scale_has_its_own_thirds_and_no_rand_columns() -> None:
    rows = frame([("v", "F", 1, "A", 2.0), ("v", "F", 2, "A", 3.0), ("v", "F", 3, "A", 4.0)], scale=(1, 5))
    row = panel_row(summarize(rows), "F")
    assert (row["median"], row["q1"], row["q3"]) == (3.0, 2.0, 4.0)  # type 6: positions 1 and 3
    assert row["pct_low"] == pytest.approx(100 / 3)  # 1-2 | 3 | 4-5
    assert row["pct_mid"] == pytest.approx(100 / 3)
    assert math.isnan(row["bimodality"])  # fewer than four ratings
    assert row["rand_class"] == ""
    assert row["ipras_disagreement"] is None
    assert math.isnan(row["ipr"])


def test_rows_exist_for_the_panel_and_every_bloc() -> None:
    summary = summarize(frame(CONCENTRATED + SPLIT))
    assert list(zip(summary["criterion"], summary["group"], summary["n"], strict=True)) == [
        ("B1", "", 4), ("B1", "A", 3), ("B1", "B", 1), ("R1", "", 4), ("R1", "A", 3), ("R1", "B", 1),
    ]  # fmt: skip
    bloc_a = summary[(summary["criterion"] == "B1") & (summary["group"] == "A")].iloc[0]
    assert bloc_a["mean"] == pytest.approx(23 / 3)  # 7, 8, 8


def test_an_item_nobody_could_judge_has_a_row_without_numbers() -> None:
    row = panel_row(summarize(frame([("v", "B2", 1, "A", NAN), ("v", "B2", 2, "B", NAN)])), "B2")
    assert (row["n"], row["n_cannot_judge"]) == (0, 2)
    assert pd.isna(row["median"])
    assert row["rand_class"] == ""


def test_stability_by_hand() -> None:
    # Round 1: expert 1 rated 6, the others as now; expert 5 could not judge then either.
    previous = frame(
        [("v", "B1", 1, "A", 6.0), ("v", "B1", 2, "A", 8.0), ("v", "B1", 3, "A", 8.0), ("v", "B1", 4, "B", 9.0)]
    )
    row = panel_row(summarize(frame(CONCENTRATED), previous=previous), "B1")
    assert row["stability_pairs"] == 4
    assert row["changed_share"] == 0.25  # one of four moved
    # CV now sqrt(2/3)/8; before: mean 7.75, squares 3.0625 + 0.0625 + 0.0625 + 1.5625 = 4.75 over 3.
    assert row["delta_cv"] == pytest.approx(math.sqrt(2 / 3) / 8 - math.sqrt(4.75 / 3) / 7.75)
    assert row["wilcoxon_statistic"] == 0.0  # one positive difference: the negative rank sum is 0
    expected = metrics.stability([6, 8, 8, 9], [7, 8, 8, 9])
    assert row["wilcoxon_p"] == pytest.approx(expected["wilcoxon_p"])


class TestSuppression:
    def test_a_bloc_below_k_is_suppressed_and_so_is_the_smallest_other_bloc(self) -> None:
        # k = 3: bloc B (n = 1) is suppressed; its mean could be derived from the panel and bloc A,
        # so bloc A is suppressed as well. The panel row never is.
        summary = mark_suppressed(summarize(frame(CONCENTRATED)), 3)
        by_group = summary.set_index("group")
        assert by_group["suppressed"].to_dict() == {"": False, "A": True, "B": True}
        assert by_group["median"].isna().to_dict() == {"": False, "A": True, "B": True}
        assert by_group.loc["A", "n"] == 3  # membership counts stay
        assert by_group.loc["", "median"] == 8.0

    def test_two_small_blocs_that_pool_below_k_take_the_next_bloc_with_them(self) -> None:
        # B and C (one expert each) pool 2 ratings: panel minus A would give their sum, and so each of
        # them the other's rating. A is suppressed too; the panel row stays.
        rows = [("v", "B1", i, "A", 8.0) for i in range(1, 6)]
        rows += [("v", "B1", 6, "B", 1.0), ("v", "B1", 7, "C", 2.0)]
        summary = mark_suppressed(summarize(frame(rows)), 5).set_index("group")
        assert summary["suppressed"].to_dict() == {"": False, "A": True, "B": True, "C": True}
        assert summary.loc["", "median"] == 8.0

    def test_small_blocs_that_pool_at_least_k_hide_only_themselves(self) -> None:
        rows = [("v", "B1", i, "A", 8.0) for i in range(1, 6)]
        rows += [("v", "B1", 6 + i, "B" if i < 3 else "C", 1.0) for i in range(5)]
        summary = mark_suppressed(summarize(frame(rows)), 6).set_index("group")
        assert summary["suppressed"].to_dict() == {"": False, "A": True, "B": True, "C": True}
        summary = mark_suppressed(summarize(frame(rows)), 5).set_index("group")
        assert summary["suppressed"].to_dict() == {"": False, "A": False, "B": True, "C": True}
        assert summary.loc["A", "median"] == 8.0
