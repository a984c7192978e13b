"""An expert's consent and submission through the API, as the welcome page and the form's submit button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from elicitation.models import Expert, Participation, Round, Study
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def invitation(expert: Expert) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert)}")
    return client


def all_answers(round_: Round) -> list[dict[str, object]]:
    items = round_.items.select_related("area", "criterion")
    return [{"area": str(i.area.uuid), "criterion": str(i.criterion.uuid), "value": 5} for i in items]


def test_consent_then_submit_shows_in_participation(study_a: Study) -> None:
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=2))
    expert = study_a.experts.earliest("number")
    client = invitation(expert)
    assert client.post("/api/v1/me/submit/", {}, format="json").status_code == 403
    consent = client.get("/api/v1/me/consent/").json()
    assert consent == {"study_title": study_a.title, "consent_text": study_a.consent_text, "consented_on": None}
    assert client.post("/api/v1/me/consent/", {"consent": False}, format="json").status_code == 400
    assert client.post("/api/v1/me/consent/", {"consent": True}, format="json").json()["consented_on"]
    missing = client.post("/api/v1/me/submit/", {}, format="json")
    assert missing.status_code == 400
    errors = missing.json()["field_errors"]
    assert len(errors) == round_.items.count()
    first = round_.items.select_related("area", "criterion").earliest("area__order", "criterion__order")
    assert f"items.{first.area.code}.{first.criterion.code}" in errors, errors
    assert client.put("/api/v1/me/ratings/", {"answers": all_answers(round_)}, format="json").status_code == 200
    submitted = client.post("/api/v1/me/submit/", {"round": str(round_.uuid)}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json() == {
        "round": str(round_.uuid),
        "round_number": round_.number,
        "submitted_on": timezone.now().date().isoformat(),
    }
    participation = Participation.objects.get(round=round_, expert=expert)
    assert participation.submitted_at is not None
    again = client.post("/api/v1/me/submit/", {}, format="json")
    assert again.status_code == 200
    assert Participation.objects.get(pk=participation.pk).submitted_at == participation.submitted_at


def test_submit_refuses_a_closed_round_unknown_keys_and_coordinators(study_a: Study, coordinator_a) -> None:
    closed = make_round(study_a, status=Round.Status.CLOSED)
    expert = study_a.experts.earliest("number")
    Expert.objects.filter(pk=expert.pk).update(consented_at=timezone.now())
    client = invitation(expert)
    assert client.post("/api/v1/me/submit/", {}, format="json").status_code == 409
    assert client.post("/api/v1/me/submit/", {"round": str(closed.uuid)}, format="json").status_code == 409
    assert client.post("/api/v1/me/submit/", {"final": True}, format="json").status_code == 400
    coordinator = APIClient()
    coordinator.force_login(coordinator_a)
    assert coordinator.post("/api/v1/me/submit/", {}, format="json").status_code == 401
    assert not Participation.objects.filter(submitted_at__isnull=False).exists()


def test_the_form_gives_each_items_wording_in_the_experts_language(study_a: Study) -> None:
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + timedelta(days=2))
    area = study_a.areas.earliest("order")
    area.translations = {"zh-hans": {"title": "芯片登记"}}
    area.save(update_fields=["translations"])
    expert = study_a.experts.earliest("number")
    Expert.objects.filter(pk=expert.pk).update(language="zh-hans", consented_at=timezone.now())
    items = invitation(expert).get("/api/v1/me/ratings/").json()["items"]
    assert len(items) == round_.items.count()
    own = [item for item in items if item["area"] == str(area.uuid)]
    assert {item["area_title"] for item in own} == {"芯片登记"}
    assert {item["area_description"] for item in own} == {area.description}, "untranslated: the study's own text"
    criterion = study_a.criteria.earliest("order")
    first = next(item for item in own if item["criterion"] == str(criterion.uuid))
    assert (first["criterion_title"], first["label_min"], first["label_max"]) == (
        criterion.title,
        criterion.label_min,
        criterion.label_max,
    )
