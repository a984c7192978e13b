"""Invitation emails: sent after commit by a task, once per expert and round, in the expert's language."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings
from django.utils import timezone

from core.errors import IllegalTransition
from elicitation.models import AuditEvent, InvitationToken, Participation, Round
from elicitation.models.panel import hash_token
from elicitation.rounds.services.invitations import invitation_deliver, invitations_send
from elicitation.setup.services.tokens import token_find
from tests.factories import make_experts, make_round

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://survey\.example\.org/e/([A-Za-z0-9_-]{40,})/")


@pytest.fixture
def open_round(study_a):
    study_a.introduction = "We ask where rivals could cooperate on <AI safety> & why."
    study_a.save()
    round_ = make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=7))
    Participation.objects.filter(round=round_).update(invited_at=None)
    return round_


def html_part(message) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    return str(message.alternatives[0][0])


def send(round_, user, capture, **kwargs):
    with capture(execute=True):
        return invitations_send(round=round_, user=user, **kwargs)


@override_settings(SITE_URL="https://survey.example.org")
def test_every_expert_gets_one_personal_link_after_commit(
    open_round, coordinator_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert invitations_send(round=open_round, user=coordinator_a) == 8
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(open_round.study.experts.values_list("email", flat=True))
    assert all(len(m.to) == 1 for m in mail.outbox)  # experts never see each other's addresses
    secrets = set()
    for message in mail.outbox:
        match = LINK.search(str(message.body))
        assert match, message.body
        token = token_find(secret=match.group(1))
        assert token is not None
        assert token.expert.email == message.to[0]
        secrets.add(match.group(1))
        assert "Study A" in message.subject
        assert "round 1" in message.subject
        assert "We ask where rivals could cooperate on <AI safety> & why." in message.body
        html = html_part(message)
        assert "&lt;AI safety&gt; &amp; why" in html  # the HTML part is escaped
        assert match.group(0) in html
    assert len(secrets) == 8
    assert not InvitationToken.objects.filter(token_hash__in=secrets).exists()  # only hashes are stored
    assert InvitationToken.objects.filter(token_hash__in=[hash_token(s) for s in secrets]).count() == 8
    assert not Participation.objects.filter(round=open_round, invited_at__isnull=True).exists()


def test_sending_again_invites_only_those_not_yet_invited(
    open_round, coordinator_a, django_capture_on_commit_callbacks
):
    send(open_round, coordinator_a, django_capture_on_commit_callbacks)
    new_expert = make_experts(open_round.study, 1)[0]
    mail.outbox.clear()
    assert send(open_round, coordinator_a, django_capture_on_commit_callbacks) == 1
    assert [m.to[0] for m in mail.outbox] == [new_expert.email]


def test_the_task_is_idempotent_per_round_and_expert(open_round):
    expert = open_round.study.experts.first()
    assert invitation_deliver(round_id=open_round.pk, expert_id=expert.pk) is True
    assert invitation_deliver(round_id=open_round.pk, expert_id=expert.pk) is False
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="invitation.sent").count() == 1


def test_a_coordinator_can_resend_by_hand(open_round, coordinator_a, django_capture_on_commit_callbacks):
    expert = open_round.study.experts.first()
    send(open_round, coordinator_a, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert send(open_round, coordinator_a, django_capture_on_commit_callbacks, expert_ids=[expert.pk], resend=True) == 1
    assert [m.to[0] for m in mail.outbox] == [expert.email]
    assert AuditEvent.objects.filter(action="invitations.resend", actor_user_id=coordinator_a.pk).exists()


def test_inactive_and_erased_experts_are_not_invited(open_round, coordinator_a, django_capture_on_commit_callbacks):
    experts = list(open_round.study.experts.all())
    experts[0].is_active = False
    experts[0].save()
    experts[1].erased_at = timezone.now()
    experts[1].save()
    assert send(open_round, coordinator_a, django_capture_on_commit_callbacks) == 6
    assert {m.to[0] for m in mail.outbox}.isdisjoint({experts[0].email, experts[1].email})


def test_a_task_for_an_expert_deactivated_since_queueing_sends_nothing(open_round):
    expert = open_round.study.experts.first()
    expert.is_active = False
    expert.save()
    assert invitation_deliver(round_id=open_round.pk, expert_id=expert.pk) is False
    assert mail.outbox == []


@pytest.mark.parametrize("status", [Round.Status.DRAFT, Round.Status.CLOSED])
def test_invitations_go_out_only_for_an_open_round(study_a, coordinator_a, status):
    round_ = make_round(study_a, status=status)
    with pytest.raises(IllegalTransition):
        invitations_send(round=round_, user=coordinator_a)
    assert mail.outbox == []


def test_the_email_is_in_the_experts_language_and_time_zone(
    open_round, coordinator_a, django_capture_on_commit_callbacks
):
    deadline = dt.datetime(2031, 3, 4, 12, 0, tzinfo=dt.UTC)
    Round.objects.filter(pk=open_round.pk).update(deadline=deadline)
    zh = open_round.study.experts.first()
    zh.language = "zh-hans"
    zh.time_zone = "Asia/Shanghai"
    zh.save()
    send(open_round, coordinator_a, django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mail.outbox}
    chinese = by_address[zh.email]
    english = next(m for address, m in by_address.items() if address != zh.email)
    assert chinese.extra_headers["Content-Language"] == "zh-hans"
    assert english.extra_headers["Content-Language"] == "en"
    assert "2031年3月4日" in chinese.body  # a date formatted for Chinese readers
    assert "20:00" in chinese.body  # 12:00 UTC is 20:00 in Shanghai
    assert "Asia/Shanghai" in chinese.body
    assert 'lang="zh-hans"' in html_part(chinese)
    assert chinese.subject == "邀请：Study A，第 1 轮"  # the catalogue is compiled at install (scripts/bootstrap)
    assert english.subject == "Invitation: Study A, round 1"
    assert "4 March 2031" in english.body
    assert "noon" in english.body or "12:00" in english.body or "12 p.m." in english.body


def test_the_greeting_uses_the_name_exactly_and_escaped_in_html(
    open_round, coordinator_a, django_capture_on_commit_callbacks
):
    expert = open_round.study.experts.first()
    expert.name = "李 <Li> & Ng"
    expert.save()
    open_round.study.experts.exclude(pk=expert.pk).update(name="")
    send(open_round, coordinator_a, django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mail.outbox}
    named = by_address.pop(expert.email)
    assert "Dear 李 <Li> & Ng," in named.body
    assert "Dear 李 &lt;Li&gt; &amp; Ng," in html_part(named)
    assert all("Dear expert," in m.body for m in by_address.values())
