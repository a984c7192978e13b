"""Stability between rounds (CV change, Wilcoxon, share changed) and Mann-Whitney U between groups."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import metrics

NO_DEADLINE = settings(deadline=None, max_examples=200)  # the suite may share a busy machine


def test_it_summarises_how_paired_ratings_moved_between_rounds() -> None:
    # Previous 5 6 7 8 (mean 6.5, SD sqrt(5/3)), current 6 6 7 7 (mean 6.5, SD sqrt(1/3)):
    # delta CV = (sqrt(1/3) - sqrt(5/3)) / 6.5; two of four experts changed their rating.
    result = metrics.stability([5, 6, 7, 8], [6, 6, 7, 7])
    assert result["delta_cv"] == pytest.approx((math.sqrt(1 / 3) - math.sqrt(5 / 3)) / 6.5)
    assert result["changed_share"] == 0.5
    assert result["n_pairs"] == 4
    reference = stats.wilcoxon([6, 6, 7, 7], [5, 6, 7, 8], zero_method="wilcox")
    assert result["wilcoxon_statistic"] == reference.statistic
    assert result["wilcoxon_p"] == reference.pvalue


@NO_DEADLINE
@given(
    pairs=st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=60).filter(
        lambda pairs: any(a != b for a, b in pairs)
    )
)
def test_it_matches_scipys_wilcoxon_test_that_drops_zero_differences(pairs: list[tuple[int, int]]) -> None:
    previous = [a for a, _ in pairs]
    current = [b for _, b in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = stats.wilcoxon(current, previous, zero_method="wilcox")
        result = metrics.stability(previous, current)
    assert result["wilcoxon_statistic"] == pytest.approx(reference.statistic)
    assert result["wilcoxon_p"] == pytest.approx(reference.pvalue, nan_ok=True)
    assert result["changed_share"] == pytest.approx(np.mean(np.array(previous) != np.array(current)))


def test_it_reports_no_evidence_of_change_when_nobody_changed_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = metrics.stability([3, 5, 7], [3, 5, 7])
    assert result == {"delta_cv": 0.0, "wilcoxon_statistic": 0.0, "wilcoxon_p": 1.0, "changed_share": 0.0, "n_pairs": 3}


def test_it_drops_pairs_with_a_missing_side() -> None:
    result = metrics.stability([1, None, 3, 4], [2, 5, None, 4])
    assert result["n_pairs"] == 2
    assert result["changed_share"] == 0.5


def test_it_returns_nan_stability_without_a_complete_pair() -> None:
    for previous, current in (([], []), ([1, None], [None, 2])):
        result = metrics.stability(previous, current)
        assert result["n_pairs"] == 0
        assert all(math.isnan(result[key]) for key in ("delta_cv", "wilcoxon_p", "changed_share"))


def test_it_leaves_delta_cv_undefined_for_a_single_pair() -> None:
    result = metrics.stability([4], [6])
    assert math.isnan(result["delta_cv"])
    assert result["changed_share"] == 1.0


def test_it_refuses_unpaired_arrays() -> None:
    with pytest.raises(ValueError, match="paired"):
        metrics.stability([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="paired"):
        metrics.stability([[1, 2]], [[1, 2]])


def test_it_computes_mann_whitney_u_for_group_a() -> None:
    # Every rating of a is below every rating of b: U_a = 0; the reverse gives n_a * n_b = 6.
    assert metrics.mann_whitney([1, 2], [3, 4, 5])["u"] == 0.0
    assert metrics.mann_whitney([3, 4, 5], [1, 2])["u"] == 6.0


@NO_DEADLINE
@given(
    a=st.lists(st.one_of(st.none(), st.integers(1, 9)), min_size=1, max_size=40),
    b=st.lists(st.one_of(st.none(), st.integers(1, 9)), min_size=1, max_size=40),
)
def test_it_matches_scipys_two_sided_mann_whitney_after_dropping_missing_values(
    a: list[int | None], b: list[int | None]
) -> None:
    clean_a = [value for value in a if value is not None]
    clean_b = [value for value in b if value is not None]
    result = metrics.mann_whitney(a, b)
    assert (result["n_a"], result["n_b"]) == (len(clean_a), len(clean_b))
    if not clean_a or not clean_b:
        assert math.isnan(result["u"])
        assert math.isnan(result["p"])
        return
    reference = stats.mannwhitneyu(clean_a, clean_b, alternative="two-sided")
    assert result["u"] == reference.statistic
    assert result["p"] == pytest.approx(reference.pvalue, nan_ok=True)


def test_it_gives_p_of_one_when_both_groups_rate_identically() -> None:
    assert metrics.mann_whitney([5, 5, 5], [5, 5])["p"] == pytest.approx(1.0)


def _doubled_ranks_and_observed(differences: np.ndarray) -> tuple[np.ndarray, int]:
    nonzero = differences[differences != 0]
    doubled = (2 * stats.rankdata(np.abs(nonzero))).astype(np.int64)
    return doubled, int(doubled[nonzero > 0].sum())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=-6, max_value=6), min_size=1, max_size=13))
def test_the_exact_signed_rank_p_equals_scipys_exact_or_permutation_p(differences: list[int]) -> None:
    d = np.array(differences, dtype=np.float64)
    if not d.any():
        return
    doubled, observed = _doubled_ranks_and_observed(d)
    p = metrics.signed_rank_exact_p(doubled[np.newaxis, :], np.array([observed]))[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = stats.wilcoxon(d, zero_method="wilcox").pvalue  # exact, or permutation with ties/zeros
    assert math.isclose(p, expected, rel_tol=1e-9, abs_tol=1e-12)


def test_the_exact_signed_rank_p_equals_scipys_exact_p_up_to_50_pairs_without_ties() -> None:
    rng = np.random.default_rng(7)
    rows, observed, expected = [], [], []
    for _ in range(40):
        d = rng.permutation(np.arange(1, 51)) * rng.choice([-1, 1], size=50)
        doubled, t = _doubled_ranks_and_observed(d.astype(np.float64))
        rows.append(doubled)
        observed.append(t)
        expected.append(stats.wilcoxon(d, zero_method="wilcox", method="exact").pvalue)
    p = metrics.signed_rank_exact_p(np.array(rows), np.array(observed))
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-14)


def test_padding_a_row_with_zero_ranks_changes_nothing() -> None:
    plain = metrics.signed_rank_exact_p(np.array([[2, 4, 7, 7]]), np.array([9]))
    padded = metrics.signed_rank_exact_p(np.array([[2, 4, 7, 7, 0, 0]]), np.array([9]))
    np.testing.assert_allclose(plain, padded)
