"""The dashboard over results written by the real aggregation job, not hand-built rows: the two agree on shapes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from aggregation.services import round_aggregate
from elicitation.models import Round
from tests.factories import make_experts, make_round, make_study, rate_everything

pytestmark = pytest.mark.django_db
PAGES = ["overview", "map", "consensus", "convergence", "divided", "report"]


def test_every_page_reads_what_the_job_stored(client, coordinator_a):
    study = make_study(coordinator=coordinator_a, title="Job study", blocs=["United States", "China"])
    make_experts(study, 12)
    first = make_round(study, number=1, status=Round.Status.CLOSED)
    rate_everything(first, [7, 8, 6, 7, 9, 5, None, 8])
    round_aggregate(round_id=first.pk)
    second = make_round(study, number=2, status=Round.Status.OPEN)
    rate_everything(second, [8, 8, 7, 8, 8, 7])
    round_aggregate(round_id=second.pk)
    client.force_login(coordinator_a)
    pages = {}
    for page in PAGES:
        response = client.get(reverse(f"dashboard:{page}", args=[study.uuid]))
        assert response.status_code == 200, page
        pages[page] = response.content.decode()
    assert "Results as of" in pages["overview"]
    assert pages["map"].count('class="point"') == 4
    assert pages["map"].count('class="movement"') == 4
    assert len(re.findall(r'class="cell cell-result', pages["consensus"])) == 24
    assert pages["convergence"].count("<polyline") > 0
    bloc = client.get(reverse("dashboard:consensus", args=[study.uuid]) + "?bloc=China").content.decode()
    assert len(re.findall(r'class="cell cell-result', bloc)) == 24  # six Chinese experts: at least k = 5
    assert "Items that reached consensus" in pages["report"]
