"""Each dashboard page runs the same number of SQL queries for a small study and a study several times larger."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.elicitation.dashboard.results import big_study

pytestmark = pytest.mark.django_db

# Session, user, study, rounds, the latest done run, "is a newer one on its way" and the newest run are the
# first seven.
EXPECTED = {
    "overview": 13,  # + participation (2), areas and criteria (2), area verdicts, cross-bloc counts
    "map": 12,  # + areas and criteria (2), this and last round's panel rows, area verdicts, bloc verdicts
    "consensus": 11,  # + areas and criteria (2), the group's rows, dissent per item
    "convergence": 10,  # + areas and criteria (2), every round's panel rows
    "divided": 10,  # + areas and criteria (2), the divided items
    "report": 37,  # + composition, participation (2), labels (2), rows, items asked, dissent per item, verdicts,
    # bloc verdicts, agreement, divided, the quantities section (its run, questions, pooled rows, scores, and
    # whether the study asks any),
    # and the map's four,
    # the plan's history (2) and ACCORD's seven (items asked, rewordings, suggestions, outcomes, runs, scales, rule)
    "chart-svg": 11,  # the map's
}
SIZES = [
    {"areas": 2, "criteria": 2, "experts": 5, "rounds": 2},
    {"areas": 8, "criteria": 8, "experts": 40, "rounds": 4},
]


def _url(study, page):
    if page == "chart-svg":
        return reverse("dashboard:chart-svg", args=[study.uuid, "map"])
    return reverse(f"dashboard:{page}", args=[study.uuid])


@pytest.mark.parametrize("size", SIZES, ids=["small", "large"])
@pytest.mark.parametrize("page", list(EXPECTED))
def test_queries_per_page_do_not_grow_with_the_study(client, coordinator_a, django_assert_num_queries, page, size):
    study = big_study(coordinator_a, **size)
    client.force_login(coordinator_a)
    with django_assert_num_queries(EXPECTED[page]):
        assert client.get(_url(study, page)).status_code == 200


def test_the_convergence_charts_cost_no_query_per_area(client, coordinator_a, django_assert_num_queries):
    study = big_study(coordinator_a, **SIZES[1])
    client.force_login(coordinator_a)
    with django_assert_num_queries(EXPECTED["convergence"]):
        response = client.get(reverse("dashboard:chart-svg", args=[study.uuid, "cns-area7"]))
    assert response.status_code == 200
