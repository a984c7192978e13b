"""Coordinators' write operations: opening and closing rounds, importing the panel from CSV."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from elicitation.models import AuditEvent, Expert, Round, Study
from tests.api.helpers import token_client
from tests.factories import make_round, make_round_unchecked

pytestmark = pytest.mark.django_db

GOOD_CSV = b"email,name,bloc,sector,language\nada@example.org,Ada,China,,en\nbob@example.org,Bob,China,,en\n"


def deadline() -> str:
    return (timezone.now() + timedelta(days=7)).isoformat()


# Rounds ---------------------------------------------------------------------------------------


def test_open_then_close_a_round(study_a: Study, coordinator_a: User) -> None:
    round_ = make_round(study_a)
    client = token_client(coordinator_a)
    response = client.post(f"/api/v1/rounds/{round_.uuid}/open/", {"deadline": deadline()}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "open"
    assert response.json()["uuid"] == str(round_.uuid)
    round_.refresh_from_db()
    assert round_.status == Round.Status.OPEN
    assert round_.deadline is not None
    response = client.post(f"/api/v1/rounds/{round_.uuid}/close/")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert AuditEvent.objects.filter(action__in=["round.open", "round.close"]).count() == 2


def test_illegal_transitions_answer_409(study_a: Study, coordinator_a: User) -> None:
    closed = make_round(study_a, status=Round.Status.CLOSED)
    draft = make_round(study_a)
    client = token_client(coordinator_a)
    response = client.post(f"/api/v1/rounds/{closed.uuid}/open/", {"deadline": deadline()}, format="json")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "field_errors"}
    assert client.post(f"/api/v1/rounds/{closed.uuid}/close/").status_code == 409
    assert client.post(f"/api/v1/rounds/{draft.uuid}/close/").status_code == 409
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT


def test_opening_a_second_round_answers_409(study_a: Study, coordinator_a: User) -> None:
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=1))
    draft = make_round_unchecked(study_a)  # the services refuse a draft beside an open round: this is the guard
    response = token_client(coordinator_a).post(
        f"/api/v1/rounds/{draft.uuid}/open/", {"deadline": deadline()}, format="json"
    )
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "deadline"),
        ({"deadline": "next tuesday"}, "deadline"),
        ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),  # refused by the service: in the past
    ],
)
def test_bad_deadline_answers_400_and_writes_nothing(
    study_a: Study, coordinator_a: User, payload: dict[str, str], field: str
) -> None:
    round_ = make_round(study_a)
    client = token_client(coordinator_a)
    events = AuditEvent.objects.count()
    response = client.post(f"/api/v1/rounds/{round_.uuid}/open/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["field_errors"]
    round_.refresh_from_db()
    assert round_.status == Round.Status.DRAFT
    assert round_.deadline is None
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("action", ["open", "close"])
def test_another_studys_round_answers_404(
    study_a: Study, study_b: Study, coordinator_a: User, outsider: User, action: str
) -> None:
    foreign = make_round(study_b, status=Round.Status.OPEN if action == "close" else Round.Status.DRAFT)
    for user in (coordinator_a, outsider):
        response = token_client(user).post(f"/api/v1/rounds/{foreign.uuid}/{action}/", {"deadline": deadline()})
        assert response.status_code == 404
    assert token_client(coordinator_a).post(f"/api/v1/rounds/{uuid.uuid4()}/{action}/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == (Round.Status.OPEN if action == "close" else Round.Status.DRAFT)


def test_round_actions_need_credentials(study_a: Study) -> None:
    from rest_framework.test import APIClient

    round_ = make_round(study_a)
    assert APIClient().post(f"/api/v1/rounds/{round_.uuid}/open/", {"deadline": deadline()}).status_code == 401
    assert APIClient().get(f"/api/v1/rounds/{round_.uuid}/open/").status_code == 401


# Panel import ---------------------------------------------------------------------------------


def upload(data: bytes) -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile("panel.csv", data, content_type="text/csv")}


def test_import_adds_every_expert(study_a: Study, coordinator_a: User) -> None:
    before = study_a.experts.count()
    response = token_client(coordinator_a).post(
        f"/api/v1/studies/{study_a.uuid}/experts/import/", upload(GOOD_CSV), format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["imported"] == 2
    assert [row["email"] for row in body["experts"]] == ["ada@example.org", "bob@example.org"]
    assert all(row["study"] == str(study_a.uuid) for row in body["experts"])
    assert study_a.experts.count() == before + 2


def test_import_with_problems_answers_400_with_lines_and_writes_nothing(study_a: Study, coordinator_a: User) -> None:
    data = b"email,name,bloc,sector,language\nada@example.org,Ada,China,,en\nnot-an-address,Bob,Atlantis,,en\n"
    client = token_client(coordinator_a)
    before = (Expert.objects.count(), AuditEvent.objects.count())
    response = client.post(f"/api/v1/studies/{study_a.uuid}/experts/import/", upload(data), format="multipart")
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert {(p["line"], p["column"]) for p in problems} >= {(3, "email"), (3, "bloc")}
    assert (Expert.objects.count(), AuditEvent.objects.count()) == before


def test_import_without_a_file_answers_400(study_a: Study, coordinator_a: User) -> None:
    before = Expert.objects.count()
    response = token_client(coordinator_a).post(
        f"/api/v1/studies/{study_a.uuid}/experts/import/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["field_errors"]
    assert Expert.objects.count() == before


def test_import_into_another_study_answers_404(
    study_a: Study, study_b: Study, coordinator_a: User, outsider: User
) -> None:
    before = Expert.objects.count()
    for user in (coordinator_a, outsider):
        response = token_client(user).post(
            f"/api/v1/studies/{study_b.uuid}/experts/import/", upload(GOOD_CSV), format="multipart"
        )
        assert response.status_code == 404
    assert Expert.objects.count() == before
