"""Tastle & Wierman, van der Eijk, Leik, Shannon entropy and the bimodality coefficient (single and rows)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import metrics

NO_DEADLINE = settings(deadline=None, max_examples=200)  # the suite may share a busy machine
AGRMT_EXAMPLE = [30, 40, 210, 130, 530, 50, 10]  # R package agrmt, man/*.Rd


@st.composite
def count_tables(draw: st.DrawFn, min_categories: int = 1) -> list[list[int]]:
    n_categories = draw(st.integers(min_value=min_categories, max_value=11))
    row = st.lists(st.integers(min_value=0, max_value=40), min_size=n_categories, max_size=n_categories)
    return draw(st.lists(row, min_size=1, max_size=8))


def agrmt_agreement(counts: list[int]) -> float:
    """A literal transcription of R's agrmt::agreement() and pattern.agreement() (triple loop), as an oracle."""
    k = len(counts)
    total = sum(counts)
    remainder = list(counts)
    overall = 0.0
    for _ in range(k):
        pattern = [1 if value > 0 else 0 for value in remainder]
        if max(pattern) == 0:
            break
        bimodal = unimodal = 0
        for i in range(k - 2):
            for j in range(i + 1, k - 1):
                for m in range(j + 1, k):
                    triple = (pattern[i], pattern[j], pattern[m])
                    bimodal += triple == (1, 0, 1)
                    unimodal += triple in {(1, 1, 0), (0, 1, 1)}
        filled = sum(pattern)
        if unimodal + bimodal == 0:
            layer = 0.0
        else:
            unimodality = ((k - 2) * unimodal - (k - 1) * bimodal) / ((k - 2) * (unimodal + bimodal))
            layer = unimodality * (1 - (filled - 1) / (k - 1))
        if filled == 1:
            layer = 1.0
        step = min(value for value in remainder if value > 0)
        overall += step * filled / total * layer
        remainder = [value - step * flag for value, flag in zip(remainder, pattern, strict=True)]
    return overall


def expand(row: list[int]) -> list[int]:
    return [category for category, count in enumerate(row) for _ in range(count)]


# Tastle & Wierman


def test_it_gives_full_consensus_when_all_ratings_share_one_category() -> None:
    assert metrics.tastle_wierman([0, 0, 12, 0, 0]) == 1.0
    assert metrics.tastle_wierman([9]) == 1.0


def test_it_gives_a_third_for_a_uniform_three_point_distribution() -> None:
    # mu = 2, d = 2: 1 + 2 * (1/3) log2(1 - 1/2) + (1/3) log2(1) = 1 - 2/3.
    assert metrics.tastle_wierman([4, 4, 4]) == pytest.approx(1 / 3)


def test_it_accepts_proportions_as_well_as_counts_for_consensus() -> None:
    assert metrics.tastle_wierman([0.2, 0.3, 0.5]) == pytest.approx(metrics.tastle_wierman([2, 3, 5]))


def test_it_treats_a_missing_count_as_zero_and_keeps_the_category_order() -> None:
    assert metrics.tastle_wierman([1, None, 1]) == pytest.approx(0.0)


def test_it_returns_nan_consensus_without_mass_and_refuses_negative_counts() -> None:
    assert math.isnan(metrics.tastle_wierman([]))
    assert math.isnan(metrics.tastle_wierman([0, 0, 0]))
    with pytest.raises(ValueError, match="negative"):
        metrics.tastle_wierman([1, -1, 2])


@NO_DEADLINE
@given(table=count_tables())
def test_it_matches_the_agrmt_consensus_formula_row_by_row(table: list[list[int]]) -> None:
    def agrmt_consensus(row: list[int]) -> float:  # agrmt::consensus, R/consensus.R
        if sum(row) == 0:
            return math.nan
        if max(row) == sum(row):
            return 1.0
        p = np.array(row) / sum(row)
        positions = np.arange(1, len(row) + 1)
        mean = float(np.mean(expand(row))) + 1
        with np.errstate(divide="ignore"):
            terms = p * np.log2(1 - np.abs(positions - mean) / (len(row) - 1))
        return float(1 + np.nansum(np.where(p > 0, terms, 0.0)))

    rows = metrics.tastle_wierman_rows(table)
    np.testing.assert_allclose(rows, [agrmt_consensus(row) for row in table], rtol=1e-9, atol=1e-12)
    assert all(0.0 - 1e-12 <= value <= 1.0 + 1e-12 for value in rows if not math.isnan(value))


