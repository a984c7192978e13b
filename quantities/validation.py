"""Checks of a quantity answer against its question and the study's format, worded for the expert.

The same rules as ``analysis.metrics.idea.idea_answer_errors`` (Hemming et al. 2018), with messages in
the expert's language that name the question; the database's check constraints hold the core of them too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from analysis.metrics.idea import MAX_CONFIDENCE, MIN_CONFIDENCE
from quantities.models import QuantityFormat, QuantityQuestion


@dataclass(frozen=True)
class PostedAnswer:
    """What an expert posted for one question; None is a field left empty or not a number."""

    lowest: float | None = None
    best: float | None = None
    highest: float | None = None
    confidence: float | None = None
    values: tuple[float | None, ...] = ()


def parse_number(text: object) -> float | None:
    """A posted number: decimal point or comma, surrounding spaces ignored; None when empty or not finite."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", ".").replace("%", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def bounds_of(question: QuantityQuestion) -> tuple[float | None, float | None]:
    if question.is_probability:
        return 0.0, 1.0
    return question.lower_bound, question.upper_bound


def value_problem(question: QuantityQuestion, value: float | None) -> str | None:
    """Why one value cannot be an answer to ``question``, or None."""
    if value is None:
        return _("Enter a number.")
    lower, upper = bounds_of(question)
    if question.is_probability and not 0.0 <= value <= 1.0:
        return _("A probability lies between 0 and 1; %(value)s does not.") % {"value": f"{value:g}"}
    if lower is not None and value < lower:
        return _("Must not be below %(bound)s.") % {"bound": f"{lower:g}"}
    if upper is not None and value > upper:
        return _("Must not be above %(bound)s.") % {"bound": f"{upper:g}"}
    if question.scale == QuantityQuestion.Scale.LOG and value <= 0:
        return _("Must be above 0 on a logarithmic scale.")
    return None


def answer_problems(question: QuantityQuestion, form: QuantityFormat, posted: PostedAnswer) -> dict[str, str]:
    """Field name -> why, for one answer (empty when valid). Field names: lowest, best, highest, confidence, q0…"""
    if form.format == QuantityFormat.Format.IDEA:
        return _idea_problems(question, posted)
    return _quantile_problems(question, form, posted)


def _idea_problems(question: QuantityQuestion, posted: PostedAnswer) -> dict[str, str]:
    problems: dict[str, str] = {}
    values = {"lowest": posted.lowest, "best": posted.best, "highest": posted.highest}
    for name, value in values.items():
        if problem := value_problem(question, value):
            problems[name] = problem
    low, best, high = (values[name] if name not in problems else None for name in values)
    if low is not None and best is not None and low > best:
        problems["lowest"] = _("The lowest estimate is above the best estimate.")
    if best is not None and high is not None and best > high:
        problems["highest"] = _("The highest estimate is below the best estimate.")
    if not problems and low == high:
        problems["highest"] = _("The highest estimate must be above the lowest.")
    confidence = posted.confidence
    if confidence is None or not MIN_CONFIDENCE <= confidence <= MAX_CONFIDENCE:
        message = _("Enter a confidence between %(low)d%% and %(high)d%%.")
        problems["confidence"] = message % {"low": MIN_CONFIDENCE, "high": MAX_CONFIDENCE}
    return problems


def _quantile_problems(question: QuantityQuestion, form: QuantityFormat, posted: PostedAnswer) -> dict[str, str]:
    problems: dict[str, str] = {}
    levels = list(form.quantiles)
    values = list(posted.values) + [None] * (len(levels) - len(posted.values))
    for index, value in enumerate(values[: len(levels)]):
        if problem := value_problem(question, value):
            problems[f"q{index}"] = problem
    for index in range(1, len(levels)):
        before, value = values[index - 1], values[index]
        if f"q{index}" in problems or f"q{index - 1}" in problems or before is None or value is None:
            continue
        if value <= before:
            problems[f"q{index}"] = _("Each value must be above the one for the lower percentile.")
    return problems
