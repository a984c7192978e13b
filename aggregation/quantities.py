"""The aggregation job's quantity step: read a round's counted quantity answers, pool them, append the rows.

Called from ``aggregation.services`` in two places, each a small delimited edit: :func:`quantity_inputs` in
the consistent read (its digest joins the run's recipe, so a new quantity answer makes the inputs differ)
and :func:`quantity_rows_insert` in the transaction that writes the run's rows. The pooling itself is pure
(``analysis.pooling``). Answers count as ratings do: those of experts who submitted the round, or every
saved answer when the round's rule says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from aggregation.inclusion import counted
from aggregation.models import AggregationRun, ExpertPerformance, PooledQuantity
from analysis.pooling import Answer, Pooled, Question, pool_round
from elicitation.models import Expert, Round
from quantities.models import QuantityAnswer, QuantityFormat, QuantityQuestion


@dataclass(frozen=True)
class QuantityInputs:
    answers: list[Answer]
    questions: list[Question]
    blocs: dict[int, str]
    quantiles: list[float]
    idea: bool
    overshoot: float

    def digest(self) -> str:
        """SHA-256 of every input the pooled rows depend on (answers, questions with truths, format)."""
        payload = json.dumps(
            [
                sorted(
                    (a.expert, a.question, a.lowest, a.best, a.highest, a.confidence, list(a.values))
                    for a in self.answers
                ),
                [(q.key, q.probability, q.lower_bound, q.upper_bound, q.scale, q.realization) for q in self.questions],
                sorted(self.blocs.items()),
                self.quantiles,
                self.idea,
                self.overshoot,
            ],
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def counted_answers(round_id: int) -> Any:
    """The round's quantity answers that results count (one lazy query), as ``counted_ratings`` counts ratings."""
    return counted(QuantityAnswer.objects.filter(round_id=round_id))


def quantity_inputs(round_: Round) -> QuantityInputs:
    """Everything the round's pooling reads (four queries); call inside the job's consistent read."""
    study_id = round_.study_id
    form = QuantityFormat.objects.filter(study_id=study_id).first() or QuantityFormat(study_id=study_id)
    questions = [
        Question(
            key=pk,
            probability=kind == QuantityQuestion.Kind.PROBABILITY,
            lower_bound=lower,
            upper_bound=upper,
            scale=scale,
            realization=realization if is_seed else None,
        )
        for pk, kind, lower, upper, scale, is_seed, realization in QuantityQuestion.objects.filter(
            study_id=study_id, is_active=True
        )
        .order_by("area__order", "area_id", "order", "id")
        .values_list("pk", "kind", "lower_bound", "upper_bound", "scale", "is_seed", "realization")
    ]
    asked = {question.key for question in questions}
    fields = ("expert_id", "question_id", "lowest", "best", "highest", "confidence", "values")
    answers = [
        Answer(expert, question, lowest, best, highest, confidence, tuple(values or ()))
        for expert, question, lowest, best, highest, confidence, values in counted_answers(round_.pk).values_list(
            *fields
        )
        if question in asked
    ]
    blocs = dict(Expert.objects.filter(study_id=study_id).values_list("id", "bloc")) if answers else {}
    return QuantityInputs(
        answers=answers,
        questions=questions,
        blocs={expert: bloc for expert, bloc in blocs.items() if expert in {a.expert for a in answers}},
        quantiles=[float(level) for level in form.quantiles],
        idea=form.format == QuantityFormat.Format.IDEA,
        overshoot=float(form.overshoot),
    )


def pool_inputs(inputs: QuantityInputs, *, min_group_size: int) -> Pooled:
    return pool_round(
        inputs.answers,
        inputs.questions,
        inputs.blocs,
        quantiles=inputs.quantiles,
        idea=inputs.idea,
        min_group_size=min_group_size,
        overshoot=inputs.overshoot,
    )


def quantity_rows_insert(run: AggregationRun, pooled: Pooled) -> None:
    """Append the pooled rows of ``run`` (two bulk inserts; nothing when the round has no quantity answers)."""
    common = {"run": run, "round_id": run.round_id}
    PooledQuantity.objects.bulk_create(
        (
            PooledQuantity(
                question_id=row["question"],
                group=row["group"],
                method=row["method"],
                n=row["n"],
                suppressed=row["suppressed"],
                quantiles=row["quantiles"],
                intervals=row["intervals"],
                cutoff=row["cutoff"],
                dm_calibration=row["dm_calibration"],
                dm_information_seeds=row["dm_information_seeds"],
                dm_information_all=row["dm_information_all"],
                note=row["note"],
                **common,
            )
            for row in pooled.questions
        ),
        batch_size=2000,
    )
    ExpertPerformance.objects.bulk_create(
        (ExpertPerformance(expert_id=row.pop("expert"), **row, **common) for row in pooled.experts), batch_size=2000
    )
