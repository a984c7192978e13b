"""Pooling a round's quantity answers (pure): ANDURYL's figures through the app's path, IDEA first, suppression."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from analysis.metrics.cooke import classical_model
from analysis.metrics.idea import standardise_idea
from analysis.pooling import Answer, Question, pool_round

CASES = json.loads((Path(__file__).parents[1] / "data" / "cooke_examples.json").read_text())
REL = CASES["tolerance"]["rel"]


def case_inputs(case: dict) -> tuple[list[Answer], list[Question]]:
    questions = [
        Question(
            key=j,
            probability=False,
            lower_bound=None,
            upper_bound=None,
            scale=case["background"][j],
            realization=None if case["realizations"][j] is None else case["realizations"][j],
        )
        for j in range(len(case["items"]))
    ]
    answers = [
        Answer(expert=f"E{i:02d}", question=j, values=tuple(values))
        for i, row in enumerate(case["assessments"])
        for j, values in enumerate(row)
        if values[0] is not None
    ]
    return answers, questions


def rows_of(pooled, **where):
    return [row for row in pooled.questions if all(row[key] == value for key, value in where.items())]


@pytest.mark.parametrize("case", CASES["cases"], ids=[case["name"] for case in CASES["cases"]])
def test_the_apps_pooling_reproduces_andurils_decision_maker_and_weights(case):
    answers, questions = case_inputs(case)
    pooled = pool_round(answers, questions, {}, quantiles=case["quantiles"], idea=False, min_group_size=3)
    for method, setting in (("global", "global_opt"), ("item", "item_opt"), ("equal", "equal")):
        expected = case["results"][setting]
        rows = rows_of(pooled, group="", method=method)
        assert [row["question"] for row in rows] == list(range(len(questions)))
        for row, dm in zip(rows, expected["dm_quantiles"], strict=True):
            assert row["quantiles"] == pytest.approx(dm, rel=REL)
        assert rows[0]["dm_calibration"] == pytest.approx(float(expected["dm_calibration"]), rel=REL)
        assert rows[0]["dm_information_all"] == pytest.approx(float(expected["dm_information_all"]), rel=REL)
        if method != "equal":
            assert rows[0]["cutoff"] == pytest.approx(float(expected["cutoff"]), rel=REL)
            weights = {row["expert"]: row["weight_normalised"] for row in pooled.experts if row["method"] == method}
            by_expert = [weights.get(f"E{i:02d}", 0.0) for i in range(len(case["experts"]))]
            answered = [any(v[0] is not None for v in row) for row in case["assessments"]]
            shown = [w for w, a in zip(by_expert, answered, strict=True) if a]
            wanted = [w for w, a in zip(expected["weights_normalised"], answered, strict=True) if a]
            assert shown == pytest.approx(wanted, rel=REL, abs=1e-12)


def test_idea_answers_are_standardised_to_the_studys_quantiles_before_pooling():
    rng = np.random.default_rng(7)
    quantiles = [0.05, 0.5, 0.95]
    questions = [Question(key=j, probability=False, lower_bound=0.0, upper_bound=None, scale="uniform",
                          realization=[5.0, 2.0, None, None][j]) for j in range(4)]  # fmt: skip
    answers, lowest, best, highest, confidence = [], [], [], [], []
    for i in range(6):
        for j in range(4):
            mid = float(rng.uniform(1, 9))
            low, high, conf = (
                mid - float(rng.uniform(0.5, 1)),
                mid + float(rng.uniform(0.5, 3)),
                float(rng.choice([60, 80, 90])),
            )
            answers.append(Answer(expert=i, question=j, lowest=low, best=mid, highest=high, confidence=conf))
            lowest.append(low)
            best.append(mid)
            highest.append(high)
            confidence.append(conf)
    pooled = pool_round(answers, questions, {}, quantiles=quantiles, idea=True, min_group_size=3)
    shape = (6, 4)
    values = standardise_idea(
        np.reshape(lowest, shape), np.reshape(best, shape), np.reshape(highest, shape), np.reshape(confidence, shape),
        quantiles, lower_bound=0.0,
    )  # fmt: skip
    direct = classical_model(values, [5.0, 2.0, np.nan, np.nan], quantiles, weights="global")
    rows = rows_of(pooled, group="", method="global")
    for row, dm in zip(rows, direct.dm_quantiles, strict=True):
        assert row["quantiles"] == pytest.approx(list(dm), rel=1e-12)
    # The panel's equal-weight row carries every answer's interval, ordered by its middle, not by expert.
    intervals = rows_of(pooled, group="", method="equal")[0]["intervals"]
    assert [interval[1] for interval in intervals] == sorted(values[:, 0, 1])


def test_figures_standing_on_fewer_than_k_experts_are_withheld_with_their_complement():
    questions = [Question(key=0, probability=True, lower_bound=0, upper_bound=1, scale="uniform", realization=None)]
    blocs = {i: ("China" if i < 5 else "United States" if i < 9 else "Europe") for i in range(10)}
    answers = [Answer(expert=i, question=0, values=(0.1, 0.2 + i / 100, 0.5)) for i in range(10)]
    pooled = pool_round(answers, questions, blocs, quantiles=[0.05, 0.5, 0.95], idea=False, min_group_size=5)
    equal = {row["group"]: row for row in rows_of(pooled, method="equal")}
    assert equal[""]["n"] == 10
    assert not equal[""]["suppressed"]
    assert equal["China"]["quantiles"]
    # Europe (1) is withheld, and the United States (4) with it: else Europe = panel - China - United States.
    assert equal["Europe"]["suppressed"]
    assert equal["United States"]["suppressed"]
    assert equal["Europe"]["quantiles"] == equal["United States"]["quantiles"] == []
    assert equal["Europe"]["intervals"] == []
    # Without seeds the classical model has nothing to score: the row says why and shows nothing.
    assert rows_of(pooled, group="", method="global")[0]["quantiles"] == []
    assert "seed" in rows_of(pooled, group="", method="global")[0]["note"]


def test_a_probability_clipped_at_its_bound_still_pools():
    questions = [Question(key=0, probability=True, lower_bound=0, upper_bound=1, scale="uniform", realization=0.3)]
    answers = [
        Answer(expert=i, question=0, lowest=0.0, best=0.01 * (i + 1), highest=0.5, confidence=60.0) for i in range(5)
    ]
    pooled = pool_round(answers, questions, {}, quantiles=[0.05, 0.5, 0.95], idea=True, min_group_size=3)
    row = rows_of(pooled, group="", method="global")[0]
    assert len(row["quantiles"]) == 3
    assert all(math.isfinite(value) for value in row["quantiles"])
