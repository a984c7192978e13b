"""The quantity questions' tables (issue 19): the questions, the experts' answers, the pooled distributions per
question (panel and blocs, equal weights and Cooke's classical model) and the experts' scores and weights.

Answers and scores are pseudonymous like the ratings; strict anonymity drops the pseudonym, bloc and day
columns, orders answers by question and values (never by expert), and covers closed rounds only. Pooled rows
and scores come from each round's shown aggregation run (``aggregation.selectors.shown_run``), as on the
results page; a withheld pooled row (fewer than k experts) has empty quantiles there and here.

Small tables (a row per question, answer, or expert and method), each read in one query per round at most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from aggregation.models import ExpertPerformance, PooledQuantity
from aggregation.selectors import shown_run
from elicitation.models import Round
from exports.study_tables import _small_table
from exports.table_types import Column, Scope, Table
from quantities.models import QuantityAnswer, QuantityQuestion

STUDY = Column("study", "string", "The study's identifier (UUID).")
ROUND = Column("round", "int", "Round number, 1 for the first round.")
QUESTION = Column("question", "string", "Quantity question code (see quantity_questions).")
PSEUDONYM = Column("pseudonym", "string", "The expert's stable pseudonym in this study (E-01, E-02, …).")
BLOC = Column("bloc", "string", "The expert's bloc or country group.", "One of the study's blocs.")
GROUP = Column("group", "string", "Whose answers: empty for the whole panel, else a bloc.", "empty = panel; a bloc")
METHOD = Column(
    "method",
    "string",
    "How the answers were pooled.",
    "equal = equal weights; global = classical model, global weights; item = classical model, item weights",
)
QUANTILES = "values at the study's quantiles, lowest first, separated by ';'"
IN_UNIT = "(unit: the question's unit)"


def _numbers(values: list[float]) -> str:
    return ";".join(f"{value:.10g}" for value in values)


def _pseudonym(number: int) -> str:
    return f"E-{number:02d}"


def _rounds(scope: Scope) -> list[tuple[int, int]]:
    """(round id, number) of the exported rounds whose results are shown."""
    return list(Round.objects.filter(pk__in=scope.round_ids).order_by("number").values_list("pk", "number"))


def quantity_questions_table(scope: Scope) -> Table:
    columns = [
        QUESTION,
        Column("area", "string", "The code of the area the question is asked in."),
        Column("title", "string", "The question's wording now."),
        Column("kind", "string", "What is asked.", "quantity; probability (0 to 1)"),
        Column("unit", "string", "The unit answers are given in; empty for a probability."),
        Column("lower_bound", "float", "The lowest possible value; empty if unbounded (unit: the question's unit)."),
        Column("upper_bound", "float", "The highest possible value; empty if unbounded (unit: the question's unit)."),
        Column("scale", "string", "The background scale the information score uses.", "uniform; log"),
        Column("seed", "bool", "Whether it is a seed (calibration) question.", "True; False"),
        Column(
            "realization",
            "float",
            "A seed's true value once a coordinator entered it; empty otherwise (unit: the question's unit).",
        ),
        Column("active", "bool", "Whether the question is still asked.", "True; False"),
    ]

    def rows() -> Iterator[tuple[Any, ...]]:
        return iter(
            QuantityQuestion.objects.filter(study=scope.study)
            .order_by("area__order", "area_id", "order", "id")
            .values_list(
                "code",
                "area__code",
                "title",
                "kind",
                "unit",
                "lower_bound",
                "upper_bound",
                "scale",
                "is_seed",
                "realization",
                "is_active",
            )
        )

    return _small_table(
        "quantity_questions",
        "Quantity questions",
        "Every quantity or probability question of the study, seeds marked, with the true values entered.",
        columns,
        rows,
    )


def quantity_answers_table(scope: Scope) -> Table:
    numbers = [
        Column("lowest", "float", f"IDEA: the lowest plausible value; empty in the quantile format {IN_UNIT}."),
        Column("best", "float", f"IDEA: the best estimate; empty in the quantile format {IN_UNIT}."),
        Column("highest", "float", f"IDEA: the highest plausible value; empty in the quantile format {IN_UNIT}."),
        Column(
            "confidence",
            "float",
            "IDEA: how sure the expert is that the truth lies between lowest and highest (unit: per cent, 50 to 100).",
        ),
        Column("values", "string", "Quantile format: the expert's values; empty for an IDEA answer.", QUANTILES),
    ]
    day = Column("day", "date", "The day (UTC) the answer was last changed; times are coarsened to the day.")
    study = str(scope.study.uuid)
    if scope.strict:
        columns = [STUDY, ROUND, QUESTION, *numbers]
    else:
        columns = [STUDY, ROUND, QUESTION, PSEUDONYM, BLOC, *numbers, day]

    def rows() -> Iterator[tuple[Any, ...]]:
        found = (
            QuantityAnswer.objects.filter(round_id__in=scope.answer_round_ids)
            .order_by("round__number", "question__area__order", "question__order", "question_id", "expert__number")
            .values_list(
                "round__number",
                "question__code",
                "expert__number",
                "expert__bloc",
                "lowest",
                "best",
                "highest",
                "confidence",
                "values",
                "updated_at",
            )
        )
        lines: list[tuple[Any, ...]] = []
        for number, code, expert, bloc, lowest, best, highest, confidence, values, changed in found:
            answer = (lowest, best, highest, confidence, _numbers(values) if values else "")
            if scope.strict:
                lines.append((study, number, code, *answer))
            else:
                day_text = changed.astimezone(dt.UTC).date().isoformat()
                lines.append((study, number, code, _pseudonym(expert), bloc, *answer, day_text))
        if scope.strict:  # by question and values, never by expert
            lines.sort(key=lambda line: (line[1], line[2], *(str(v) for v in line[3:])))
        return iter(lines)

    return _small_table(
        "quantity_answers",
        "Quantity answers",
        "Every expert's answer to every quantity question, one row per round, question and expert.",
        columns,
        rows,
    )


def quantity_pooled_table(scope: Scope) -> Table:
    columns = [
        STUDY,
        ROUND,
        QUESTION,
        GROUP,
        METHOD,
        Column("n", "int", "Experts who answered the question (unit: count of experts)."),
        Column(
            "suppressed",
            "bool",
            "Whether the row is withheld: fewer than k experts, or derivable from the others.",
            "True; False",
        ),
        Column("quantiles", "string", "The decision maker's (the pooled) values; empty when withheld.", QUANTILES),
        Column("cutoff", "float", "The classical model's significance cutoff α (unit: a calibration p-value)."),
        Column("dm_calibration", "float", "The decision maker's calibration score (unit: a p-value, 0 to 1)."),
        Column(
            "dm_information_seeds",
            "float",
            "The decision maker's mean information over the seeds (unit: nats, relative to the background).",
        ),
        Column(
            "dm_information_all",
            "float",
            "The decision maker's mean information over all questions (unit: nats, relative to the background).",
        ),
        Column("note", "string", "Why the method gave no result, if it did not."),
    ]
    study = str(scope.study.uuid)

    def rows() -> Iterator[tuple[Any, ...]]:
        for round_id, number in _rounds(scope):
            run = shown_run(round_id)
            if run is None:
                continue
            found = (
                PooledQuantity.objects.filter(run=run)
                .order_by("question__area__order", "question__order", "question_id", "group", "method")
                .values_list(
                    "question__code",
                    "group",
                    "method",
                    "n",
                    "suppressed",
                    "quantiles",
                    "cutoff",
                    "dm_calibration",
                    "dm_information_seeds",
                    "dm_information_all",
                    "note",
                )
            )
            for code, group, method, n, suppressed, quantiles, *rest in found:
                yield (study, number, code, group, method, n, suppressed, _numbers(quantiles or []), *rest)

    return _small_table(
        "quantity_pooled",
        "Pooled quantities",
        "The pooled distribution of every question per round, for the panel and each bloc, by equal weights and "
        "by Cooke's classical model (global and item weights), from the round's shown results.",
        columns,
        rows,
    )


def quantity_performance_table(scope: Scope) -> Table:
    scores = [
        GROUP,
        METHOD,
        Column("n_seeds", "int", "Seed questions with a true value the expert answered (unit: count of questions)."),
        Column("calibration", "float", "The expert's calibration score (unit: a p-value, 0 to 1)."),
        Column(
            "information_seeds", "float", "Mean information over the seeds (unit: nats, relative to the background)."
        ),
        Column(
            "information_all", "float", "Mean information over all questions (unit: nats, relative to the background)."
        ),
        Column(
            "weight_unnormalised",
            "float",
            "Calibration × information above the cutoff, else 0 (unit: calibration times nats).",
        ),
        Column("weight_normalised", "float", "The weight as a share of the group's weights (unit: share, 0 to 1)."),
    ]
    study = str(scope.study.uuid)
    columns = [STUDY, ROUND, *scores] if scope.strict else [STUDY, ROUND, PSEUDONYM, *scores]

    def rows() -> Iterator[tuple[Any, ...]]:
        for round_id, number in _rounds(scope):
            run = shown_run(round_id)
            if run is None or (scope.strict and round_id in scope.open_round_ids):
                continue
            found = (
                ExpertPerformance.objects.filter(run=run)
                .order_by("group", "method", "expert__number")
                .values_list(
                    "expert__number",
                    "group",
                    "method",
                    "n_seeds",
                    "calibration",
                    "information_seeds",
                    "information_all",
                    "weight_unnormalised",
                    "weight_normalised",
                )
            )
            lines = [
                (study, number, *row[1:]) if scope.strict else (study, number, _pseudonym(row[0]), *row[1:])
                for row in found
            ]
            if scope.strict:
                lines.sort(key=lambda line: tuple(str(v) for v in line))
            yield from lines

    return _small_table(
        "quantity_performance",
        "Experts' scores and weights",
        "Each expert's calibration, information and weight per round under each method, in the panel and in "
        "their bloc (Cooke's classical model; see docs/metrics.md), from the round's shown results.",
        columns,
        rows,
    )
