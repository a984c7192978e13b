"""Experts never see a seed's true value, nor anything computed from it, while the study runs (issue 19)."""

from __future__ import annotations

import pytest

from aggregation.services import round_aggregate
from elicitation.models import Round
from elicitation.setup.services.tokens import token_issue
from quantities.models import QuantityQuestion
from tests.factories import make_round
from tests.quantities.conftest import HTMX, answer_all, idea_data

pytestmark = pytest.mark.django_db

TRUTHS = {"s1": 25.0173, "s2": 31.4159}


def test_no_truth_reaches_an_expert_in_the_next_rounds_feedback_or_saves(client, quantity_study):
    questions = list(quantity_study.quantity_questions.order_by("order"))
    for code, truth in TRUTHS.items():
        QuantityQuestion.objects.filter(study=quantity_study, code=code).update(realization=truth)
    first = make_round(quantity_study, status=Round.Status.CLOSED)
    answer_all(first, questions)
    round_aggregate(round_id=first.pk)
    second = make_round(quantity_study, status=Round.Status.OPEN)
    expert = quantity_study.experts.earliest("number")
    client.get(f"/e/{token_issue(expert=expert)}/")
    client.post("/e/consent/", {"consent": "yes"})
    pages = [client.get("/e/round/").content.decode()]
    for question in questions:  # answering shows the feedback of round 1 beside each question
        url = f"/e/round/{second.uuid}/quantity/{question.uuid}/"
        pages.append(client.post(url, idea_data(question, "11", "22", "44", "80"), **HTMX).content.decode())
        pages.append(client.post(f"{url}dissent/", {"text": "Too narrow."}, **HTMX).content.decode())
    pages.append(client.get("/e/round/").content.decode())
    assert "quantity-feedback" in pages[-1]  # the feedback is there...
    for page in pages:  # ...and neither a truth nor the seeds' marks, nor the weights derived from the truths
        for truth in TRUTHS.values():
            assert f"{truth:g}" not in page
            assert f"{truth:.4g}" not in page
        assert "seed" not in page.lower()
        assert "global weights" not in page.lower()
        assert 'class="truth"' not in page
