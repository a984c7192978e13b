"""IDEA answers standardised to a study's quantiles (Hemming et al. 2018), and the refusal of bad answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.metrics.cooke import classical_model
from analysis.metrics.idea import IdeaAnswer, IdeaAnswerError, idea_answer_errors, standardise_idea

Q3 = [0.05, 0.5, 0.95]
Q5 = [0.05, 0.25, 0.5, 0.75, 0.95]
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_an_80_percent_interval_widens_to_5_and_95_percent_by_linear_extrapolation() -> None:
    # Hemming et al. (2018): lower = B - (B - L) S / C, upper = B + (U - B) S / C, S = 90, C = 80.
    values = standardise_idea(10.0, 20.0, 40.0, 80.0, Q3)
    assert values.tolist() == pytest.approx([20 - 10 * 90 / 80, 20.0, 20 + 20 * 90 / 80], rel=1e-12)


def test_a_stated_90_percent_interval_is_already_the_5_to_95_percent_interval() -> None:
    assert standardise_idea(1.0, 2.0, 5.0, 90.0, Q3).tolist() == pytest.approx([1.0, 2.0, 5.0], rel=1e-12)


def test_confidence_100_percent_puts_5_and_95_percent_inside_the_bounds() -> None:
    values = standardise_idea(0.0, 50.0, 100.0, 100.0, Q3)
    assert values.tolist() == pytest.approx([5.0, 50.0, 95.0], rel=1e-12)


def test_quartiles_scale_each_half_with_the_coverage_of_their_central_interval() -> None:
    values = standardise_idea(10.0, 20.0, 40.0, 80.0, Q5)
    # 25%/75% bound the central 50%: 50/80 of each half.
    expected = [20 - 10 * 0.9 / 0.8, 20 - 10 * 0.5 / 0.8, 20.0, 20 + 20 * 0.5 / 0.8, 20 + 20 * 0.9 / 0.8]
    assert values.tolist() == pytest.approx(expected, rel=1e-12)


def test_a_probability_is_clipped_to_0_and_1_after_extrapolation() -> None:
    values = standardise_idea(0.01, 0.1, 0.9, 60.0, Q3, probability=True)
    assert values[0] == 0.0
    assert values[2] == 1.0
    assert values[1] == 0.1


def test_a_log_scale_extrapolates_ln_values_and_stays_positive() -> None:
    values = standardise_idea(1.0, 10.0, 1000.0, 50.0, Q3, scale="log")
    assert values.tolist() == pytest.approx([10 * 10 ** (-0.9 / 0.5), 10.0, 10 * 100 ** (0.9 / 0.5)], rel=1e-12)
    linear = standardise_idea(1.0, 10.0, 1000.0, 50.0, Q3)
    assert linear[0] < 0 < values[0]


def test_it_broadcasts_over_experts_and_items_and_keeps_unanswered_questions_missing() -> None:
    lowest = np.array([[1.0, np.nan], [2.0, 5.0]])
    best = np.array([[2.0, np.nan], [3.0, 6.0]])
    highest = np.array([[4.0, np.nan], [5.0, 9.0]])
    values = standardise_idea(lowest, best, highest, np.array([[90.0, np.nan], [90.0, 90.0]]), Q3)
    assert values.shape == (2, 2, 3)
    assert np.isnan(values[0, 1]).all()
    assert values[1, 1].tolist() == pytest.approx([5.0, 6.0, 9.0])
    assert values[0, 0].tolist() == pytest.approx([1.0, 2.0, 4.0])


def test_standardised_answers_pool_with_the_classical_model() -> None:
    values = standardise_idea([[1.0], [2.0]], [[2.0], [3.0]], [[4.0], [6.0]], [[80.0], [70.0]], Q3)
    result = classical_model(values, [np.nan], Q3, weights="equal")
    assert result.dm_quantiles.shape == (1, 3)
    assert values[0, 0, 0] < result.dm_quantiles[0, 1] < values[1, 0, 2]


@pytest.mark.parametrize(
    ("answer", "options", "field", "message"),
    [
        (IdeaAnswer(5.0, 4.0, 9.0, 80.0), {}, "lowest", "the lowest estimate is above the best estimate"),
        (IdeaAnswer(1.0, 4.0, 3.0, 80.0), {}, "highest", "the highest estimate is below the best estimate"),
        (IdeaAnswer(0.2, 0.5, 1.3, 80.0), {"probability": True}, "highest", "a probability must lie between 0 and 1"),
        (IdeaAnswer(-0.1, 0.5, 0.9, 80.0), {"probability": True}, "lowest", "a probability must lie between 0 and 1"),
        (IdeaAnswer(1.0, 2.0, 3.0, 40.0), {}, "confidence", "must be between 50% and 100%, got 40%"),
        (IdeaAnswer(1.0, 2.0, 3.0, 101.0), {}, "confidence", "must be between 50% and 100%, got 101%"),
        (IdeaAnswer(1.0, 2.0, 3.0, None), {}, "confidence", "enter a confidence"),
        (IdeaAnswer(None, 2.0, 3.0, 80.0), {}, "lowest", "enter a number"),
        (IdeaAnswer(2.0, 2.0, 2.0, 80.0), {}, "highest", "must be above the lowest"),
        (IdeaAnswer(0.0, 2.0, 3.0, 80.0), {"scale": "log"}, "lowest", "above 0 on a logarithmic scale"),
        (IdeaAnswer(5.0, 20.0, 30.0, 80.0), {"lower_bound": 10.0}, "lowest", "must not be below 10"),
        (IdeaAnswer(5.0, 20.0, 300.0, 80.0), {"upper_bound": 100.0}, "highest", "must not be above 100"),
    ],
)
def test_it_names_the_field_and_says_why_an_answer_is_refused(
    answer: IdeaAnswer, options: dict[str, object], field: str, message: str
) -> None:
    errors = idea_answer_errors(answer, **options)  # type: ignore[arg-type]
    assert list(errors) == [field]
    assert message in errors[field]


def test_a_valid_answer_has_no_errors_even_with_its_best_estimate_on_a_bound() -> None:
    assert idea_answer_errors(IdeaAnswer(0.0, 0.0, 0.2, 100.0), probability=True) == {}
    assert idea_answer_errors(IdeaAnswer(1.0, 2.0, 3.0, 50.0)) == {}


def test_standardising_a_bad_answer_names_the_question_the_answer_and_the_fields() -> None:
    with pytest.raises(IdeaAnswerError) as caught:
        standardise_idea([0.2, 0.2], [0.5, 0.5], [0.9, 1.3], [80.0, 40.0], Q3, probability=True, question="Q7")
    assert caught.value.question == "Q7 (answer 1)"
    assert set(caught.value.errors) == {"highest", "confidence"}
    assert "question Q7 (answer 1): highest: a probability must lie between 0 and 1, got 1.3" in str(caught.value)
    with pytest.raises(IdeaAnswerError, match="question Q2: lowest: the lowest estimate is above the best"):
        standardise_idea(3.0, 2.0, 4.0, 80.0, Q3, question="Q2")


def test_it_refuses_malformed_quantiles_and_scales() -> None:
    with pytest.raises(ValueError, match="quantiles must increase"):
        standardise_idea(1.0, 2.0, 3.0, 80.0, [0.5, 0.05])
    with pytest.raises(ValueError, match="scale must be"):
        standardise_idea(1.0, 2.0, 3.0, 80.0, Q3, scale="logit")  # type: ignore[arg-type]


def test_it_imports_without_django() -> None:
    code = "import sys, analysis.metrics.idea; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False, capture_output=True)
    assert completed.returncode == 0, completed.stderr.decode()