# van der Eijk


@pytest.mark.parametrize(
    ("counts", "agreement"),
    [
        ([0, 1, 0], 1.0),  # one non-empty category
        ([1, 1, 0], 0.5),  # pattern 110: TU = 1, TDU = 0, U = 1, A = 1 - (2-1)/(3-1)
        ([1, 0, 1], -1.0),  # pattern 101: TDU = 1, U = (0 - 2) / 1 = -2, A = -2 * (1 - 1/2)
        ([1, 1, 1], 0.0),  # every category filled: A = U * 0
        ([20, 20, 20, 20, 20], 0.0),
        # Layers 10 (all five, A = 0), 20 more on 01110 (A = 1 - 2/4), 20 more on 00100 (A = 1):
        # (50 * 0 + 60 * 0.5 + 20 * 1) / 130 = 5 / 13.
        ([10, 30, 50, 30, 10], 5 / 13),
        ([99999, 0, 0, 0, 99999], -1.0),
    ],
)
def test_it_computes_van_der_eijk_agreement_for_hand_worked_layers(counts: list[int], agreement: float) -> None:
    assert metrics.van_der_eijk(counts) == pytest.approx(agreement)
    assert metrics.polarization(counts) == pytest.approx((1 - agreement) / 2)


@NO_DEADLINE
@given(table=count_tables(min_categories=3))
def test_it_matches_the_agrmt_layered_algorithm_row_by_row(table: list[list[int]]) -> None:
    expected = [agrmt_agreement(row) if sum(row) else math.nan for row in table]
    rows = metrics.van_der_eijk_rows(table)
    np.testing.assert_allclose(rows, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([metrics.van_der_eijk(row) for row in table], rows, rtol=1e-12, atol=1e-12)


def test_it_leaves_van_der_eijk_undefined_below_three_categories_or_without_mass() -> None:
    # agrmt returns NA below three categories and 0 for an all-zero vector; both are undefined here.
    assert math.isnan(metrics.van_der_eijk([3, 4]))
    assert math.isnan(metrics.van_der_eijk([0, 0, 0]))
    assert math.isnan(metrics.van_der_eijk([]))
    assert math.isnan(metrics.polarization([]))
    assert metrics.van_der_eijk_rows(np.zeros((0, 9))).shape == (0,)


def test_it_handles_many_items_at_once_including_empty_rows() -> None:
    table = np.array([AGRMT_EXAMPLE, [0] * 7, [1, 0, 0, 0, 0, 0, 1]])
    result = metrics.van_der_eijk_rows(table)
    assert result[0] == pytest.approx(0.6113333, abs=5e-8)
    assert math.isnan(result[1])
    assert result[2] == -1.0


# Leik


def test_it_reproduces_leiks_dispersion_of_the_agrmt_example() -> None:
    assert metrics.leik_dispersion(AGRMT_EXAMPLE) == pytest.approx(0.287, abs=5e-4)  # agrmt man/Leik.Rd


@pytest.mark.parametrize(
    ("counts", "dispersion"),
    [
        ([1, 0, 0, 0, 1], 1.0),  # F = .5 .5 .5 .5 -> 2 * 2 / 4
        ([0, 5, 0], 0.0),  # all in one category
        ([1, 1, 1, 1], 2 / 3),  # F = .25 .5 .75 -> folded .25 .5 .25 -> 2 * 1 / 3
        ([7], 0.0),  # a one-point scale has no dispersion
    ],
)
def test_it_computes_leiks_dispersion_from_cumulative_shares(counts: list[int], dispersion: float) -> None:
    assert metrics.leik_dispersion(counts) == pytest.approx(dispersion)


def test_it_returns_nan_dispersion_without_mass() -> None:
    assert math.isnan(metrics.leik_dispersion([0, 0]))
    assert math.isnan(metrics.leik_rows([[0, 0, 0]])[0])


# Shannon entropy


def test_it_measures_entropy_in_bits_by_default_and_in_other_bases() -> None:
    assert metrics.shannon_entropy([3, 3]) == pytest.approx(1.0)
    assert metrics.shannon_entropy([1, 1, 1, 1]) == pytest.approx(2.0)
    assert metrics.shannon_entropy([0, 5, 0]) == 0.0
    assert metrics.shannon_entropy([1, 1], base=math.e) == pytest.approx(math.log(2))
    assert metrics.shannon_entropy([2, 1, 1]) == pytest.approx(1.5)  # -(.5 log2 .5 + 2 * .25 log2 .25)


def test_it_matches_scipys_entropy() -> None:
    assert metrics.shannon_entropy(AGRMT_EXAMPLE) == pytest.approx(stats.entropy(AGRMT_EXAMPLE, base=2))


def test_it_returns_nan_entropy_without_mass_and_refuses_a_bad_base() -> None:
    assert math.isnan(metrics.shannon_entropy([]))
    assert math.isnan(metrics.shannon_entropy([0, 0]))
    for base in (1, 0, -2):
        with pytest.raises(ValueError, match="base"):
            metrics.shannon_entropy([1, 2], base=base)


# Bimodality coefficient


def test_it_gives_the_closed_form_bc_for_two_equal_camps_at_the_ends() -> None:
    # Half at 1, half at 9: g1 = 0 and m4 / m2^2 = 1, so BC = (n-2)(n-3) / (n^2 - 1);
    # n = 20 gives 306 / 399 = 0.767 > 5/9, n = 4 gives 2 / 15 (the small-sample correction at work).
    assert metrics.bimodality_coefficient([1] * 10 + [9] * 10) == pytest.approx(306 / 399)
    assert metrics.bimodality_coefficient([1, 1, 9, 9]) == pytest.approx(2 / 15)


@NO_DEADLINE
@given(values=st.lists(st.integers(min_value=1, max_value=9), min_size=4, max_size=80))
def test_it_uses_scipys_bias_corrected_skewness_and_kurtosis(values: list[int]) -> None:
    if len(set(values)) == 1:
        assert math.isnan(metrics.bimodality_coefficient(values))
        return
    n = len(values)
    skewness = stats.skew(values, bias=False)
    kurtosis = stats.kurtosis(values, bias=False)
    expected = (skewness**2 + 1) / (kurtosis + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    assert metrics.bimodality_coefficient(values) == pytest.approx(expected, rel=1e-9)


@NO_DEADLINE
@given(table=count_tables())
def test_it_gives_the_same_bc_from_counts_as_from_the_expanded_ratings(table: list[list[int]]) -> None:
    expected = [metrics.bimodality_coefficient(expand(row)) for row in table]
    np.testing.assert_allclose(metrics.bimodality_rows(table), expected, rtol=1e-9, atol=1e-12)


def test_it_leaves_bc_undefined_below_four_values_or_without_variation() -> None:
    assert math.isnan(metrics.bimodality_coefficient([1, 9, 1]))
    assert math.isnan(metrics.bimodality_coefficient([5, 5, 5, 5, 5]))
    assert math.isnan(metrics.bimodality_coefficient([]))
    assert math.isnan(metrics.bimodality_coefficient([1, None, 9, 1, None]))
    assert metrics.bimodality_coefficient([1, None, 9, 1, 9]) == pytest.approx(2 / 15)


@NO_DEADLINE
@given(table=count_tables())
def test_it_agrees_between_single_and_rows_forms(table: list[list[int]]) -> None:
    pairs = [
        (metrics.tastle_wierman, metrics.tastle_wierman_rows),
        (metrics.leik_dispersion, metrics.leik_rows),
        (metrics.shannon_entropy, metrics.shannon_entropy_rows),
        (metrics.van_der_eijk, metrics.van_der_eijk_rows),
    ]
    for single, rows in pairs:
        np.testing.assert_allclose(rows(table), [single(row) for row in table], rtol=1e-12, atol=1e-12)


def test_it_refuses_a_counts_table_that_is_not_two_dimensional() -> None:
    for rows in (metrics.tastle_wierman_rows, metrics.van_der_eijk_rows, metrics.leik_rows, metrics.bimodality_rows):
        with pytest.raises(ValueError, match="two-dimensional"):
            rows([1, 2, 3])
