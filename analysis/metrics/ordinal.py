"""Consensus and dispersion of one ordered-category distribution, with vectorised ``*_rows`` forms.

All functions take counts (or proportions) per ordered category, lowest category first. The ``*_rows``
forms take an items x categories array and return one value per row; the single-vector forms run the
same code on a one-row array, so both agree (to the last bit or two of float round-off).
"""

from __future__ import annotations

import numpy as np

from ._inputs import NAN, Counts, CountTable, FloatArray, Ratings, as_counts, as_counts_2d, as_values


def _proportions(counts: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Row proportions of the rows that have any mass, and the mask of those rows."""
    totals = counts.sum(axis=1)
    has_mass = totals > 0
    return counts[has_mass] / totals[has_mass, np.newaxis], has_mass


def tastle_wierman_rows(counts_2d: CountTable) -> FloatArray:
    """Tastle & Wierman consensus Cns for each row of an items x categories counts array.

    Tastle, W. J. & Wierman, M. J. (2007), "Consensus and dissention: a measure of ordinal dispersion",
    International Journal of Approximate Reasoning 45(3): 531-545:
    Cns = 1 + sum_i p_i log2(1 - |X_i - mu| / d), with X_i = 1..k, mu = sum_i p_i X_i and d = k - 1.
    Empty categories contribute nothing. 1 when all mass is in one category (also for a one-category scale,
    as R's agrmt::consensus defines it), 0 for an even split between the two end categories;
    NaN for a row without mass.
    """
    counts = as_counts_2d(counts_2d)
    result = np.full(counts.shape[0], NAN)
    n_categories = counts.shape[1]
    proportions, has_mass = _proportions(counts)
    if n_categories == 0 or not has_mass.any():
        return result
    if n_categories == 1:
        result[has_mass] = 1.0
        return result
    categories = np.arange(1, n_categories + 1, dtype=np.float64)
    mean = proportions @ categories
    closeness = 1.0 - np.abs(categories - mean[:, np.newaxis]) / (n_categories - 1)
    # Empty categories contribute nothing: give them closeness 1 (log 0) rather than 0 * log2(0) = NaN.
    closeness = np.where(proportions > 0, np.maximum(closeness, 0.0), 1.0)
    with np.errstate(divide="ignore"):
        cns = 1.0 + (proportions * np.log2(closeness)).sum(axis=1)
    single_category = (counts[has_mass] > 0).sum(axis=1) == 1
    result[has_mass] = np.where(single_category, 1.0, cns)
    return result


def tastle_wierman(counts: Counts) -> float:
    """Tastle & Wierman (2007) consensus Cns in [0, 1] of counts or proportions per ordered category.

    See :func:`tastle_wierman_rows` for the formula. NaN when there is no mass (empty or all-zero counts).
    """
    return float(tastle_wierman_rows(as_counts(counts)[np.newaxis, :])[0])


def _pattern_agreement(patterns: FloatArray) -> FloatArray:
    """Agreement A of 0/1 layer patterns (last axis = the K categories); van der Eijk (2001), eq. 2-3.

    Counts the triples of categories i < j < m that are unimodal (110 or 011: TU) or bimodal (101: TDU)
    from cumulative sums instead of the triple loop, then
    U = ((K-2) TU - (K-1) TDU) / ((K-2)(TU + TDU)) and A = U (1 - (S-1)/(K-1)), S = non-empty categories.
    As in agrmt: A = 0 where U is undefined (no counted triples) and A = 1 for a single non-empty category.
    """
    n_categories = patterns.shape[-1]
    ones_through = np.cumsum(patterns, axis=-1)
    n_ones = ones_through[..., -1:]
    ones_left = ones_through - patterns
    ones_right = n_ones - ones_through
    position = np.arange(n_categories, dtype=np.float64)
    zeros_left = position - ones_left
    zeros_right = (n_categories - 1 - position) - ones_right
    bimodal = ((1.0 - patterns) * ones_left * ones_right).sum(axis=-1)
    unimodal = (patterns * (ones_left * zeros_right + zeros_left * ones_right)).sum(axis=-1)
    counted = unimodal + bimodal
    with np.errstate(divide="ignore", invalid="ignore"):
        unimodality = ((n_categories - 2) * unimodal - (n_categories - 1) * bimodal) / ((n_categories - 2) * counted)
    filled = n_ones[..., 0]
    agreement = unimodality * (1.0 - (filled - 1.0) / (n_categories - 1))
    agreement = np.where(counted > 0, agreement, 0.0)
    return np.where(filled == 1, 1.0, agreement)


def van_der_eijk_rows(counts_2d: CountTable) -> FloatArray:
    """van der Eijk's agreement A in [-1, 1] for each row of an items x categories counts array.

    van der Eijk, C. (2001), "Measuring agreement in ordered rating scales", Quality & Quantity 35(3): 325-341;
    reproduces R's ``agrmt::agreement()`` (Ruedin). The distribution is peeled into layers: each layer is
    the set of categories whose count reaches the next distinct count value, its height the step between the
    two values; A = sum over layers of (height * size / N) * A(layer pattern). All layers of all rows are
    computed at once (items x K x K), so there is no Python loop.

    Needs at least 3 categories (NaN otherwise, as agrmt returns NA); NaN for a row without mass
    (agrmt returns 0 there).
    """
    counts = as_counts_2d(counts_2d)
    result = np.full(counts.shape[0], NAN)
    n_categories = counts.shape[1]
    totals = counts.sum(axis=1)
    has_mass = totals > 0
    if n_categories < 3 or not has_mass.any():
        return result
    rows = counts[has_mass]
    levels = np.sort(rows, axis=1)
    heights = np.diff(levels, axis=1, prepend=0.0)
    # patterns[item, layer, category]: does the category still have mass at this layer's level?
    patterns = (rows[:, np.newaxis, :] >= levels[:, :, np.newaxis]).astype(np.float64)
    layer_agreement = _pattern_agreement(patterns)
    weights = heights * patterns.sum(axis=-1) / totals[has_mass, np.newaxis]
    result[has_mass] = (weights * layer_agreement).sum(axis=1)
    return result


def van_der_eijk(counts: Counts) -> float:
    """van der Eijk (2001) agreement A in [-1, 1]; 1 = all in one category, -1 = split between the ends.

    Matches R's ``agrmt::agreement()``; see :func:`van_der_eijk_rows`. NaN with fewer than 3 categories or
    no mass.
    """
    return float(van_der_eijk_rows(as_counts(counts)[np.newaxis, :])[0])


def polarization(counts: Counts) -> float:
    """Polarization (1 - A) / 2 in [0, 1] from van der Eijk's (2001) agreement A, as R's ``agrmt::polarization``."""
    return (1.0 - van_der_eijk(counts)) / 2.0


def leik_rows(counts_2d: CountTable) -> FloatArray:
    """Leik's ordinal dispersion D in [0, 1] for each row of an items x categories counts array.

    Leik, R. K. (1966), "A measure of ordinal consensus", Pacific Sociological Review 9(2): 85-90:
    D = 2 / (k - 1) * sum_{i<k} min(F_i, 1 - F_i) with F_i the cumulative proportions. 0 when all mass is in
    one category (also on a one-category scale), 1 for half the mass in each end category;
    NaN for a row without mass.
    """
    counts = as_counts_2d(counts_2d)
    result = np.full(counts.shape[0], NAN)
    n_categories = counts.shape[1]
    proportions, has_mass = _proportions(counts)
    if n_categories == 0 or not has_mass.any():
        return result
    if n_categories == 1:
        result[has_mass] = 0.0
        return result
    cumulative = np.cumsum(proportions, axis=1)[:, :-1]
    folded = np.minimum(cumulative, 1.0 - cumulative)
    result[has_mass] = np.maximum(2.0 * folded.sum(axis=1) / (n_categories - 1), 0.0)
    return result


def leik_dispersion(counts: Counts) -> float:
    """Leik's (1966) ordinal dispersion D in [0, 1]; see :func:`leik_rows`. NaN for empty or all-zero counts."""
    return float(leik_rows(as_counts(counts)[np.newaxis, :])[0])


def shannon_entropy_rows(counts_2d: CountTable, base: float = 2) -> FloatArray:
    """Shannon entropy H = -sum p_i log(p_i) per row (Shannon 1948), 0 log 0 = 0; NaN for rows without mass.

    Raises ``ValueError`` unless base > 0 and base != 1.
    """
    if not base > 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, got {base!r}")
    counts = as_counts_2d(counts_2d)
    result = np.full(counts.shape[0], NAN)
    proportions, has_mass = _proportions(counts)
    if not has_mass.any():
        return result
    terms = proportions * np.log(np.where(proportions > 0, proportions, 1.0))
    result[has_mass] = np.maximum(-terms.sum(axis=1) / np.log(base), 0.0)
    return result


def shannon_entropy(counts: Counts, base: float = 2) -> float:
    """Shannon (1948) entropy of counts or proportions, in bits for base 2; NaN without mass.

    Shannon, C. E. (1948), "A mathematical theory of communication", Bell System Technical Journal 27.
    Ranges from 0 (one category) to log_base(k) (uniform over k categories).
    """
    return float(shannon_entropy_rows(as_counts(counts)[np.newaxis, :], base)[0])


def _bimodality_from_moments(n: FloatArray, m2: FloatArray, m3: FloatArray, m4: FloatArray) -> FloatArray:
    """Sample BC from the biased central moments m2, m3, m4 of n observations (Pfister et al. 2013, eq. 3).

    With g = m3 / m2^1.5 and k = m4 / m2^2 - 3 (the biased skewness and excess kurtosis), the sample
    skewness G = g sqrt(n (n-1)) / (n-2), the sample excess kurtosis K = ((n+1) k + 6)(n-1) / ((n-2)(n-3)) and
    BC = (G^2 + 1) / (K + 3 (n-1)^2 / ((n-2)(n-3))). Callers make sure n >= 4 and m2 > 0.
    """
    skewness = m3 / m2**1.5 * np.sqrt(n * (n - 1.0)) / (n - 2.0)
    excess_kurtosis = m4 / m2**2 - 3.0
    small_sample = (n - 2.0) * (n - 3.0)
    kurtosis = ((n + 1.0) * excess_kurtosis + 6.0) * (n - 1.0) / small_sample
    result: FloatArray = (skewness**2 + 1.0) / (kurtosis + 3.0 * (n - 1.0) ** 2 / small_sample)
    return result


def bimodality_rows(counts_2d: CountTable) -> FloatArray:
    """Bimodality coefficient BC (Pfister et al. 2013) for each row of an items x categories counts array.

    The same sample BC as :func:`bimodality_coefficient` on the expanded ratings. BC does not change when
    the ratings are shifted or rescaled, so the category index stands in for the rating.
    NaN for rows with fewer than 4 ratings or with all ratings in one category.
    """
    counts = as_counts_2d(counts_2d)
    result = np.full(counts.shape[0], NAN)
    n = counts.sum(axis=1)
    defined = (n >= 4) & ((counts > 0).sum(axis=1) >= 2)
    if not defined.any():
        return result
    rows, sizes = counts[defined], n[defined]
    categories = np.arange(counts.shape[1], dtype=np.float64)
    mean = rows @ categories / sizes
    deviation = categories - mean[:, np.newaxis]
    m2, m3, m4 = ((rows * deviation**power).sum(axis=1) / sizes for power in (2, 3, 4))
    result[defined] = _bimodality_from_moments(sizes, m2, m3, m4)
    return result


def bimodality_coefficient(values: Ratings) -> float:
    """Sample bimodality coefficient BC of the non-missing values; BC > 5/9 suggests two camps.

    Pfister, R., Schwarz, K. A., Janczyk, M., Dale, R. & Freeman, J. B. (2013), "Good things peak in pairs:
    a note on the bimodality coefficient", Frontiers in Psychology 4: 700. Uses the finite-sample skewness
    and excess kurtosis (as scipy.stats.skew / kurtosis with ``bias=False``; SAS, SPSS); see
    :func:`_bimodality_from_moments`. NaN with fewer than 4 values or when all values are equal.
    """
    data = as_values(values)
    if data.size < 4 or np.ptp(data) == 0:
        return NAN
    deviation = data - data.mean()
    m2, m3, m4 = (float(np.mean(deviation**power)) for power in (2, 3, 4))
    n = np.array([float(data.size)])
    return float(_bimodality_from_moments(n, np.array([m2]), np.array([m3]), np.array([m4]))[0])
