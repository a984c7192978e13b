"""The aggregation job pools quantity answers as a step of its own, into rows of the run."""

from __future__ import annotations

import pytest

from aggregation.models import AggregationRun, ExpertPerformance, PooledQuantity
from aggregation.services import round_aggregate
from elicitation.models import Round
from quantities.models import QuantityAnswer
from tests.factories import make_round, mark_submitted
from tests.quantities.conftest import answer_all

pytestmark = pytest.mark.django_db


def test_the_job_stores_pooled_rows_per_question_group_and_method(quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(round_, list(quantity_study.quantity_questions.all()))
    run = round_aggregate(round_id=round_.pk)
    assert run.status == AggregationRun.Status.DONE
    rows = PooledQuantity.objects.filter(run=run)
    assert rows.count() == 3 * 3 * 3  # questions x (panel + two blocs) x methods
    target = rows.get(question__code="t1", group="", method="global")
    assert target.n == 10
    assert len(target.quantiles) == 3
    assert target.cutoff is not None
    assert target.dm_calibration is not None
    assert len(rows.get(question__code="t1", group="", method="equal").intervals) == 10
    assert rows.get(question__code="t1", group="China", method="equal").intervals == []  # the panel's only
    performance = ExpertPerformance.objects.filter(run=run, group="", method="global")
    assert performance.count() == 10
    weights = [row.weight_normalised for row in performance]
    assert None not in weights
    assert sum(weight for weight in weights if weight is not None) == pytest.approx(1.0)
    assert {row.n_seeds for row in performance} == {2}


def test_only_submitted_answers_count_unless_the_rule_counts_every_saved_one(quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(round_, list(quantity_study.quantity_questions.all()), submitted=False)
    mark_submitted(round_, quantity_study.experts.order_by("number")[:6])
    run = round_aggregate(round_id=round_.pk)
    assert PooledQuantity.objects.get(run=run, question__code="t1", group="", method="equal").n == 6


def test_a_new_quantity_answer_makes_a_live_job_compute_again(quantity_study):
    round_ = make_round(quantity_study, status=Round.Status.OPEN)
    questions = list(quantity_study.quantity_questions.all())
    answer_all(round_, questions[:2])
    first = round_aggregate(round_id=round_.pk, trigger=AggregationRun.Trigger.RATINGS)
    assert first.status == AggregationRun.Status.DONE
    same = round_aggregate(round_id=round_.pk, trigger=AggregationRun.Trigger.RATINGS)
    assert same.status == AggregationRun.Status.SKIPPED
    QuantityAnswer.objects.create(
        round=round_,
        expert=quantity_study.experts.first(),
        question=questions[2],
        lowest=1,
        best=2,
        highest=3,
        confidence=90,
    )
    again = round_aggregate(round_id=round_.pk, trigger=AggregationRun.Trigger.RATINGS)
    assert again.status == AggregationRun.Status.DONE
    assert PooledQuantity.objects.get(run=again, question=questions[2], group="", method="equal").n == 1


def test_a_round_without_quantity_questions_writes_no_quantity_rows(quantity_study):
    quantity_study.quantity_questions.update(is_active=False)
    round_ = make_round(quantity_study, status=Round.Status.CLOSED)
    run = round_aggregate(round_id=round_.pk)
    assert run.status == AggregationRun.Status.DONE
    assert not PooledQuantity.objects.exists()
