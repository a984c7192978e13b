"""IDEA-protocol answers (lowest, best, highest, confidence) standardised to a study's quantiles.

Hemming, Burgman, Hanea, McBride & Wintle (2018), "A practical guide to structured expert elicitation using
the IDEA protocol", Methods Ecol. Evol. 9:169-180. Each expert gives a lowest and a highest plausible value,
a best estimate, and their confidence (50-100%) that the truth lies between lowest and highest. Before
pooling, every answer is brought to the same quantiles by linear extrapolation of the interval to the
stated confidence (Hemming et al. 2018, "Aggregate"):

- the best estimate is the median (quantile 0.5);
- [lowest, highest] is the central interval holding ``confidence`` of the probability, so lowest is the
  quantile (1 - c)/2 and highest (1 + c)/2;
- a quantile q < 0.5 is the central interval of coverage s = 1 - 2q scaled from it:
  x_q = best - (best - lowest) * s / c; for q > 0.5, s = 2q - 1 and x_q = best + (highest - best) * s / c.

So 5%/95% from an 80% interval (s/c = 0.9/0.8) widens each side by 12.5%; confidence 100% means the bounds
are absolute and 5%/95% lie 90% of the way from the best estimate to them. On a log background the rule is
applied to ln(value) (every value must then be positive). The result is clipped to the question's bounds
(0 and 1 for a probability). The details and edge cases are in ``docs/metrics.md`` ("IDEA standardisation").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from ._inputs import FloatArray, to_float_array

Scale: TypeAlias = Literal["uniform", "log"]
MIN_CONFIDENCE = 50.0
MAX_CONFIDENCE = 100.0
FIELDS = ("lowest", "best", "highest", "confidence")


class IdeaAnswerError(ValueError):
    """An IDEA answer that cannot be standardised; ``errors`` maps each offending field to why."""

    def __init__(self, question: str, errors: dict[str, str]) -> None:
        self.question = question
        self.errors = errors
        details = "; ".join(f"{field}: {message}" for field, message in errors.items())
        super().__init__(f"question {question}: {details}")


@dataclass(frozen=True)
class IdeaAnswer:
    """One expert's answer to one question; confidence in percent. None is a field left empty."""

    lowest: float | None
    best: float | None
    highest: float | None
    confidence: float | None


def idea_answer_errors(
    answer: IdeaAnswer,
    *,
    lower_bound: float | None = None,
    upper_bound: float | None = None,
    scale: Scale = "uniform",
    probability: bool = False,
) -> dict[str, str]:
    """Why an answer cannot be used, by field (empty when it is valid). Hemming et al. (2018).

    A probability question has bounds 0 and 1 whatever ``lower_bound``/``upper_bound`` say. Refused: a
    missing or non-finite value; a value outside the bounds; lowest above best or best above highest;
    lowest equal to highest (no interval to extrapolate); confidence outside 50-100%; on a log scale a value
    that is not positive.
    """
    if probability:
        lower_bound, upper_bound = 0.0, 1.0
    errors: dict[str, str] = {}
    values = {"lowest": answer.lowest, "best": answer.best, "highest": answer.highest}
    for field, value in values.items():
        if value is None or not np.isfinite(value):
            errors[field] = "enter a number"
        elif probability and not 0.0 <= value <= 1.0:
            errors[field] = f"a probability must lie between 0 and 1, got {value:g}"
        elif lower_bound is not None and value < lower_bound:
            errors[field] = f"must not be below {lower_bound:g}, got {value:g}"
        elif upper_bound is not None and value > upper_bound:
            errors[field] = f"must not be above {upper_bound:g}, got {value:g}"
        elif scale == "log" and value <= 0:
            errors[field] = f"must be above 0 on a logarithmic scale, got {value:g}"
    lowest, best, highest = (values[field] if field not in errors else None for field in values)
    if lowest is not None and best is not None and lowest > best:
        errors["lowest"] = "the lowest estimate is above the best estimate"
    if best is not None and highest is not None and best > highest:
        errors["highest"] = "the highest estimate is below the best estimate"
    if not errors and lowest == highest:
        errors["highest"] = "the highest estimate must be above the lowest"
    confidence = answer.confidence
    if confidence is None or not np.isfinite(confidence):
        errors["confidence"] = "enter a confidence between 50% and 100%"
    elif not MIN_CONFIDENCE <= confidence <= MAX_CONFIDENCE:
        errors["confidence"] = f"must be between 50% and 100%, got {confidence:g}%"
    return errors


