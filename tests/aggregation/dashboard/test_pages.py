"""Every dashboard page through the test client: who may see it, and what it shows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.aggregation.dashboard.results import study_with_results

pytestmark = pytest.mark.django_db
PAGES = ["overview", "map", "consensus", "convergence", "divided", "report"]


def _url(study, page="overview", **params):
    url = reverse(f"dashboard:{page}", args=[study.uuid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def results_a(study_a):
    return study_with_results(study_a)


@pytest.mark.parametrize("page", PAGES)
def test_the_coordinator_sees_every_page(client, coordinator_a, study_a, results_a, page):
    client.force_login(coordinator_a)
    response = client.get(_url(study_a, page))
    assert response.status_code == 200
    assert "Study A" in response.content.decode()
