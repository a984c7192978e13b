"""Invitations and reminders through the API (202 + the sending's job id, on the durable job path), and
personal API tokens created through the API (the secret in the body, once)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, hash_api_token
from elicitation.models import EmailJob, Participation, Round, Study
from tests.api.helpers import token_client
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def _open(study: Study) -> Round:
    """An open round nobody has been invited to yet (as right after opening it)."""
    round_ = make_round(study, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=3))
    Participation.objects.filter(round=round_).update(invited_at=None)
    return round_


def test_invitations_answer_202_with_a_job_to_follow(
    study_a: Study, coordinator_a: User, django_capture_on_commit_callbacks: Any, eager_celery: None
) -> None:
    round_ = _open(study_a)
    client = token_client(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/rounds/{round_.uuid}/invitations/", {}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    experts = study_a.experts.filter(is_active=True).count()
    assert body["messages"] == experts
    assert response["Location"] == f"/api/v1/email-jobs/{body['job']}/"
    assert EmailJob.objects.filter(batch=body["job"]).count() == experts
    followed = client.get(response["Location"]).json()
    assert (followed["status"], followed["sent"], followed["round"]) == ("done", experts, str(round_.uuid))
    assert len(mail.outbox) == experts
    again = client.post(f"/api/v1/rounds/{round_.uuid}/invitations/", {}, format="json")
    assert again.status_code == 202
    assert again.json()["messages"] == 0, "nobody is invited twice"
    nothing = client.get(f"/api/v1/email-jobs/{again.json()['job']}/").json()
    assert (nothing["status"], nothing["messages"]) == ("done", 0)


def test_invitations_again_by_hand_to_chosen_experts(study_a: Study, coordinator_a: User) -> None:
    round_ = _open(study_a)
    expert = study_a.experts.earliest("number")
    client = token_client(coordinator_a)
    body = {"experts": [str(expert.uuid)]}
    response = client.post(f"/api/v1/rounds/{round_.uuid}/invitations/", body, format="json")
    assert response.status_code == 202
    assert list(EmailJob.objects.filter(batch=response.json()["job"]).values_list("expert", "resend")) == [
        (expert.pk, True)
    ]
    unknown = client.post(f"/api/v1/rounds/{round_.uuid}/invitations/", {"experts": [str(uuid.uuid4())]}, format="json")
    assert unknown.status_code == 400
    assert "experts.0" in unknown.json()["field_errors"]


def test_reminders_go_to_the_invited_who_have_not_submitted(study_a: Study, coordinator_a: User) -> None:
    round_ = _open(study_a)
    now = timezone.now()
    Participation.objects.filter(round=round_).update(invited_at=now)
    first = Participation.objects.filter(round=round_).order_by("expert__number").first()
    assert first is not None
    Participation.objects.filter(pk=first.pk).update(submitted_at=now)
    client = token_client(coordinator_a)
    response = client.post(f"/api/v1/rounds/{round_.uuid}/reminders/", {}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["kind"] == "reminder"
    assert response.json()["messages"] == Participation.objects.filter(round=round_).count() - 1
    assert client.post(f"/api/v1/rounds/{round_.uuid}/reminders/", {"all": True}, format="json").status_code == 400


def test_sendings_need_an_open_round_and_stay_within_the_callers_studies(
    study_a: Study, coordinator_a: User, coordinator_b: User
) -> None:
    draft = make_round(study_a)
    client = token_client(coordinator_a)
    assert client.post(f"/api/v1/rounds/{draft.uuid}/invitations/", {}, format="json").status_code == 409
    assert client.post(f"/api/v1/rounds/{draft.uuid}/reminders/", {}, format="json").status_code == 409
    Round.objects.filter(pk=draft.pk).delete()
    round_ = _open(study_a)
    job = client.post(f"/api/v1/rounds/{round_.uuid}/invitations/", {}, format="json").json()["job"]
    outsider = token_client(coordinator_b)
    assert outsider.post(f"/api/v1/rounds/{round_.uuid}/invitations/", {}, format="json").status_code == 404
    assert outsider.get(f"/api/v1/email-jobs/{job}/").status_code == 404
    assert client.get(f"/api/v1/email-jobs/{uuid.uuid4()}/").status_code == 404


def test_a_token_is_created_through_the_api_and_its_secret_is_shown_once(coordinator_a: User) -> None:
    session = APIClient()
    session.force_login(coordinator_a)
    response = session.post("/api/v1/tokens/", {"name": "notebook"}, format="json")
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    created = response.json()
    token = ApiToken.objects.get(uuid=created["uuid"])
    assert token.token_hash == hash_api_token(created["secret"])
    listed = session.get("/api/v1/tokens/")
    assert created["uuid"] in listed.content.decode()
    assert created["secret"] not in listed.content.decode()
    assert "secret" not in listed.json()["results"][0]
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {created['secret']}")
    assert bearer.get("/api/v1/studies/").status_code == 200
    revoked = bearer.post(f"/api/v1/tokens/{created['uuid']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["is_active"] is False
    assert bearer.get("/api/v1/studies/").status_code == 401


def test_tokens_refuse_bad_names_and_stay_their_owners(coordinator_a: User, coordinator_b: User) -> None:
    client = token_client(coordinator_a)
    assert client.post("/api/v1/tokens/", {"name": " "}, format="json").status_code == 400
    assert client.post("/api/v1/tokens/", {"name": "x", "scope": "all"}, format="json").status_code == 400
    own = ApiToken.objects.filter(user=coordinator_a).first()
    assert own is not None
    other = token_client(coordinator_b)
    assert other.post(f"/api/v1/tokens/{own.uuid}/revoke/").status_code == 404
    assert str(own.uuid) not in other.get("/api/v1/tokens/").content.decode()
    own.refresh_from_db()
    assert own.is_active


def test_a_text_longer_than_its_limit_is_refused_before_whitespace_is_trimmed(coordinator_a: User) -> None:
    """Schemathesis's negative run found it: "a" and 20,000 spaces exceed the schema's maxLength of 20,000,
    yet DRF trimmed them to "a" first and the token was created (201). The limit holds on the text as sent."""
    client = token_client(coordinator_a)
    response = client.post("/api/v1/tokens/", {"name": "a" + " " * 20_000}, format="json")
    assert response.status_code == 400, response.content
    assert "20000" in response.content.decode()
    assert not ApiToken.objects.filter(user=coordinator_a, name="a").exists()
    assert client.post("/api/v1/tokens/", {"name": "a" + " " * 19_999}, format="json").status_code == 201


def test_a_form_encoded_text_longer_than_its_limit_is_refused_before_whitespace_is_trimmed(
    coordinator_a: User,
) -> None:
    """The same through a form-encoded body, which the check had skipped (a form's values are all text): the
    negative run sent a name of a few characters and 20,000 record separators (U+001E, whitespace to Python's
    ``strip``) as ``application/x-www-form-urlencoded``, and the token was created (201)."""
    client = token_client(coordinator_a)
    response = client.post("/api/v1/tokens/", {"name": "pTR7M" + "\x1e" * 20_000})
    assert response.status_code == 400, response.content
    assert "20000" in response.content.decode()
    assert not ApiToken.objects.filter(user=coordinator_a, name="pTR7M").exists()
    assert client.post("/api/v1/tokens/", {"name": "pTR7M" + "\x1e" * 19_995}).status_code == 201
