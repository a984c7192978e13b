"""Studies in the operator's admin: each with its panel and round counts, found by title or UUID."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elicitation.models import Round
from elicitation.rounds.services.lifecycle import round_close
from tests.admin_support import client_for, fill_study, viewer  # noqa: F401
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def test_each_study_shows_how_many_experts_and_rounds_it_has(viewer):  # noqa: F811
    large = fill_study(experts=4, title="Large")
    round_close(round=large.round, user=None, reason="test")  # the next round is planned once this one is over
    make_round(large.study, status=Round.Status.DRAFT)
    fill_study(experts=2, title="Small")
    response = client_for(viewer).get(reverse("admin:elicitation_study_changelist"))
    counts = {str(study): (study.expert_total, study.round_total) for study in response.context["cl"].result_list}
    assert counts == {"Large": (4, 2), "Small": (2, 1)}


def test_a_study_is_found_by_its_uuid(viewer):  # noqa: F811
    wanted = fill_study(experts=2, title="Wanted").study
    fill_study(experts=2, title="Other")
    response = client_for(viewer).get(reverse("admin:elicitation_study_changelist"), {"q": str(wanted.uuid)})
    assert list(response.context["cl"].result_list) == [wanted]
