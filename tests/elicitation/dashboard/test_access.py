"""Only the study's coordinators reach its dashboard: others get 404, anonymous visitors the login page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.elicitation.dashboard.results import study_with_results

pytestmark = pytest.mark.django_db
PAGES = ["overview", "map", "consensus", "convergence", "divided", "report"]


def _urls(study):
    urls = [reverse(f"dashboard:{page}", args=[study.uuid]) for page in PAGES]
    return [*urls, reverse("dashboard:chart-svg", args=[study.uuid, "map"])]


@pytest.fixture
def results_a(study_a):
    return study_with_results(study_a)


def test_anonymous_visitors_are_sent_to_the_login_page(client, study_a, results_a):
    for url in _urls(study_a):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_another_coordinator_gets_404_on_every_page(client, coordinator_b, study_a, study_b, results_a):
    client.force_login(coordinator_b)
    for url in _urls(study_a):
        assert client.get(url).status_code == 404, url


def test_an_outsider_gets_404(client, outsider, study_a, results_a):
    client.force_login(outsider)
    for url in _urls(study_a):
        assert client.get(url).status_code == 404, url


def test_an_unknown_study_is_404(client, coordinator_a):
    client.force_login(coordinator_a)
    assert client.get(reverse("dashboard:overview", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


def test_the_dashboard_only_reads(client, coordinator_a, study_a, results_a):
    client.force_login(coordinator_a)
    for url in _urls(study_a):
        assert client.post(url).status_code == 405, url


@pytest.mark.parametrize(
    ("query", "field"),
    [("round=abc", "round"), ("round=-1", "round"), ("round=9", "round"), ("bloc=Atlantis", "bloc")],
)
def test_nonsense_parameters_answer_400_naming_the_field(client, coordinator_a, study_a, results_a, query, field):
    client.force_login(coordinator_a)
    response = client.get(reverse("dashboard:consensus", args=[study_a.uuid]) + "?" + query)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
