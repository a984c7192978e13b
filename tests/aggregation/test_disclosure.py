"""Disclosure control (``analysis.disclosure``) on worked examples: primary and complementary suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.disclosure import (
    blank_below_k,
    difference_discloses,
    mark_suppressed,
    too_few,
    withheld,
    withheld_groups,
)
from analysis.summary import summarize


def test_primary_suppression_withholds_one_to_k_minus_one():
    assert [too_few(n, k=5) for n in (0, 1, 4, 5, 9)] == [False, True, True, False, False]


@pytest.mark.parametrize(
    ("total", "parts", "expected"),
    [
        (1, {}, (True, set())),  # the whole panel is a group like any other: one rater shows nothing
        (4, {"US": 3, "China": 1}, (True, {"US", "China"})),
        (5, {}, (False, set())),
        (10, {"US": 5, "China": 5}, (False, set())),
        (9, {"US": 5, "China": 4}, (False, {"US", "China"})),  # China = panel - US
        (11, {"US": 5, "China": 5, "Other": 1}, (False, {"China", "Other"})),
        # Two lone experts: panel minus the rest gives their pooled two ratings, and each the other's.
        (12, {"US": 5, "China": 5, "Other": 1, "Africa": 1}, (False, {"China", "Other", "Africa"})),
        (17, {"US": 5, "China": 6, "Other": 6}, (False, set())),
        (17, {"US": 5, "China": 6}, (False, set())),  # six in no bloc: never shown, but k of them
        (13, {"US": 6, "China": 5}, (False, {"China"})),  # two in no bloc, pooled with China
    ],
)
def test_a_total_and_its_parts(total, parts, expected):
    assert withheld_groups(total, parts, k=5) == expected


def test_two_way_tables_protect_along_rows_and_columns():
    # A 2 x 2 table with margins: one small cell takes a second in its row, a third in its column, a fourth.
    counts = {"T": 24, "a": 12, "b": 12, "x": 12, "y": 12, "ax": 2, "ay": 10, "bx": 10, "by": 2}
    relations = [
        ("T", ["a", "b"]),
        ("T", ["x", "y"]),
        ("a", ["ax", "ay"]),
        ("b", ["bx", "by"]),
        ("x", ["ax", "bx"]),
        ("y", ["ay", "by"]),
    ]
    hidden = withheld(counts, relations, k=5)
    assert {"ax", "by"} <= hidden
    for total, parts in relations:
        hidden_parts = [p for p in parts if p in hidden]
        assert len(hidden_parts) != 1, (total, hidden_parts)
        assert not hidden_parts or sum(counts[p] for p in hidden_parts) >= 5


def _frame(blocs: dict[str, list[int]]) -> pd.DataFrame:
    rows = [
        ("a", "c", f"{bloc}{i}", bloc, value, 1, 9) for bloc, values in blocs.items() for i, value in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=["area", "criterion", "expert", "bloc", "value", "scale_min", "scale_max"])


def test_a_panel_of_one_rater_has_no_statistic():
    # The attack of issue 14: n = 1, mean = 2.0 shown for the whole panel.
    rows = mark_suppressed(summarize(_frame({"US": [2]})), 5).set_index("group")
    assert rows["suppressed"].all()
    assert rows["mean"].isna()[""]
    assert rows["median"].isna()[""]


def test_a_panel_of_k_shows_its_statistics_but_not_a_bloc_below_k():
    rows = mark_suppressed(summarize(_frame({"US": [2, 3, 4], "China": [5, 6]})), 5).set_index("group")
    assert not rows.loc["", "suppressed"]
    assert rows.loc["", "mean"] == 4.0
    assert rows.loc["US", "suppressed"]
    assert rows.loc["China", "suppressed"]


def test_agreement_of_fewer_than_k_raters_is_blanked():
    frame = pd.DataFrame({"criterion": ["B1", "B2"], "kendall_w": [0.5, 0.7]}).set_index("criterion", drop=False)
    raters = pd.Series({"B1": 4, "B2": 5})
    result = blank_below_k(frame, raters, ["kendall_w"], k=5)
    assert result["kendall_w"].isna()["B1"]
    assert result.loc["B2", "kendall_w"] == 0.7


def test_a_difference_of_fewer_than_k_in_any_shown_row_discloses():
    before = {("i", ""): 6, ("i", "A"): 3, ("i", "B"): 3}
    assert not difference_discloses(before, {("i", ""): 9, ("i", "A"): 6, ("i", "B"): 3}, k=3)
    assert difference_discloses(before, {("i", ""): 9, ("i", "A"): 5, ("i", "B"): 4}, k=3)  # B gained one
    assert not difference_discloses({}, {("i", ""): 3}, k=3)  # a first view: the rows stand on k or more
    assert not difference_discloses(before, {("i", ""): 6}, k=3)  # unchanged
