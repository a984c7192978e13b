"""After their own answer an expert sees the panel's anonymous intervals and the pooled distribution."""

from __future__ import annotations

import pytest

from aggregation.services import round_aggregate
from elicitation.models import Round, Study
from quantities.models import QuantityAnswer
from tests.factories import make_round, mark_submitted
from tests.quantities.conftest import HTMX, idea_data

pytestmark = pytest.mark.django_db


def first_round_answered(study: Study, question, count: int) -> Round:
    first = make_round(study, status=Round.Status.CLOSED)
    experts = list(study.experts.order_by("number")[:count])
    QuantityAnswer.objects.bulk_create(
        QuantityAnswer(
            round=first, expert=e, question=question, lowest=10 + i, best=20 + i, highest=40 + i, confidence=80
        )
        for i, e in enumerate(experts)
    )
    mark_submitted(first, experts)
    round_aggregate(round_id=first.pk)
    return first


def test_after_answering_the_expert_sees_the_panels_intervals_and_the_pooled_one(expert_client, study_a, questions):
    target = questions["target"]
    first_round_answered(study_a, target, 8)
    second = make_round(study_a, status=Round.Status.OPEN)
    page = expert_client.get("/e/round/").content.decode()
    assert "How 8 experts answered in round 1" not in page  # "after own answer": not before answering
    response = expert_client.post(
        f"/e/round/{second.uuid}/quantity/{target.uuid}/", idea_data(target, "12", "25", "45", "70"), **HTMX
    )
    body = response.content.decode()
    assert "How 8 experts answered in round 1:" in body
    assert body.count('<line x1="') == 9  # eight experts' ranges and the pooled one
    assert "Pooled (equal weights):" in body
    assert "Your answer then: 10 · 20 · 40" in body  # expert A answered in round 1 too
    page = expert_client.get("/e/round/").content.decode()
    assert "How 8 experts answered in round 1:" in page


def test_feedback_standing_on_fewer_than_k_experts_is_withheld(expert_client, study_a, questions):
    target = questions["target"]
    first_round_answered(study_a, target, 4)  # k = 5
    second = make_round(study_a, status=Round.Status.OPEN)
    body = expert_client.post(
        f"/e/round/{second.uuid}/quantity/{target.uuid}/", idea_data(target, "12", "25", "45", "70"), **HTMX
    ).content.decode()
    assert "The panel's answers are shown once at least 5 experts have answered." in body
    assert "<line" not in body


def test_feedback_is_in_chinese_for_a_chinese_expert(expert_client, expert_a, study_a, questions):
    target = questions["target"]
    first_round_answered(study_a, target, 8)
    second = make_round(study_a, status=Round.Status.OPEN)
    type(expert_a).objects.filter(pk=expert_a.pk).update(language="zh-hans")
    body = expert_client.post(
        f"/e/round/{second.uuid}/quantity/{target.uuid}/", idea_data(target, "12", "25", "45", "70"), **HTMX
    ).content.decode()
    assert "已保存" in body
    assert "第 1 轮" in body
