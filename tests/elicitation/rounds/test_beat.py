"""Beat tasks: close rounds past their deadline; both tasks are on the beat schedule."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from coopsurvey.celery import app
from elicitation.models import AuditEvent, Round
from elicitation.tasks import close_due_rounds
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def test_rounds_past_their_deadline_are_closed(study_a, study_b, monkeypatch, django_capture_on_commit_callbacks):
    calls = []
    monkeypatch.setattr("aggregation.jobs.request_aggregation", lambda **kw: calls.append(kw))
    due = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() - dt.timedelta(seconds=1))
    not_due = make_round(study_b, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert close_due_rounds() == [due.pk]
    due.refresh_from_db()
    not_due.refresh_from_db()
    assert due.status == Round.Status.CLOSED
    assert not_due.status == Round.Status.OPEN
    event = AuditEvent.objects.get(action="round.close")
    assert event.actor_user_id is None
    assert event.detail["reason"] == "deadline"
    assert calls == [{"round_id": due.pk, "immediate": True}]


def test_closing_due_rounds_twice_is_harmless(study_a):
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() - dt.timedelta(seconds=1))
    assert len(close_due_rounds()) == 1
    assert close_due_rounds() == []


def test_a_draft_round_with_a_past_deadline_is_left_alone(study_a):
    make_round(study_a, status=Round.Status.DRAFT, deadline=timezone.now() - dt.timedelta(days=1))
    assert close_due_rounds() == []


def scheduled(task: str) -> object:
    return next(entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == task)


def test_both_tasks_are_on_the_beat_schedule():
    close_every = scheduled("elicitation.close_due_rounds")
    remind_every = scheduled("elicitation.remind_due_rounds")
    assert isinstance(close_every, int)
    assert isinstance(remind_every, int)
    assert close_every <= 300  # a round closes within minutes of its deadline
    assert remind_every <= 3600
    assert "elicitation.close_due_rounds" in app.tasks
    assert "elicitation.remind_due_rounds" in app.tasks
