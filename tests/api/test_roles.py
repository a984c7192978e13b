"""A token acts with its owner's role on each study (docs/roles.md): an analyst's token reads the study, its
results and exports but not the panel and changes nothing; an observer's token reads nothing of the study."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from aggregation.services import round_aggregate
from elicitation.models import AuditEvent, Round, Study
from tests.api.helpers import token_client
from tests.factories import make_round, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def aggregated(study_a: Study) -> Round:
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    rate_everything(round_)
    round_aggregate(round_id=round_.pk)
    return round_


def test_an_analysts_token_reads_the_study_and_its_results(study_a: Study, analyst_a: User, aggregated: Round) -> None:
    client = token_client(analyst_a)
    studies = client.get("/api/v1/studies/").json()
    assert [row["uuid"] for row in studies["results"]] == [str(study_a.uuid)]
    assert client.get(f"/api/v1/studies/{study_a.uuid}/").status_code == 200
    assert client.get(f"/api/v1/rounds/{aggregated.uuid}/").status_code == 200
    aggregates = client.get("/api/v1/aggregates/", {"round": str(aggregated.uuid)})
    assert aggregates.status_code == 200
    assert aggregates.json()["count"] > 0
    assert client.get("/api/v1/participation/", {"study": str(study_a.uuid)}).status_code == 200
    table = client.get(f"/api/v1/studies/{study_a.uuid}/tables/ratings/", HTTP_ACCEPT="text/csv")
    assert table.status_code == 200


def test_an_analysts_token_never_reads_the_panel(study_a: Study, analyst_a: User) -> None:
    client = token_client(analyst_a)
    expert = study_a.experts.earliest("number")
    listed = client.get("/api/v1/experts/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 0
    assert expert.email not in listed.content.decode()
    assert client.get(f"/api/v1/experts/{expert.uuid}/").status_code == 404
    assert client.get("/api/v1/experts/", {"study": str(study_a.uuid)}).status_code == 404


def test_an_analysts_token_changes_nothing(study_a: Study, analyst_a: User) -> None:
    draft = make_round(study_a)
    client = token_client(analyst_a)
    before = AuditEvent.objects.count()
    deadline = (timezone.now() + timedelta(days=7)).isoformat()
    assert client.post(f"/api/v1/rounds/{draft.uuid}/open/", {"deadline": deadline}, format="json").status_code == 404
    assert client.post(f"/api/v1/rounds/{draft.uuid}/close/").status_code == 404
    assert client.post(f"/api/v1/studies/{study_a.uuid}/experts/import/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT
    assert AuditEvent.objects.count() == before


def test_an_observers_token_reads_nothing_of_the_study(study_a: Study, observer_a: User, aggregated: Round) -> None:
    client = token_client(observer_a)
    assert client.get("/api/v1/studies/").json()["count"] == 0
    assert client.get(f"/api/v1/studies/{study_a.uuid}/").status_code == 404
    assert client.get("/api/v1/aggregates/").json()["count"] == 0
    assert client.get("/api/v1/aggregates/", {"round": str(aggregated.uuid)}).status_code == 404
    assert client.get(f"/api/v1/studies/{study_a.uuid}/tables/ratings/", HTTP_ACCEPT="text/csv").status_code == 404
    created = client.post("/api/v1/exports/", {"study": str(study_a.uuid), "format": "csv", "table": "ratings"})
    assert created.status_code == 404


def test_an_analysts_token_queues_exports_without_hidden_rationales(study_a: Study, analyst_a: User) -> None:
    client = token_client(analyst_a)
    ok = client.post(
        "/api/v1/exports/", {"study": str(study_a.uuid), "format": "csv", "table": "ratings"}, format="json"
    )
    assert ok.status_code in (201, 202), ok.content
    refused = client.post(
        "/api/v1/exports/", {"study": str(study_a.uuid), "format": "csv", "table": "rationales"}, format="json"
    )
    assert refused.status_code == 400
    assert "table" in refused.json()["field_errors"]
