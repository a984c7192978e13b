"""The read-only resources: the authorisation matrix over two studies, filters, pagination, query counts."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elicitation.models import Study
from tests.api.helpers import token_client
from tests.factories import make_experts, make_round

pytestmark = pytest.mark.django_db

RESOURCES = ["studies", "areas", "criteria", "experts", "rounds"]


def objects_of(study: Study) -> dict[str, list[str]]:
    return {
        "studies": [str(study.uuid)],
        "areas": [str(u) for u in study.areas.values_list("uuid", flat=True)],
        "criteria": [str(u) for u in study.criteria.values_list("uuid", flat=True)],
        "experts": [str(u) for u in study.experts.values_list("uuid", flat=True)],
        "rounds": [str(u) for u in study.rounds.values_list("uuid", flat=True)],
    }


@pytest.fixture
def two_studies(study_a: Study, study_b: Study) -> tuple[Study, Study]:
    make_round(study_a, status="closed")
    make_round(study_b, status="open")
    return study_a, study_b


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_hold_only_the_callers_studies(
    two_studies: tuple[Study, Study], coordinator_a: User, coordinator_b: User, outsider: User, resource: str
) -> None:
    study_a, study_b = two_studies
    for user, study in ((coordinator_a, study_a), (coordinator_b, study_b), (outsider, None)):
        response = token_client(user).get(f"/api/v1/{resource}/", {"limit": 1000})
        assert response.status_code == 200
        listed = sorted(row["uuid"] for row in response.json()["results"])
        assert listed == (sorted(objects_of(study)[resource]) if study else [])


@pytest.mark.parametrize("resource", RESOURCES)
def test_another_studys_object_answers_404(
    two_studies: tuple[Study, Study], coordinator_a: User, outsider: User, resource: str
) -> None:
    study_a, study_b = two_studies
    own = objects_of(study_a)[resource][0]
    foreign = objects_of(study_b)[resource][0]
    client = token_client(coordinator_a)
    assert client.get(f"/api/v1/{resource}/{own}/").status_code == 200
    assert client.get(f"/api/v1/{resource}/{foreign}/").status_code == 404
    assert client.get(f"/api/v1/{resource}/{uuid.uuid4()}/").status_code == 404
    assert token_client(outsider).get(f"/api/v1/{resource}/{own}/").status_code == 404


@pytest.mark.parametrize("resource", ["areas", "criteria", "experts", "rounds", "participation"])
def test_filtering_by_another_study_answers_404(
    two_studies: tuple[Study, Study], coordinator_a: User, resource: str
) -> None:
    study_a, study_b = two_studies
    client = token_client(coordinator_a)
    assert client.get(f"/api/v1/{resource}/", {"study": str(study_a.uuid)}).status_code == 200
    response = client.get(f"/api/v1/{resource}/", {"study": str(study_b.uuid)})
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_filtering_participation_by_another_studys_round_answers_404(
    two_studies: tuple[Study, Study], coordinator_a: User
) -> None:
    study_a, study_b = two_studies
    client = token_client(coordinator_a)
    own_round = study_a.rounds.get()
    response = client.get("/api/v1/participation/", {"round": str(own_round.uuid)})
    assert response.status_code == 200
    assert [row["pseudonym"] for row in response.json()["results"]] == [e.pseudonym for e in study_a.experts.all()]
    assert client.get("/api/v1/participation/", {"round": str(study_b.rounds.get().uuid)}).status_code == 404


def test_a_malformed_filter_answers_400_with_field_errors(study_a: Study, coordinator_a: User) -> None:
    response = token_client(coordinator_a).get("/api/v1/areas/", {"study": "not-a-uuid"})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert list(body["field_errors"]) == ["study"]


def test_experts_show_pseudonym_bloc_and_email_to_their_coordinator(study_a: Study, coordinator_a: User) -> None:
    response = token_client(coordinator_a).get("/api/v1/experts/", {"study": str(study_a.uuid)})
    first = response.json()["results"][0]
    expert = study_a.experts.order_by("number").first()
    assert expert is not None
    assert first == {
        "uuid": str(expert.uuid),
        "study": str(study_a.uuid),
        "pseudonym": "E-01",
        "bloc": expert.bloc,
        "sector": expert.sector,
        "language": "en",
        "is_active": True,
        "email": expert.email,
    }
    assert "name" not in first


def test_lists_are_paginated_with_limit_and_offset(study_a: Study, coordinator_a: User) -> None:
    response = token_client(coordinator_a).get("/api/v1/experts/", {"limit": 3, "offset": 3})
    body = response.json()
    assert body["count"] == 8
    assert [row["pseudonym"] for row in body["results"]] == ["E-04", "E-05", "E-06"]
    assert "offset=6" in body["next"]


@pytest.mark.parametrize("resource", [*RESOURCES, "participation"])
def test_list_query_counts_do_not_grow_with_the_study(study_a: Study, coordinator_a: User, resource: str) -> None:
    client = token_client(coordinator_a)
    make_round(study_a, status="closed")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{resource}/").status_code == 200
        return len(queries)

    count()  # the first request records the token's use; later ones within a minute do not
    before = count()
    make_experts(study_a, 10)
    make_round(study_a, status="open")
    extra = Study.objects.create(title="Another of Alice's")
    extra.members.add(coordinator_a)
    assert count() == before
