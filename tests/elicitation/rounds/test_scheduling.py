"""Rounds that open at a set time: schedule, cancel, beat opens them and sends the invitations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coopsurvey.celery import app
from core.errors import IllegalTransition, InvalidInput
from elicitation.expert.services.access import expert_language_set
from elicitation.models import AuditEvent, EmailJob, Round
from elicitation.rounds.services.scheduling import round_schedule, round_unschedule, rounds_open_scheduled
from elicitation.setup.services.studies import study_update_settings
from elicitation.tasks import open_scheduled_rounds
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def _later(**delta: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


@pytest.fixture
def draft(study_a) -> Round:
    round_ = make_round(study_a, status=Round.Status.DRAFT)
    round_.participations.all().delete()  # a draft as the app makes it: nobody invited yet
    return round_


def test_a_scheduled_round_opens_at_its_time_and_invites_every_expert(
    draft, coordinator_a, django_capture_on_commit_callbacks
):
    opens_at, deadline = _later(hours=1), _later(days=8)
    round_schedule(round=draft, user=coordinator_a, opens_at=opens_at, deadline=deadline)
    assert AuditEvent.objects.filter(action="round.scheduled", actor_user=coordinator_a).exists()

    assert rounds_open_scheduled(now=timezone.now()) == []  # not yet
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT

    with django_capture_on_commit_callbacks(execute=True):
        assert rounds_open_scheduled(now=opens_at + dt.timedelta(seconds=1)) == [draft.pk]
    draft.refresh_from_db()
    assert draft.status == Round.Status.OPEN
    assert draft.deadline == deadline
    assert draft.scheduled_open_at is None
    # The invitations go through the durable email jobs, one per active expert.
    experts = set(draft.study.experts.filter(is_active=True).values_list("pk", flat=True))
    assert (
        set(EmailJob.objects.filter(round=draft, kind=EmailJob.Kind.INVITATION).values_list("expert_id", flat=True))
        == experts
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(draft.study.experts.values_list("email", flat=True))
    opened = AuditEvent.objects.get(action="round.opened_on_schedule")
    assert opened.detail["invitations"] == len(experts)
    assert rounds_open_scheduled(now=opens_at + dt.timedelta(minutes=5)) == []  # once only


def test_the_beat_task_is_scheduled_every_minute_or_so(draft, coordinator_a):
    every: Any = next(
        entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "elicitation.open_scheduled_rounds"
    )
    assert every <= 300
    assert "elicitation.open_scheduled_rounds" in app.tasks
    assert open_scheduled_rounds() == []


def test_a_round_that_cannot_open_stays_a_draft_with_the_reason_shown(study_a, draft, coordinator_a):
    opens_at = _later(minutes=1)
    round_schedule(round=draft, user=coordinator_a, opens_at=opens_at, deadline=_later(days=3))
    # Chinese joins the study after the scheduling and an expert chooses it before any text is translated:
    # the round cannot open (bilingual parity).
    study_update_settings(study=study_a, user=coordinator_a, languages=[*study_a.languages, "zh-hans"])
    expert_language_set(expert=study_a.experts.first(), language="zh-hans")

    assert rounds_open_scheduled(now=opens_at + dt.timedelta(seconds=1)) == []
    draft.refresh_from_db()
    assert draft.status == Round.Status.DRAFT
    assert draft.schedule_problem
    assert AuditEvent.objects.filter(action="round.scheduled_open_refused").count() == 1
    assert rounds_open_scheduled(now=opens_at + dt.timedelta(minutes=2)) == []  # not tried again and again
    assert AuditEvent.objects.filter(action="round.scheduled_open_refused").count() == 1

    client = Client()
    client.force_login(coordinator_a)
    page = client.get(reverse("round-detail", kwargs={"study_uuid": study_a.uuid, "round_uuid": draft.uuid}))
    assert draft.schedule_problem in page.content.decode()


def test_cancelling_the_schedule_leaves_a_draft_that_opens_only_by_hand(draft, coordinator_a):
    opens_at = _later(hours=2)
    round_schedule(round=draft, user=coordinator_a, opens_at=opens_at, deadline=_later(days=3))
    round_unschedule(round=draft, user=coordinator_a)
    draft.refresh_from_db()
    assert draft.scheduled_open_at is None
    assert AuditEvent.objects.filter(action="round.schedule_cancelled").exists()
    assert rounds_open_scheduled(now=opens_at + dt.timedelta(hours=1)) == []
    with pytest.raises(IllegalTransition):
        round_unschedule(round=draft, user=coordinator_a)


@pytest.mark.parametrize(
    ("opens_at", "deadline", "field"),
    [
        (-1, 24, "opens_at"),  # in the past
        (2, 1, "deadline"),  # deadline before the opening
    ],
)
def test_bad_times_are_refused_and_nothing_changes(draft, coordinator_a, opens_at, deadline, field):
    with pytest.raises(InvalidInput) as caught:
        round_schedule(
            round=draft, user=coordinator_a, opens_at=_later(hours=opens_at), deadline=_later(hours=deadline)
        )
    assert field in caught.value.field_errors
    draft.refresh_from_db()
    assert draft.scheduled_open_at is None
    assert not AuditEvent.objects.filter(action="round.scheduled").exists()


def test_only_a_draft_round_can_be_scheduled(study_a, coordinator_a):
    open_ = make_round(study_a, status=Round.Status.OPEN, deadline=_later(days=1))
    with pytest.raises(IllegalTransition):
        round_schedule(round=open_, user=coordinator_a, opens_at=_later(hours=1), deadline=_later(days=2))


def test_the_database_refuses_a_schedule_without_a_later_deadline(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.filter(pk=draft.pk).update(scheduled_open_at=_later(hours=2), scheduled_deadline=_later(hours=1))


def test_the_page_reads_the_times_in_the_coordinators_time_zone_and_shows_it(study_a, draft, coordinator_a):
    client = Client()
    client.force_login(coordinator_a)
    kwargs = {"study_uuid": study_a.uuid, "round_uuid": draft.uuid}
    day = (timezone.now() + dt.timedelta(days=3)).date()
    response = client.post(
        reverse("round-schedule", kwargs=kwargs),
        {
            "schedule-opens_at": f"{day}T09:00",
            "schedule-scheduled_deadline": f"{day + dt.timedelta(days=7)}T18:00",
            "schedule-time_zone": "Asia/Shanghai",
        },
    )
    assert response.status_code in (302, 303)
    draft.refresh_from_db()
    assert draft.scheduled_open_at == dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)  # 09:00 in Shanghai
    page = client.get(reverse("round-detail", kwargs=kwargs)).content.decode()
    assert "(Asia/Shanghai)" in page
    assert reverse("round-unschedule", kwargs=kwargs) in page

    refused = client.post(reverse("round-schedule", kwargs=kwargs), {"schedule-opens_at": "not a time"})
    assert refused.status_code == 400

    assert client.post(reverse("round-unschedule", kwargs=kwargs)).status_code in (302, 303)
    draft.refresh_from_db()
    assert draft.scheduled_open_at is None


def test_the_round_list_says_when_a_draft_opens_by_itself(study_a, draft, coordinator_a):
    opens_at = _later(days=2)
    round_schedule(round=draft, user=coordinator_a, opens_at=opens_at, deadline=_later(days=9))
    client = Client()
    client.force_login(coordinator_a)
    page = client.get(reverse("round-list", kwargs={"study_uuid": study_a.uuid})).content.decode()
    assert "Opens by itself at" in page
    assert opens_at.isoformat() in page  # the <time datetime> of the zoned time
