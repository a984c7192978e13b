"""Moderation: a rationale is hidden (never deleted), shown again, and both are audited."""

import pytest
from django.db.models import Max
from django.urls import reverse

from elicitation.models import AreaResponse, AuditEvent, Round, Study
from elicitation.rounds.services.moderation import rationale_hide, rationale_unhide
from tests.factories import make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def responses(study_a):
    round_ = make_round(study_a, status=Round.Status.CLOSED)
    area = study_a.areas.first()
    return [
        AreaResponse.objects.create(round=round_, expert=expert, area=area, rationale=f"Reason of {expert.number}")
        for expert in study_a.experts.all()[:3]
    ]


def test_hiding_keeps_the_text_and_records_who_and_when(responses, coordinator_a):
    hidden = rationale_hide(response=responses[0], user=coordinator_a, reason="names a colleague")
    hidden.refresh_from_db()
    assert hidden.hidden_at is not None
    assert hidden.hidden_by == coordinator_a
    assert hidden.rationale == "Reason of 1"
    event = AuditEvent.objects.get(action="rationale.hide")
    assert event.actor_user_id == coordinator_a.pk
    assert event.detail == {"response_id": hidden.pk, "reason": "names a colleague"}


def test_unhiding_shows_it_again_and_is_audited(responses, coordinator_a):
    before = AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0  # the round's own events come first
    rationale_hide(response=responses[0], user=coordinator_a)
    shown = rationale_unhide(response=responses[0], user=coordinator_a)
    assert shown.hidden_at is None
    assert shown.hidden_by is None
    after = AuditEvent.objects.filter(pk__gt=before).order_by("pk")
    assert list(after.values_list("action", flat=True)) == ["rationale.hide", "rationale.unhide"]


def test_hiding_twice_is_one_event(responses, coordinator_a):
    rationale_hide(response=responses[0], user=coordinator_a)
    rationale_hide(response=responses[0], user=coordinator_a)
    assert AuditEvent.objects.filter(action="rationale.hide").count() == 1


def page_url(round_):
    return reverse("round-moderation", kwargs={"study_uuid": round_.study.uuid, "round_uuid": round_.uuid})


def action_url(response, action):
    kwargs = {"study_uuid": response.round.study.uuid, "round_uuid": response.round.uuid, "response_id": response.pk}
    return reverse(f"round-moderation-{action}", kwargs=kwargs)


def test_the_page_lists_the_rounds_rationales_escaped(coordinator_client, responses):
    AreaResponse.objects.filter(pk=responses[1].pk).update(rationale="<script>alert(1)</script> مرحبا")
    body = coordinator_client.get(page_url(responses[0].round)).content.decode()
    assert "Reason of 1" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; مرحبا" in body
    assert "<script>alert(1)" not in body
    assert "E-01" in body


def test_strict_anonymity_shows_no_pseudonyms(coordinator_client, responses):
    Study.objects.filter(pk=responses[0].round.study_id).update(anonymity=Study.Anonymity.STRICT)
    body = coordinator_client.get(page_url(responses[0].round)).content.decode()
    assert "Reason of 1" in body
    assert "E-01" not in body


def test_hide_and_show_through_the_page(coordinator_client, responses, coordinator_a):
    response = coordinator_client.post(action_url(responses[0], "hide"), {"reason": "personal data"})
    assert response.status_code == 303
    responses[0].refresh_from_db()
    assert responses[0].hidden_by == coordinator_a
    assert "hidden" in coordinator_client.get(page_url(responses[0].round)).content.decode()
    assert coordinator_client.post(action_url(responses[0], "unhide")).status_code == 303
    responses[0].refresh_from_db()
    assert responses[0].hidden_at is None
    assert AreaResponse.objects.count() == 3  # nothing was deleted


def test_an_overlong_reason_is_a_400(coordinator_client, responses):
    assert coordinator_client.post(action_url(responses[0], "hide"), {"reason": "x" * 501}).status_code == 400
    responses[0].refresh_from_db()
    assert responses[0].hidden_at is None


def test_moderation_is_post_only(coordinator_client, responses):
    assert coordinator_client.get(action_url(responses[0], "hide")).status_code == 405


def test_another_coordinator_cannot_moderate(client, coordinator_b, responses):
    client.force_login(coordinator_b)
    assert client.get(page_url(responses[0].round)).status_code == 404
    assert client.post(action_url(responses[0], "hide")).status_code == 404
    responses[0].refresh_from_db()
    assert responses[0].hidden_at is None


def test_a_response_of_another_round_is_404(coordinator_client, responses, study_a):
    other = make_round(study_a, status=Round.Status.OPEN)
    kwargs = {"study_uuid": study_a.uuid, "round_uuid": other.uuid, "response_id": responses[0].pk}
    assert coordinator_client.post(reverse("round-moderation-hide", kwargs=kwargs)).status_code == 404
