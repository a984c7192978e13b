"""Cooke's classical model on small cases worked by hand: ties, missing answers, log scales, bad input."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from analysis.metrics import cooke
from analysis.metrics.cooke import WeightType, classical_model
from analysis.metrics.cooke_scores import mixture_quantiles

NAN = np.nan
Q3 = [0.05, 0.5, 0.95]
# Three experts, three seeds and one target; expert 0 is well calibrated, expert 2 overconfident.
ASSESSMENTS = np.array(
    [
        [[1.0, 5.0, 9.0], [10.0, 20.0, 30.0], [2.0, 4.0, 8.0], [0.0, 1.0, 2.0]],
        [[3.0, 4.0, 6.0], [15.0, 25.0, 28.0], [1.0, 3.0, 4.0], [0.5, 1.5, 3.0]],
        [[7.0, 7.5, 8.0], [30.0, 31.0, 32.0], [6.0, 6.5, 7.0], [1.0, 1.2, 1.4]],
    ]
)
REALIZATIONS = np.array([5.5, 22.0, 3.0, NAN])
WEIGHT_TYPES: tuple[WeightType, ...] = ("global", "item", "equal")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_it_scores_calibration_by_hand() -> None:
    result = classical_model(ASSESSMENTS, REALIZATIONS, Q3)
    p = np.array([0.05, 0.45, 0.45, 0.05])
    # Expert 0: 5.5 in (5, 9], 22 in (20, 30], 3 in (2, 4] -> counts [0, 1, 2, 0].
    s = np.array([0, 1, 2, 0]) / 3
    relative = sum(share * np.log(share / prob) for share, prob in zip(s, p, strict=True) if share > 0)
    assert result.calibration[0] == pytest.approx(stats.chi2.sf(2 * 3 * relative, 3), rel=1e-12)
    # Expert 2: every realization below its 5% quantile -> counts [3, 0, 0, 0].
    assert result.calibration[2] == pytest.approx(stats.chi2.sf(2 * 3 * np.log(1 / 0.05), 3), rel=1e-12)
    assert result.n_seeds_answered.tolist() == [3, 3, 3]


def test_a_realization_on_a_quantile_counts_in_the_interval_below() -> None:
    on_median = classical_model(ASSESSMENTS[:1], np.array([5.0, 20.0, 4.0, NAN]), Q3, alpha=0.0)
    just_above = classical_model(ASSESSMENTS[:1], np.array([5.0001, 20.0001, 4.0001, NAN]), Q3, alpha=0.0)
    # On the medians: all three in (5%, 50%]; just above: all three in (50%, 95%]; the same score by symmetry.
    assert on_median.calibration[0] == pytest.approx(stats.chi2.sf(2 * 3 * np.log(1 / 0.45), 3), rel=1e-12)
    assert just_above.calibration[0] == pytest.approx(on_median.calibration[0], rel=1e-12)
    below = classical_model(ASSESSMENTS[:1], np.array([1.0, 10.0, 2.0, NAN]), Q3, alpha=0.0)
    assert below.calibration[0] == pytest.approx(stats.chi2.sf(2 * 3 * np.log(1 / 0.05), 3), rel=1e-12)


def test_it_computes_information_against_the_intrinsic_range() -> None:
    result = classical_model(ASSESSMENTS, REALIZATIONS, Q3, overshoot=0.1)
    low, high = 1.0 - 0.8, 9.0 + 0.8  # item 0: quantiles span [1, 9], the realization 5.5 inside
    assert result.intrinsic_range[0].tolist() == pytest.approx([low, high])
    widths = np.diff([low, 1.0, 5.0, 9.0, high])
    p = np.array([0.05, 0.45, 0.45, 0.05])
    expected = np.log(high - low) + np.sum(p * np.log(p / widths))
    assert result.information_per_item[0, 0] == pytest.approx(expected, rel=1e-12)
    assert result.information_seeds[0] == pytest.approx(result.information_per_item[0, :3].mean(), rel=1e-12)
    assert result.information_all[0] == pytest.approx(result.information_per_item[0].mean(), rel=1e-12)


def test_global_weights_are_calibration_times_seed_information_above_the_cutoff() -> None:
    result = classical_model(ASSESSMENTS, REALIZATIONS, Q3, alpha=0.0)
    expected = result.calibration * result.information_seeds
    assert result.weights_unnormalised == pytest.approx(expected, rel=1e-12)
    assert result.weights_normalised == pytest.approx(expected / expected.sum(), rel=1e-12)
    assert result.cutoff == 0.0
    cut = classical_model(ASSESSMENTS, REALIZATIONS, Q3, alpha=float(np.sort(result.calibration)[1]))
    assert (cut.weights_normalised > 0).sum() == 2
    assert cut.weights_normalised[int(np.argmin(result.calibration))] == 0.0


def test_the_optimised_cutoff_maximises_the_decision_makers_weight() -> None:
    result = classical_model(ASSESSMENTS, REALIZATIONS, Q3)
    assert result.cutoff_scan is not None
    # Experts 0 and 1 have mirror-image counts ([0, 1, 2, 0] and [0, 2, 1, 0]): one score, one candidate.
    ordered = sorted(result.calibration.tolist())
    assert ordered[2] == pytest.approx(ordered[1], rel=1e-12)
    assert result.cutoff_scan[:, 0].tolist() == ordered[:2]
    best = result.cutoff_scan[int(np.argmax(result.cutoff_scan[:, 3]))]
    assert result.cutoff == best[0]
    assert result.dm_weight_unnormalised == pytest.approx(best[3], rel=1e-12)
    for cutoff, *_ in result.cutoff_scan:
        fixed = classical_model(ASSESSMENTS, REALIZATIONS, Q3, alpha=float(cutoff))
        assert fixed.dm_weight_unnormalised <= result.dm_weight_unnormalised * (1 + 1e-12)


def test_pooling_every_candidate_in_one_pass_equals_pooling_each_alone() -> None:
    answered = np.ones((3, 4), dtype=bool)
    low, high = np.array([0.2, 8.0, 0.4, -0.2]), np.array([9.8, 34.0, 8.6, 3.2])
    q = np.array(Q3)
    weights = np.random.default_rng(7).random((5, 3, 4))
    weights /= weights.sum(axis=1, keepdims=True)
    together = mixture_quantiles(ASSESSMENTS, answered, low, high, weights, q)
    for candidate in range(5):
        alone = mixture_quantiles(ASSESSMENTS, answered, low, high, weights[candidate : candidate + 1], q)
        assert together[candidate] == pytest.approx(alone[0], rel=1e-12)
    # A mixture quantile is where the weighted CDFs reach its level: evaluate them there.
    x = together[2, 1, 0]
    levels = np.array([0.0, *Q3, 1.0])
    cdfs = [np.interp(x, [low[1], *ASSESSMENTS[expert, 1], high[1]], levels) for expert in range(3)]
    assert float(np.dot(weights[2, :, 1], cdfs)) == pytest.approx(0.05, rel=1e-12)


def test_one_expert_pooled_alone_is_the_decision_maker() -> None:
    result = classical_model(ASSESSMENTS[:1], REALIZATIONS, Q3, weights="equal")
    assert np.array_equal(result.dm_quantiles, ASSESSMENTS[0])
    assert result.dm_calibration == result.calibration[0]
    assert result.dm_information_seeds == pytest.approx(result.information_seeds[0], rel=1e-12)


def test_two_mirrored_experts_pool_to_a_symmetric_decision_maker() -> None:
    assessments = np.array([[[-3.0, -2.0, -1.0]], [[1.0, 2.0, 3.0]]])
    result = classical_model(assessments, np.array([NAN]), Q3, weights="equal")
    low, high = result.intrinsic_range[0]
    assert (low, high) == pytest.approx((-3.6, 3.6))
    # Mixture CDF at 0 is 1/2 (each expert puts 0.95 or 0.05 below it): the median is 0.
    assert result.dm_quantiles[0, 1] == pytest.approx(0.0, abs=1e-12)
    # 5%: solve (F_a(x) + F_b(x)) / 2 = 0.05 with x in a's (-3, -2] segment, F_a = 0.05 + 0.45 (x + 3), and
    # in b's first segment, F_b = 0.05 (x + 3.6) / 4.6: with u = x + 3, 0.45 u + 0.05 (u + 0.6) / 4.6 = 0.05.
    u = (0.05 - 0.05 * 0.6 / 4.6) / (0.45 + 0.05 / 4.6)
    assert result.dm_quantiles[0, 0] == pytest.approx(-3 + u, rel=1e-12)
    assert result.dm_quantiles[0, 2] == pytest.approx(3 - u, rel=1e-12)


def test_equal_weights_pool_without_seeds() -> None:
    result = classical_model(ASSESSMENTS, np.full(4, NAN), Q3, weights="equal")
    assert np.isnan(result.calibration).all()
    assert np.isnan(result.dm_calibration)
    assert result.weights_normalised.tolist() == pytest.approx([1 / 3] * 3)
    assert not np.isnan(result.dm_quantiles).any()
    with pytest.raises(ValueError, match="global weights need seed items"):
        classical_model(ASSESSMENTS, np.full(4, NAN), Q3)


def test_a_missing_answer_takes_no_weight_on_that_item_and_the_others_are_renormalised() -> None:
    assessments = ASSESSMENTS.copy()
    assessments[1, 3] = NAN  # expert 1 skips the target
    for weights in WEIGHT_TYPES:
        result = classical_model(assessments, REALIZATIONS, Q3, weights=weights, alpha=0.0)
        assert result.weights_per_item[1, 3] == 0.0
        assert result.weights_per_item.sum(axis=0) == pytest.approx(np.ones(4))
        assert result.information_per_item[1, 3] == 0.0
    equal = classical_model(assessments, REALIZATIONS, Q3, weights="equal")
    assert equal.weights_per_item[:, 3].tolist() == pytest.approx([0.5, 0.0, 0.5])


def test_an_expert_without_seed_answers_is_not_scored_and_takes_no_part() -> None:
    assessments = ASSESSMENTS.copy()
    assessments[2, :3] = NAN
    result = classical_model(assessments, REALIZATIONS, Q3, weights="equal")
    assert np.isnan(result.calibration[2])
    assert np.isnan(result.information_seeds[2])
    assert result.weights_normalised.tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert result.nmin == 3


def test_nmin_is_the_fewest_seeds_an_expert_answered() -> None:
    assessments = ASSESSMENTS.copy()
    assessments[1, 0] = NAN
    result = classical_model(assessments, REALIZATIONS, Q3, alpha=0.0)
    assert result.nmin == 2
    assert result.n_seeds_answered.tolist() == [3, 2, 3]
    s = np.array([0, 1, 2, 0]) / 3
    p = np.array([0.05, 0.45, 0.45, 0.05])
    relative = float(np.sum(s[s > 0] * np.log(s[s > 0] / p[s > 0])))
    assert result.calibration[0] == pytest.approx(stats.chi2.sf(2 * 2 * relative, 3), rel=1e-12)


def test_a_log_background_pools_on_the_log_scale() -> None:
    assessments = np.array([[[1.0, 10.0, 100.0]], [[10.0, 100.0, 1000.0]]])
    log = classical_model(assessments, np.array([NAN]), Q3, weights="equal", background="log")
    logged = classical_model(np.log(assessments), np.array([NAN]), Q3, weights="equal")
    assert log.dm_quantiles == pytest.approx(np.exp(logged.dm_quantiles), rel=1e-12)
    assert log.intrinsic_range == pytest.approx(np.exp(logged.intrinsic_range), rel=1e-12)
    assert log.information_per_item == pytest.approx(logged.information_per_item, rel=1e-12)
    assert log.dm_quantiles[0, 1] == pytest.approx(np.sqrt(10.0 * 100.0), rel=1e-12)


def test_the_scores_do_not_depend_on_the_unit() -> None:
    result = classical_model(ASSESSMENTS, REALIZATIONS, Q3)
    scaled = classical_model(ASSESSMENTS * 1000.0, REALIZATIONS * 1000.0, Q3)
    assert scaled.calibration == pytest.approx(result.calibration, rel=1e-12)
    assert scaled.information_all == pytest.approx(result.information_all, rel=1e-9)
    assert scaled.dm_quantiles == pytest.approx(result.dm_quantiles * 1000.0, rel=1e-9)


def test_the_order_of_the_experts_does_not_matter() -> None:
    order = [2, 0, 1]
    for weights in WEIGHT_TYPES:
        result = classical_model(ASSESSMENTS, REALIZATIONS, Q3, weights=weights)
        shuffled = classical_model(ASSESSMENTS[order], REALIZATIONS, Q3, weights=weights)
        assert shuffled.weights_normalised == pytest.approx(result.weights_normalised[order], rel=1e-12)
        assert shuffled.dm_quantiles == pytest.approx(result.dm_quantiles, rel=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": "best"}, "weights must be one of"),
        ({"alpha": 1.5}, "alpha must lie in"),
        ({"overshoot": -0.1}, "overshoot must be a positive number"),
        ({"overshoot": 0.0}, "overshoot must be a positive number"),
        ({"background": ["uniform"]}, "one scale per item"),
        ({"background": "loglog"}, "must be 'uniform' or 'log'"),
        ({"quantiles": [0.5, 0.05, 0.95]}, "quantiles must increase"),
        ({"quantiles": [0.05, 0.95]}, "quantiles must list the 3 levels"),
        ({"realizations": [1.0, 2.0]}, "one value per item"),
        ({"assessments": [[1.0, 2.0, 3.0]]}, "experts x items x quantiles"),
    ],
)
def test_it_refuses_malformed_arguments(change: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"assessments": ASSESSMENTS, "realizations": REALIZATIONS, "quantiles": Q3}
    arguments |= change
    positional = [arguments.pop(name) for name in ("assessments", "realizations", "quantiles")]
    with pytest.raises(ValueError, match=message):
        classical_model(*positional, **arguments)  # type: ignore[arg-type]


def test_it_names_the_expert_and_item_of_a_bad_answer() -> None:
    partial = ASSESSMENTS.copy()
    partial[1, 2, 0] = NAN
    with pytest.raises(ValueError, match="expert 1 gives only some quantiles of item 2"):
        classical_model(partial, REALIZATIONS, Q3)
    disordered = ASSESSMENTS.copy()
    disordered[2, 1] = [5.0, 4.0, 6.0]
    with pytest.raises(ValueError, match="expert 2's quantiles of item 1 must increase strictly"):
        classical_model(disordered, REALIZATIONS, Q3)
    with pytest.raises(ValueError, match="item 3 has a log background but a value <= 0"):
        classical_model(ASSESSMENTS, REALIZATIONS, Q3, background="log")


def test_a_cutoff_above_every_expert_is_refused() -> None:
    worst = classical_model(ASSESSMENTS, REALIZATIONS, Q3).calibration.max()
    with pytest.raises(ValueError, match="leaves no expert with a weight"):
        classical_model(ASSESSMENTS, REALIZATIONS, Q3, alpha=min(1.0, float(worst) * 1.5 + 1e-9))


def test_it_cites_its_sources_and_imports_without_django() -> None:
    doc = inspect.getdoc(classical_model) or ""
    assert "Cooke 1991" in doc
    assert "Cooke & Goossens 2008" in doc
    assert "657" in (cooke.__doc__ or "")
    code = (
        "import sys, analysis.metrics.cooke; "
        "sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