def standardise_idea(
    lowest: ArrayLike,
    best: ArrayLike,
    highest: ArrayLike,
    confidence: ArrayLike,
    quantiles: ArrayLike,
    *,
    lower_bound: float | None = None,
    upper_bound: float | None = None,
    scale: Scale = "uniform",
    probability: bool = False,
    question: str = "",
) -> FloatArray:
    """IDEA answers as values at ``quantiles`` by linear extrapolation to the stated confidence.

    Hemming et al. (2018), Methods Ecol. Evol. 9:169. ``lowest``, ``best``, ``highest`` and ``confidence``
    (percent, 50-100) broadcast together (e.g. experts x items); the result has their shape plus one axis of
    ``quantiles`` (e.g. experts x items x Q), ready for :func:`analysis.metrics.cooke.classical_model`.
    NaN in all four fields is an unanswered question and gives NaN quantiles. Anything else that
    :func:`idea_answer_errors` refuses raises :class:`IdeaAnswerError` naming ``question`` (and the index
    of the answer, for arrays) and the fields.
    """
    if scale not in ("uniform", "log"):
        raise ValueError(f"scale must be 'uniform' or 'log', got {scale!r}")
    q = to_float_array(quantiles, "quantiles")
    if q.ndim != 1 or q.size == 0 or not ((q > 0) & (q < 1)).all() or (np.diff(q) <= 0).any():
        raise ValueError(f"quantiles must increase strictly within (0, 1), got {q.tolist()}")
    if probability:
        lower_bound, upper_bound = 0.0, 1.0
    fields = [
        to_float_array(value, name) for value, name in zip((lowest, best, highest, confidence), FIELDS, strict=True)
    ]
    low, mid, high, conf = np.broadcast_arrays(*fields)
    unanswered = np.isnan(low) & np.isnan(mid) & np.isnan(high) & np.isnan(conf)
    _check_all(low, mid, high, conf, unanswered, lower_bound, upper_bound, scale, probability, question)
    if scale == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            low, mid, high = np.log(low), np.log(mid), np.log(high)
    coverage = np.abs(2.0 * q - 1.0)  # of the central interval whose end is the quantile
    ratio = coverage / (conf[..., None] / 100.0)
    below = mid[..., None] - (mid - low)[..., None] * ratio
    above = mid[..., None] + (high - mid)[..., None] * ratio
    values = np.where(q < 0.5, below, np.where(q > 0.5, above, mid[..., None]))
    if scale == "log":
        values = np.exp(values)
    if lower_bound is not None or upper_bound is not None:
        values = np.clip(values, lower_bound, upper_bound)
    return np.where(unanswered[..., None], np.nan, values)


def _check_all(
    low: FloatArray,
    mid: FloatArray,
    high: FloatArray,
    conf: FloatArray,
    unanswered: np.ndarray,
    lower_bound: float | None,
    upper_bound: float | None,
    scale: Scale,
    probability: bool,
    question: str,
) -> None:
    """Raise :class:`IdeaAnswerError` for the first answer :func:`idea_answer_errors` refuses."""
    with np.errstate(invalid="ignore"):
        plain = np.isfinite(low) & np.isfinite(mid) & np.isfinite(high) & np.isfinite(conf)
        plain &= (low <= mid) & (mid <= high) & (low < high)
        plain &= (conf >= MIN_CONFIDENCE) & (conf <= MAX_CONFIDENCE)
        if lower_bound is not None:
            plain &= low >= lower_bound
        if upper_bound is not None:
            plain &= high <= upper_bound
        if scale == "log":
            plain &= low > 0
    # Only the answers the quick checks doubt go through the field-by-field checks (and their messages).
    for found in np.argwhere(~plain & ~unanswered):
        index = tuple(int(position) for position in found)
        answer = IdeaAnswer(float(low[index]), float(mid[index]), float(high[index]), float(conf[index]))
        errors = idea_answer_errors(
            answer, lower_bound=lower_bound, upper_bound=upper_bound, scale=scale, probability=probability
        )
        if errors:
            where = f"{question} (answer {index[0] if len(index) == 1 else index})" if index else question
            raise IdeaAnswerError(where, errors)
