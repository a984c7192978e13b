"""What the expert's form shows of quantity questions: each question, the expert's answer, the feedback.

Seeds and targets look the same here: nothing about a question tells the expert it is a seed, and no true
value is read. Feedback comes from the shown (published) aggregation run of the round that feeds back
(``elicitation.expert.selectors.feedback_source``): the other experts' anonymous intervals and the
equal-weight pooled distribution, both withheld where fewer than k experts stand behind them. The
performance-weighted decision maker is not shown to experts while the study runs: its weights depend on
the seeds' true values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from aggregation.models import PooledQuantity, PoolMethod
from aggregation.selectors import shown_runs
from analysis.disclosure import dissent_disclosed
from elicitation.expert.selectors import feedback_source
from elicitation.models import Expert, ItemStatement, Round, StatementKind, Study
from elicitation.models.statements import STATEMENT_MAX_LENGTH
from elicitation.rounds.dissent import question_dissent_counts
from quantities.models import QuantityAnswer, QuantityFormat, QuantityQuestion
from quantities.services import answer_field, format_of

CHART_WIDTH = 300.0
ROW_HEIGHT = 8.0


@dataclass
class Field:
    name: str
    label: str
    value: str
    error: str = ""
    hint: str = ""


@dataclass
class Line:
    """One interval of the feedback chart, in viewBox units."""

    x1: float
    x2: float
    middle: float
    y: float
    pooled: bool = False


@dataclass
class QuestionFeedback:
    n: int
    suppressed: bool
    source_number: int
    live: bool
    pooled: list[float] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    height: float = 0.0
    axis: tuple[str, str] = ("", "")
    own_previous: list[str] = field(default_factory=list)

    @property
    def pooled_text(self) -> list[str]:
        return [number_text(value) for value in self.pooled]


@dataclass
class QuestionBlock:
    question: QuantityQuestion
    title: str
    description: str
    unit: str
    fields: list[Field]
    answered: bool
    feedback: QuestionFeedback | None
    feedback_shown: bool
    status: str = ""
    error: str = ""
    dissent: str = ""  # the expert's own statement of dissent in this round
    # Dissent in the feedback's round: a count (k or more), None (1 to k - 1: "recorded"), 0 (none).
    panel_dissent: int | None = 0
    dissent_errors: list[str] = field(default_factory=list)
    dissent_status: str = ""
    statement_max_length: int = STATEMENT_MAX_LENGTH

    @property
    def dom_id(self) -> str:
        return f"quantity-{self.question.uuid}"

    @property
    def dissent_field(self) -> str:
        return f"dissent-q-{self.question.pk}"


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def percent_label(level: float) -> str:
    return f"{level * 100:g}"


def answer_fields(
    question: QuantityQuestion,
    form: QuantityFormat,
    answer: QuantityAnswer | None,
    posted: dict[str, str] | None = None,
) -> list[Field]:
    """The inputs of one question, filled from the posted text or the saved answer."""
    posted = posted or {}

    def value(name: str, saved: float | None) -> str:
        key = answer_field(question, name)
        return posted[key] if key in posted else _text(saved)

    if form.format == QuantityFormat.Format.IDEA:
        labels = {
            "lowest": _("Lowest plausible value"),
            "highest": _("Highest plausible value"),
            "best": _("Best estimate"),
            "confidence": _(
                "How sure are you, in per cent (50 to 100), that the truth lies between your lowest and highest values?"
            ),
        }
        return [
            Field(answer_field(question, name), label, value(name, getattr(answer, name, None)))
            for name, label in labels.items()
        ]
    saved = list(answer.values) if answer is not None else []
    return [
        Field(
            answer_field(question, f"q{index}"),
            _("%(level)s%% percentile: a value you think the truth is below with %(level)s%% probability")
            % {"level": percent_label(level)},
            value(f"q{index}", saved[index] if index < len(saved) else None),
        )
        for index, level in enumerate(form.quantiles)
    ]


def asked_questions(study: Study) -> list[QuantityQuestion]:
    return list(
        QuantityQuestion.objects.filter(study=study, is_active=True, area__is_active=True)
        .select_related("area")
        .order_by("area__order", "area_id", "order", "id")
    )


def question_blocks(
    *, expert: Expert, round_: Round, language: str, only: Iterable[QuantityQuestion] | None = None
) -> list[QuestionBlock]:
    """Every asked question (or ``only`` these) with the expert's answer, its feedback and the dissent on it:
    eight queries."""
    study = expert.study
    questions = list(only) if only is not None else asked_questions(study)
    if not questions:
        return []
    form = format_of(study)
    ids = [question.pk for question in questions]
    answers = {
        a.question_id: a for a in QuantityAnswer.objects.filter(round=round_, expert=expert, question_id__in=ids)
    }
    feedback = _feedback(expert=expert, round_=round_, question_ids=ids, levels=list(form.quantiles))
    own_dissent = dict(
        ItemStatement.objects.filter(
            round=round_, expert=expert, kind=StatementKind.DISSENT, question_id__in=ids
        ).values_list("question_id", "text")
    )
    source = feedback_source(round_)
    # A closed round's dissent only, as for ratings (elicitation.expert.forms): never the live round's.
    closed = source is not None and source.pk != round_.pk
    dissenters = question_dissent_counts([source.pk]) if closed and source is not None else {}
    blocks = []
    for question in questions:
        texts = question.localized(language)
        answered = question.pk in answers
        shown = study.feedback_timing == Study.FeedbackTiming.BEFORE or answered
        blocks.append(
            QuestionBlock(
                question=question,
                title=texts["title"],
                description=texts["description"],
                unit=texts["unit"],
                fields=answer_fields(question, form, answers.get(question.pk)),
                answered=answered,
                feedback=feedback.get(question.pk),
                feedback_shown=shown,
                dissent=own_dissent.get(question.pk, ""),
                panel_dissent=0
                if source is None
                else dissent_disclosed(dissenters.get((source.pk, question.pk), 0), k=study.min_group_size),
            )
        )
    return blocks


def _feedback(
    *, expert: Expert, round_: Round, question_ids: list[int], levels: list[float]
) -> dict[int, QuestionFeedback]:
    source = feedback_source(round_)
    if source is None:
        return {}
    rows = PooledQuantity.objects.filter(
        run_id__in=shown_runs([source.pk]), question_id__in=question_ids, group="", method=PoolMethod.EQUAL
    ).values_list("question_id", "n", "suppressed", "quantiles", "intervals")
    own = {}
    if source.pk != round_.pk:
        own = {
            a.question_id: a
            for a in QuantityAnswer.objects.filter(round=source, expert=expert, question_id__in=question_ids)
        }
    result = {}
    for question_id, n, suppressed, pooled, intervals in rows:
        item = QuestionFeedback(n=n, suppressed=suppressed, source_number=source.number, live=source.pk == round_.pk)
        if not suppressed and pooled:
            item.pooled = pooled
            item.lines, item.height, item.axis = chart(intervals, pooled)
        if question_id in own:
            item.own_previous = _own_values(own[question_id])
        result[question_id] = item
    return result


def number_text(value: float) -> str:
    """A figure for the expert, to four significant digits (answers are estimates, not measurements)."""
    return f"{value:.4g}"


def _own_values(answer: QuantityAnswer) -> list[str]:
    if answer.lowest is not None:
        return [number_text(value) for value in (answer.lowest, answer.best, answer.highest) if value is not None]
    return [number_text(value) for value in answer.values]


def chart(intervals: Sequence[Sequence[float]], pooled: Sequence[float]) -> tuple[list[Line], float, tuple[str, str]]:
    """Lines of the interval chart: each answer's outer quantiles and middle, then the pooled one, in viewBox units."""
    everything = [value for interval in [*intervals, pooled] for value in interval if math.isfinite(value)]
    low, high = min(everything), max(everything)
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return round(10 + (value - low) / span * (CHART_WIDTH - 20), 2)

    lines = []
    for index, interval in enumerate([*intervals, pooled]):
        middle = interval[len(interval) // 2]
        is_pooled = index == len(intervals)
        y = (index + 1) * ROW_HEIGHT + (ROW_HEIGHT if is_pooled else 0)
        lines.append(Line(x1=x(interval[0]), x2=x(interval[-1]), middle=x(middle), y=y, pooled=is_pooled))
    height = (len(intervals) + 3) * ROW_HEIGHT
    return lines, height, (f"{low:.3g}", f"{high:.3g}")


def posted_text(data: Any, question: QuantityQuestion, form: QuantityFormat) -> dict[str, str]:
    """The posted inputs of one question, as typed (for re-showing them with errors)."""
    names = ["lowest", "best", "highest", "confidence"]
    if form.format == QuantityFormat.Format.QUANTILES:
        names = [f"q{index}" for index in range(len(form.quantiles))]
    return {answer_field(question, name): str(data.get(answer_field(question, name), "")) for name in names}
