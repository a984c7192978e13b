"""The results summary through the API (issue 20): GET previews it in every study language, POST with an
explicit confirm sends it (202 and the sending's job id, on the durable email path), once per expert."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from elicitation.models import AuditEvent, EmailJob, Round
from tests.api.helpers import token_client
from tests.factories import add_member, make_bilingual_study, make_experts, make_round, make_user, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(coordinator_a: User):
    study = make_bilingual_study(coordinator=coordinator_a, min_group_size=3)
    make_experts(study, 5)
    final = make_round(study, status=Round.Status.CLOSED)
    rate_everything(final)
    return study, final


def _url(study: Any) -> str:
    return f"/api/v1/studies/{study.uuid}/results-summary/"


def test_the_preview_holds_every_study_language(ended, coordinator_a):
    study, final = ended
    body = token_client(coordinator_a).get(_url(study)).json()
    assert body["round"] == str(final.uuid)
    assert (body["took_part"], body["waiting"]) == (5, 5)
    assert [preview["language"] for preview in body["previews"]] == ["en", "zh-hans"]
    assert body["previews"][0]["subject"] == "Results: Cooperation between rivals"
    assert "竞争对手之间的合作" in body["previews"][1]["subject"]
    assert "<html" in body["previews"][0]["html"]
    assert not mail.outbox


def test_sending_needs_an_explicit_confirm_and_refuses_unknown_keys(ended, coordinator_a):
    study, _final = ended
    client = token_client(coordinator_a)
    for body in ({}, {"confirm": False}, {"confirm": "yes"}, {"confirm": True, "to": "everyone"}):
        response = client.post(_url(study), body, format="json")
        assert response.status_code == 400, (body, response.json())
    assert not EmailJob.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="results_summary").exists()


def test_a_confirmed_sending_answers_202_and_sends_once(
    ended, coordinator_a, django_capture_on_commit_callbacks: Any, eager_celery: None
):
    study, final = ended
    client = token_client(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(study), {"confirm": True}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["kind"], body["messages"], body["round"]) == ("summary", 5, str(final.uuid))
    followed = client.get(response["Location"]).json()
    assert (followed["status"], followed["sent"]) == ("done", 5)
    assert len(mail.outbox) == 5
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(_url(study), {"confirm": True}, format="json")
    assert again.json()["messages"] == 0
    assert len(mail.outbox) == 5
    with django_capture_on_commit_callbacks(execute=True):
        forced = client.post(_url(study), {"confirm": True, "resend": True}, format="json")
    assert forced.json()["messages"] == 5
    assert len(mail.outbox) == 10
    assert client.get(_url(study)).json()["waiting"] == 0


def test_no_sending_while_a_round_is_open(ended, coordinator_a):
    study, _final = ended
    make_round(study, status=Round.Status.OPEN)
    client = token_client(coordinator_a)
    assert client.post(_url(study), {"confirm": True}, format="json").status_code == 409
    preview = client.get(_url(study)).json()
    assert (preview["round"], preview["previews"]) == (None, [])


def test_only_the_studys_coordinators_preview_or_send(ended, coordinator_b):
    study, _final = ended
    analyst = add_member(study, make_user("ana"), "analyst")
    for user in (coordinator_b, analyst):
        client = token_client(user)
        assert client.get(_url(study)).status_code == 404
        assert client.post(_url(study), {"confirm": True}, format="json").status_code == 404
    assert not EmailJob.objects.exists()
