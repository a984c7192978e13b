"""A coordinator trying the round form (preview or pilot) sees the quantity questions, never posting them to the
expert's endpoints (which would refuse a coordinator): disabled, without an action."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from elicitation.models import Round
from quantities.models import QuantityAnswer
from tests.factories import make_round

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mode", ["", "pilot"])
def test_the_tried_form_shows_quantity_questions_disabled_and_posting_nowhere(study_a, coordinator_a, questions, mode):
    round_ = make_round(study_a, status=Round.Status.DRAFT)
    client = Client()
    client.force_login(coordinator_a)
    url = reverse("round-try", kwargs={"study_uuid": study_a.uuid, "round_uuid": round_.uuid})
    for language in ("en", "zh-hans"):
        page = client.get(url, {"mode": mode, "language": language} if mode else {"language": language})
        body = page.content.decode()
        assert page.status_code == 200
        assert questions["seed"].title in body
        for question in questions.values():
            assert reverse("expert-quantity-save", args=[round_.uuid, question.uuid]) not in body
            assert reverse("expert-quantity-dissent", args=[round_.uuid, question.uuid]) not in body
        assert body.count("<fieldset disabled>") >= len(questions)
    assert not QuantityAnswer.objects.exists()
