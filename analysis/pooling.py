"""Pooling a round's quantity answers, per question, for the whole panel and each bloc (no Django here).

Every answer is first brought to the study's quantiles: IDEA answers by Hemming et al.'s (2018) linear
extrapolation (``analysis.metrics.idea.standardise_idea``), quantile answers as given. Then, for the
panel (group "") and for each bloc, the decision maker (DM) of every question is pooled three ways with
``analysis.metrics.cooke.classical_model``: equal weights, and Cooke's classical model with global and
with item weights at the optimised cutoff (Cooke 1991, ch. 12). A question's figures are withheld where
fewer than k experts stand behind them, the blocs' complements included (``analysis.disclosure``). The
method and formulas are in docs/metrics.md ("Quantity questions in the app").
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.disclosure import withheld_groups
from analysis.metrics.cooke import ClassicalModelResult, WeightType, classical_model
from analysis.metrics.idea import standardise_idea

PANEL = ""
METHODS: tuple[WeightType, ...] = ("equal", "global", "item")


@dataclass(frozen=True)
class Question:
    """What pooling needs to know of a question."""

    key: Any
    probability: bool
    lower_bound: float | None
    upper_bound: float | None
    scale: str  # "uniform" or "log"
    realization: float | None  # a seed's true value; None for a target or a seed not yet resolved


@dataclass(frozen=True)
class Answer:
    expert: Any
    question: Any
    lowest: float | None = None
    best: float | None = None
    highest: float | None = None
    confidence: float | None = None
    values: Sequence[float] = ()


@dataclass
class Pooled:
    """The result tables: one dict per (question, group, method) and per (expert, group, method)."""

    questions: list[dict[str, Any]] = field(default_factory=list)
    experts: list[dict[str, Any]] = field(default_factory=list)


def standardised(
    answers: Sequence[Answer],
    questions: Sequence[Question],
    experts: Sequence[Any],
    quantiles: Sequence[float],
    *,
    idea: bool,
) -> np.ndarray:
    """experts x questions x quantiles: every answer at the study's quantiles (NaN where not answered).

    IDEA answers are standardised one question at a time, all of its answers in one vectorised call."""
    expert_index = {expert: i for i, expert in enumerate(experts)}
    question_index = {question.key: j for j, question in enumerate(questions)}
    values = np.full((len(experts), len(questions), len(quantiles)), np.nan)
    by_question: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_question[question_index[answer.question]].append(answer)
    for j, given in by_question.items():
        rows = [expert_index[answer.expert] for answer in given]
        if not idea:
            for i, answer in zip(rows, given, strict=True):
                if len(answer.values) == len(quantiles):
                    values[i, j] = answer.values
            continue
        question = questions[j]
        fields = np.array([[_nan(a.lowest), _nan(a.best), _nan(a.highest), _nan(a.confidence)] for a in given])
        values[rows, j] = standardise_idea(
            fields[:, 0], fields[:, 1], fields[:, 2], fields[:, 3], quantiles,
            lower_bound=question.lower_bound, upper_bound=question.upper_bound,
            scale="log" if question.scale == "log" else "uniform", probability=question.probability,
            question=str(question.key),
        )  # fmt: skip
    return _strictly_increasing(values)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _strictly_increasing(values: np.ndarray) -> np.ndarray:
    """Clipping to a bound can make two quantiles equal; the classical model needs them strictly increasing.

    An equal pair is moved apart by a relative 1e-9 (far below any stated precision)."""
    result = values.copy()
    for q in range(1, result.shape[2]):
        previous = result[:, :, q - 1]
        step = np.maximum(np.abs(previous), 1.0) * 1e-9
        result[:, :, q] = np.where(result[:, :, q] <= previous, previous + step, result[:, :, q])
    return result


def pool_round(
    answers: Sequence[Answer],
    questions: Sequence[Question],
    blocs: Mapping[Any, str],
    *,
    quantiles: Sequence[float],
    idea: bool,
    min_group_size: int,
    overshoot: float = 0.1,
) -> Pooled:
    """Every pooled table of one round (see the module docstring). ``blocs``: expert -> bloc ("" for none)."""
    pooled = Pooled()
    if not answers or not questions:
        return pooled
    experts = sorted({answer.expert for answer in answers}, key=str)
    values = standardised(answers, questions, experts, quantiles, idea=idea)
    answered = ~np.isnan(values[:, :, 0])
    realizations = np.array([np.nan if q.realization is None else q.realization for q in questions])
    backgrounds = ["log" if q.scale == "log" else "uniform" for q in questions]
    bloc_of = np.array([blocs.get(expert, "") for expert in experts], dtype=object)
    groups = [PANEL, *sorted({str(bloc) for bloc in bloc_of if bloc})]
    hidden = _withheld(answered, bloc_of, groups, min_group_size)
    for group in groups:
        members = np.ones(len(experts), dtype=bool) if group == PANEL else bloc_of == group
        sub_values, sub_answered = values[members], answered[members]
        n = sub_answered.sum(axis=0)
        for method in METHODS:
            result, note = _model(sub_values, realizations, quantiles, method, backgrounds, overshoot)
            for j, question in enumerate(questions):
                suppressed = bool(hidden[group][j])
                row: dict[str, Any] = {
                    "question": question.key,
                    "group": group,
                    "method": method,
                    "n": int(n[j]),
                    "suppressed": suppressed,
                    "quantiles": [],
                    "intervals": [],
                    "note": note,
                    **_dm_scores(result),
                }
                if result is not None and not suppressed and n[j] > 0:
                    row["quantiles"] = [float(value) for value in result.dm_quantiles[j]]
                    if method == "equal" and group == PANEL:
                        row["intervals"] = _intervals(sub_values[:, j][sub_answered[:, j]])
                pooled.questions.append(row)
            if result is not None and method != "equal":
                pooled.experts.extend(
                    _expert_rows(result, [e for e, m in zip(experts, members, strict=True) if m], group, method)
                )
    return pooled


def _withheld(answered: np.ndarray, bloc_of: np.ndarray, groups: list[str], k: int) -> dict[str, np.ndarray]:
    """Per group, per question: whether its figures are withheld (too few experts, or derivable)."""
    hidden = {group: np.zeros(answered.shape[1], dtype=bool) for group in groups}
    for j in range(answered.shape[1]):
        who = answered[:, j]
        parts = {group: int((who & (bloc_of == group)).sum()) for group in groups if group != PANEL}
        panel_hidden, blocs_hidden = withheld_groups(int(who.sum()), parts, k=k)
        hidden[PANEL][j] = panel_hidden or not who.any()
        for group in parts:
            hidden[group][j] = group in blocs_hidden or parts[group] == 0
    return hidden


def _model(
    values: np.ndarray,
    realizations: np.ndarray,
    quantiles: Sequence[float],
    method: WeightType,
    backgrounds: list[str],
    overshoot: float,
) -> tuple[ClassicalModelResult | None, str]:
    if not (~np.isnan(values[:, :, 0])).any():
        return None, "no answers"
    try:
        return classical_model(
            values,
            realizations,
            quantiles,
            weights=method,
            overshoot=overshoot,
            background=backgrounds,  # type: ignore[arg-type]
        ), ""
    except ValueError as error:
        return None, str(error)[:200]


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _dm_scores(result: ClassicalModelResult | None) -> dict[str, float | None]:
    if result is None:
        return {"cutoff": None, "dm_calibration": None, "dm_information_seeds": None, "dm_information_all": None}
    return {
        "cutoff": _number(result.cutoff),
        "dm_calibration": _number(result.dm_calibration),
        "dm_information_seeds": _number(result.dm_information_seeds),
        "dm_information_all": _number(result.dm_information_all),
    }


def _intervals(values: np.ndarray) -> list[list[float]]:
    """The answers' quantiles, ordered by their middle value: anonymous, in no order of person or time."""
    middle = values[:, values.shape[1] // 2]
    return [[float(value) for value in values[i]] for i in np.argsort(middle, kind="stable")]


def _expert_rows(result: ClassicalModelResult, experts: list[Any], group: str, method: str) -> list[dict[str, Any]]:
    return [
        {
            "expert": expert,
            "group": group,
            "method": method,
            "n_seeds": int(result.n_seeds_answered[i]),
            "calibration": _number(result.calibration[i]),
            "information_seeds": _number(result.information_seeds[i]),
            "information_all": _number(result.information_all[i]),
            "weight_unnormalised": _number(result.weights_unnormalised[i]),
            "weight_normalised": _number(result.weights_normalised[i]),
        }
        for i, expert in enumerate(experts)
    ]
