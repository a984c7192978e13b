"""Reminders go only to invited experts who have not submitted: by hand, and by beat before the deadline."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import IllegalTransition
from elicitation.models import AuditEvent, Participation, Round
from elicitation.rounds.services.invitations import (
    MANUAL_REMINDER_GAP,
    reminder_deliver,
    reminders_queue_due,
    reminders_send,
)
from elicitation.tasks import remind_due_rounds
from tests.factories import make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_with_answers(study_a):
    """An open round closing in 30 hours; experts 1–3 submitted, the other five did not."""
    study_a.reminder_hours_before_deadline = 48
    study_a.save()
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(hours=30))
    submitted = list(study_a.experts.order_by("number").values_list("pk", flat=True)[:3])
    Participation.objects.filter(round=round_, expert_id__in=submitted).update(submitted_at=timezone.now())
    return round_


def non_submitters(round_):
    return set(round_.participations.filter(submitted_at__isnull=True).values_list("expert__email", flat=True))


def test_a_reminder_by_hand_goes_only_to_those_who_have_not_submitted(
    round_with_answers, coordinator_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(round=round_with_answers, user=coordinator_a) == 5
    assert {m.to[0] for m in mail.outbox} == non_submitters(round_with_answers)
    assert len(mail.outbox) == 5
    message = mail.outbox[0]
    assert "Reminder" in message.subject
    assert "closes soon" in message.body
    assert "/e/" in message.body
    reminded = Participation.objects.filter(round=round_with_answers, reminder_count=1)
    assert reminded.count() == 5
    assert not reminded.filter(last_reminded_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="reminders.send", actor_user_id=coordinator_a.pk).exists()


def test_a_second_click_sends_nothing(round_with_answers, coordinator_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(round=round_with_answers, user=coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(round=round_with_answers, user=coordinator_a) == 0
    assert len(mail.outbox) == 5


def test_a_reminder_by_hand_can_go_again_after_the_gap(
    round_with_answers, coordinator_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(round=round_with_answers, user=coordinator_a)
    later = timezone.now() + MANUAL_REMINDER_GAP + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(round=round_with_answers, user=coordinator_a, now=later) == 5


def test_experts_never_invited_or_inactive_get_no_reminder(
    round_with_answers, coordinator_a, django_capture_on_commit_callbacks
):
    pending = list(round_with_answers.participations.filter(submitted_at__isnull=True).select_related("expert"))
    Participation.objects.filter(pk=pending[0].pk).update(invited_at=None)
    pending[1].expert.is_active = False
    pending[1].expert.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(round=round_with_answers, user=coordinator_a) == 3
    assert {m.to[0] for m in mail.outbox}.isdisjoint({pending[0].expert.email, pending[1].expert.email})


def test_an_expert_who_submits_after_queueing_is_not_reminded(round_with_answers):
    participation = round_with_answers.participations.filter(submitted_at__isnull=True).first()
    since = timezone.now() - dt.timedelta(hours=1)
    Participation.objects.filter(pk=participation.pk).update(submitted_at=timezone.now())
    assert reminder_deliver(participation_id=participation.pk, not_reminded_since=since) is False
    assert mail.outbox == []


def test_the_reminder_task_is_idempotent(round_with_answers):
    participation = round_with_answers.participations.filter(submitted_at__isnull=True).first()
    since = timezone.now() - dt.timedelta(hours=1)
    assert reminder_deliver(participation_id=participation.pk, not_reminded_since=since) is True
    assert reminder_deliver(participation_id=participation.pk, not_reminded_since=since) is False
    assert len(mail.outbox) == 1
    participation.refresh_from_db()
    assert participation.reminder_count == 1


@pytest.mark.parametrize("status", [Round.Status.DRAFT, Round.Status.CLOSED])
def test_reminders_only_for_an_open_round(study_a, coordinator_a, status):
    with pytest.raises(IllegalTransition):
        reminders_send(round=make_round(study_a, status=status), user=coordinator_a)


def test_beat_reminds_once_per_window(round_with_answers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_due_rounds() == 5
    assert {m.to[0] for m in mail.outbox} == non_submitters(round_with_answers)
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_due_rounds() == 0  # the next beat run in the same window sends nothing
    assert len(mail.outbox) == 5
    assert AuditEvent.objects.filter(action="reminders.auto", actor_user__isnull=True).count() == 1


def test_beat_waits_for_the_window(round_with_answers, django_capture_on_commit_callbacks):
    Round.objects.filter(pk=round_with_answers.pk).update(deadline=timezone.now() + dt.timedelta(hours=49))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_due_rounds() == 0
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_queue_due(now=timezone.now() + dt.timedelta(hours=2)) == 5


def test_window_follows_the_studys_setting(round_with_answers, django_capture_on_commit_callbacks):
    study = round_with_answers.study
    study.reminder_hours_before_deadline = 24  # the deadline is 30 hours away: not yet
    study.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_due_rounds() == 0


def test_a_reminder_by_hand_before_the_window_does_not_block_the_automatic_one(
    round_with_answers, coordinator_a, django_capture_on_commit_callbacks
):
    Round.objects.filter(pk=round_with_answers.pk).update(deadline=timezone.now() + dt.timedelta(hours=60))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(round=round_with_answers, user=coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_queue_due(now=timezone.now() + dt.timedelta(hours=13)) == 5
    assert Participation.objects.filter(round=round_with_answers, reminder_count=2).count() == 5


def test_beat_does_not_remind_after_the_deadline_or_for_other_rounds(study_a, django_capture_on_commit_callbacks):
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_due_rounds() == 0
    assert mail.outbox == []
