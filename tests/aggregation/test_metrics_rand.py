"""RAND/UCLA: IPRAS, the classic panel-size rule and the appropriateness classification (Fitch et al. 2001)."""

from __future__ import annotations

import math

import pytest

from analysis import metrics


def test_it_finds_ipras_disagreement_in_a_panel_split_between_the_ends() -> None:
    # Eight ratings, four at 1 and four at 9: type 6 P30 at 2.7 -> 1, P70 at 6.3 -> 9; IPR = 8,
    # IPRCP = 5, AI = 0, IPRAS = 2.35 < 8.
    result = metrics.ipras([1, 1, 1, 1, 9, 9, 9, 9])
    assert result == {
        "n": 8,
        "median": 5.0,
        "p30": 1.0,
        "p70": 9.0,
        "ipr": 8.0,
        "iprcp": 5.0,
        "ai": 0.0,
        "ipras": 2.35,
        "disagreement": True,
    }


def test_it_does_not_call_a_tie_between_ipr_and_ipras_disagreement() -> None:
    # Ten ratings 2 2 3 6 6 6 6 7 8 9, type 6: P30 at 3.3 -> 3 + 0.3 * 3 = 3.9; P70 at 7.7 -> 6 + 0.7 * 1 = 6.7.
    # IPR = 2.8, IPRCP = 5.3, AI = 0.3, IPRAS = 2.35 + 0.45 = 2.8: equal, and in floating point IPR comes out
    # one bit above IPRAS, which must not flip the verdict.
    result = metrics.ipras([2, 2, 3, 6, 6, 6, 6, 7, 8, 9])
    assert result["ipr"] == pytest.approx(2.8)
    assert result["ipras"] == pytest.approx(2.8)
    assert result["disagreement"] is False


def test_it_computes_ipras_with_the_requested_percentile_method() -> None:
    # Twelve ratings 1 1 2 3 6 6 6 6 7 7 7 7: type 7 P30 at 4.3 -> 3.9, P70 at 8.7 -> 6.7 (again a tie);
    # type 6 P30 at 3.9 -> 2 + 0.9 * 1 = 2.9, P70 at 9.1 -> 7: IPR 4.1, AI |5 - 4.95| = 0.05, IPRAS 2.425.
    values = [1, 1, 2, 3, 6, 6, 6, 6, 7, 7, 7, 7]
    linear = metrics.ipras(values, "linear")
    weibull = metrics.ipras(values, "weibull")
    assert (linear["p30"], linear["p70"]) == pytest.approx((3.9, 6.7))
    assert linear["disagreement"] is False
    assert (weibull["p30"], weibull["p70"]) == pytest.approx((2.9, 7.0))
    assert weibull["ipras"] == pytest.approx(2.425)
    assert weibull["disagreement"] is True


def test_it_returns_undefined_ipras_without_ratings() -> None:
    result = metrics.ipras([None, None])
    assert result["n"] == 0
    assert result["disagreement"] is False
    assert all(math.isnan(result[key]) for key in ("median", "p30", "p70", "ipr", "ipras"))


def test_it_refuses_ratings_off_the_1_to_9_scale() -> None:
    for function in (metrics.ipras, metrics.rand_classic_disagreement, metrics.rand_classification):
        with pytest.raises(ValueError, match="1-9"):
            function([0, 5, 9])
        with pytest.raises(ValueError, match="1-9"):
            function([5, 10])


@pytest.mark.parametrize(
    ("panel_size", "threshold"),
    [(8, 3), (9, 3), (10, 3), (11, 4), (12, 4), (13, 4), (14, 5), (15, 5), (16, 5)],
)
def test_it_uses_the_manuals_table_of_panel_sizes(panel_size: int, threshold: int) -> None:
    assert metrics.rand_classic_threshold(panel_size) == threshold


@pytest.mark.parametrize(
    ("panel_size", "threshold"),
    [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 2), (17, 6), (19, 6), (20, 7), (30, 10)],
)
def test_it_extends_the_table_as_n_over_3_rounded(panel_size: int, threshold: int) -> None:
    assert metrics.rand_classic_threshold(panel_size) == threshold


def test_it_refuses_a_negative_or_fractional_panel_size() -> None:
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match="n_panelists"):
            metrics.rand_classic_threshold(bad)  # type: ignore[arg-type]


def test_it_applies_the_classic_rule_for_a_nine_member_panel() -> None:
    assert metrics.rand_classic_disagreement([1, 2, 3, 5, 5, 5, 7, 8, 9]) is True
    assert metrics.rand_classic_disagreement([1, 2, 5, 5, 5, 7, 7, 8, 9]) is False  # only two rate 1-3


def test_it_raises_the_classic_threshold_with_the_panel_size() -> None:
    three_each = [1, 2, 3, 5, 5, 5, 5, 5, 7, 8, 9]  # eleven members: four needed in each extreme
    four_each = [1, 2, 3, 3, 5, 5, 5, 7, 8, 9, 9]
    assert metrics.rand_classic_disagreement(three_each) is False
    assert metrics.rand_classic_disagreement(four_each) is True


def test_it_counts_only_non_missing_ratings_for_the_panel_size() -> None:
    # Nine ratings plus two missing: the nine-member threshold (3) applies, not the eleven-member one (4).
    assert metrics.rand_classic_disagreement([1, 2, 3, 5, 5, 5, 7, 8, 9, None, None]) is True


def test_it_finds_no_classic_disagreement_in_an_empty_or_one_member_panel() -> None:
    assert metrics.rand_classic_disagreement([]) is False
    assert metrics.rand_classic_disagreement([1]) is False
    assert metrics.rand_classic_disagreement([1, 9]) is True


@pytest.mark.parametrize(
    ("values", "verdict"),
    [
        ([7, 8, 8, 9, 9, 8, 7, 8], "appropriate"),
        ([1, 2, 2, 3, 1, 2], "inappropriate"),
        ([4, 5, 6, 5], "uncertain"),
        ([6, 6, 7, 7], "uncertain"),  # median 6.5 is not in 7-9
        ([3, 3, 4, 4], "uncertain"),  # median 3.5 is not in 1-3
        ([6, 7, 8], "appropriate"),  # median exactly 7
        ([1, 1, 1, 1, 9, 9, 9, 9, 9], "uncertain"),  # median 9 but the panel disagrees
    ],
)
def test_it_classifies_by_the_median_unless_the_panel_disagrees(values: list[int], verdict: str) -> None:
    assert metrics.rand_classification(values) == verdict


def test_it_has_no_classification_without_ratings() -> None:
    assert metrics.rand_classification([]) is None
    assert metrics.rand_classification([None]) is None
