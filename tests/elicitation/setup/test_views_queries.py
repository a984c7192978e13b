"""The study page, panel page and items page use a fixed number of queries, whatever the study's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elicitation.rounds.services.lifecycle import round_close
from tests.factories import make_experts, make_round, make_study, rate_everything

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def small_and_large(coordinator):
    small = make_study(coordinator=coordinator, title="Small")
    make_experts(small, 3)
    make_round(small, status="closed")
    large_areas = [(f"area-{i}", f"Area {i}") for i in range(12)]
    large = make_study(coordinator=coordinator, title="Large", areas=large_areas)
    make_experts(large, 40)
    large.experts.filter(number__in=[1, 2]).update(sector="")
    large.experts.filter(number=3).update(is_active=False)
    for status in ("closed", "closed", "open"):
        round_ = make_round(large, status=status)
        if status == "closed":
            rate_everything(round_)
    return small, large


def close_and_plan_the_next(study) -> None:
    """The open round closes and the next is drafted: a study has no draft beside an open round."""
    round_close(round=study.rounds.get(status="open"), user=None, reason="test")
    make_round(study, status="draft")


@pytest.mark.parametrize("name", ["study-detail", "study-panel", "study-items", "study-settings", "study-rule"])
def test_a_page_costs_the_same_queries_for_a_small_and_a_large_study(client, coordinator_a, name):
    small, large = small_and_large(coordinator_a)
    client.force_login(coordinator_a)
    small_count = count_queries(client, reverse(name, args=[small.uuid]))
    large_count = count_queries(client, reverse(name, args=[large.uuid]))
    assert small_count == large_count
    assert small_count <= 12
    close_and_plan_the_next(large)
    assert count_queries(client, reverse(name, args=[large.uuid])) == small_count


def test_the_study_page_shows_participation_per_round(client, coordinator_a):
    _small, large = small_and_large(coordinator_a)
    client.force_login(coordinator_a)
    page = client.get(reverse("study-detail", args=[large.uuid])).content.decode()
    assert "39 active experts" in page
    assert "1 deactivated" in page
    assert page.count("status-closed") == 2
    assert "status-open" in page
    close_and_plan_the_next(large)
    page = client.get(reverse("study-detail", args=[large.uuid])).content.decode()
    assert page.count("status-closed") == 3
    assert "status-draft" in page
