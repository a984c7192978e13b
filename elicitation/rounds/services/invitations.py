"""Invitations and reminders: recorded as email jobs, delivered one expert at a time by a worker.

Queueing (``invitations_send``, ``reminders_send``, ``reminders_queue_due``) decides who
should get a message; delivery (``invitation_deliver``, ``reminder_deliver``) runs in the
task, locks the expert's participation row and decides again, so a task that runs twice,
or two clicks on the button, send one message per expert (per reminder window).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.audit import audit
from core.errors import IllegalTransition
from elicitation.models import EmailJob, Expert, Participation, Round
from elicitation.rounds.services.email_jobs import email_jobs_queue
from elicitation.rounds.services.lifecycle import User
from elicitation.rounds.services.messages import email_render, round_email_context
from elicitation.setup.services.tokens import token_issue

# A reminder sent by hand skips experts reminded less than this long ago (a second click sends nothing).
MANUAL_REMINDER_GAP = dt.timedelta(hours=12)


def expert_link(token: str) -> str:
    """The personal link an expert opens; the view exchanges the token for a session."""
    return f"{settings.SITE_URL}/e/{token}/"


_NOT_OPEN = {
    "invitations": gettext_lazy("Round %(number)s is not open; invitations go out only while a round is open."),
    "reminders": gettext_lazy("Round %(number)s is not open; reminders go out only while a round is open."),
}


def _require_open(round_: Round, kind: str) -> None:
    if round_.status != Round.Status.OPEN:
        raise IllegalTransition(str(_NOT_OPEN[kind]) % {"number": round_.number})


def _reachable(participations: QuerySet[Participation]) -> QuerySet[Participation]:
    return participations.filter(expert__is_active=True, expert__erased_at__isnull=True)


def participations_ensure(round_: Round) -> None:
    """A participation row for every active expert (experts added after the round opened included)."""
    experts = round_.study.experts.filter(is_active=True, erased_at__isnull=True).values_list("pk", flat=True)
    Participation.objects.bulk_create(
        [Participation(round=round_, expert_id=pk) for pk in experts], ignore_conflicts=True
    )


@transaction.atomic
def invitations_send(
    *,
    round: Round,
    user: User | None,
    expert_ids: Iterable[int] | None = None,
    resend: bool = False,
    batch: uuid.UUID | None = None,
) -> int:
    """Queue invitations for the open round: to every expert not yet invited, or (``resend``) again by hand.

    Returns how many were queued. The emails go out after this transaction commits. ``batch``: the id
    the queued jobs share (the API's job id).
    """
    _require_open(round, "invitations")
    participations_ensure(round)
    targets = _reachable(round.participations.all())
    if expert_ids is not None:
        targets = targets.filter(expert_id__in=list(expert_ids))
    if not resend:
        targets = targets.filter(invited_at__isnull=True)
    ids = list(targets.order_by("expert__number").values_list("expert_id", flat=True))
    audit(
        action="invitations.resend" if resend else "invitations.send",
        study=round.study,
        user=user,
        target=f"round {round.number}",
        round_id=round.pk,
        experts=len(ids),
        **_named_sending(batch),
    )
    email_jobs_queue(kind=EmailJob.Kind.INVITATION, expert_ids=ids, round_id=round.pk, resend=resend, batch=batch)
    return len(ids)


@transaction.atomic
def reminders_send(
    *, round: Round, user: User | None, now: dt.datetime | None = None, batch: uuid.UUID | None = None
) -> int:
    """Queue reminders by hand to invited experts who have not submitted and were not reminded lately."""
    _require_open(round, "reminders")
    now = now or timezone.now()
    since = now - MANUAL_REMINDER_GAP
    ids = list(_reminder_targets(round, since).values_list("expert_id", flat=True))
    audit(
        action="reminders.send",
        study=round.study,
        user=user,
        target=f"round {round.number}",
        round_id=round.pk,
        experts=len(ids),
        **_named_sending(batch),
    )
    email_jobs_queue(
        kind=EmailJob.Kind.REMINDER, expert_ids=ids, round_id=round.pk, not_reminded_since=since, batch=batch
    )
    return len(ids)


def _named_sending(batch: uuid.UUID | None) -> dict[str, Any]:
    """The audit detail naming an API request's sending (the API reports on it by this id)."""
    return {"batch": str(batch)} if batch else {}


def reminder_window_start(round_: Round) -> dt.datetime | None:
    """When the automatic reminder window of an open round begins: the study's hours before the deadline."""
    if round_.deadline is None:
        return None
    return round_.deadline - dt.timedelta(hours=round_.study.reminder_hours_before_deadline)


@transaction.atomic
def reminders_queue_due(*, now: dt.datetime | None = None) -> int:
    """For every open round inside its reminder window, queue one reminder per expert not yet reminded in it."""
    now = now or timezone.now()
    queued = 0
    rounds = Round.objects.filter(status=Round.Status.OPEN, deadline__gt=now).select_related("study")
    for round_ in rounds:
        start = reminder_window_start(round_)
        if start is None or now < start:
            continue
        ids = list(_reminder_targets(round_, start).values_list("expert_id", flat=True))
        if ids:
            audit(
                action="reminders.auto",
                study=round_.study,
                target=f"round {round_.number}",
                round_id=round_.pk,
                experts=len(ids),
            )
            email_jobs_queue(kind=EmailJob.Kind.REMINDER, expert_ids=ids, round_id=round_.pk, not_reminded_since=start)
            queued += len(ids)
    return queued


def _reminder_targets(round_: Round, not_reminded_since: dt.datetime) -> QuerySet[Participation]:
    return (
        _reachable(round_.participations.all())
        .filter(invited_at__isnull=False, submitted_at__isnull=True)
        .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=not_reminded_since))
        .order_by("expert__number")
    )


# Delivery: runs inside the worker's job (elicitation.rounds.services.email_jobs).


def _lock_expert(participations: QuerySet[Participation]) -> None:
    """The expert's row before their participation's, in the order of ``elicitation.locks``: a rating save
    holds the expert and then the audit chain before it marks the participation started."""
    Expert.objects.select_for_update(no_key=True).filter(pk__in=participations.values("expert_id")).first()


@transaction.atomic
def invitation_deliver(*, round_id: int, expert_id: int, resend: bool = False) -> bool:
    """Send one expert the invitation for an open round; False when there is nothing to send."""
    _lock_expert(Participation.objects.filter(round_id=round_id, expert_id=expert_id))
    participation = (
        Participation.objects.select_for_update(of=("self",))
        .select_related("round__study", "expert")
        .filter(round_id=round_id, expert_id=expert_id)
        .first()
    )
    if participation is None or not _deliverable(participation):
        return False
    if participation.invited_at is not None and not resend:
        return False
    _send(kind="invitation", participation=participation)
    participation.invited_at = timezone.now()
    participation.save(update_fields=["invited_at"])
    audit(
        action="invitation.sent",
        study=participation.round.study,
        target=f"round {participation.round.number} {participation.expert.pseudonym}",
        round_id=round_id,
        pseudonym=participation.expert.pseudonym,
        resend=resend,
    )
    return True


@transaction.atomic
def reminder_deliver(*, participation_id: int, not_reminded_since: dt.datetime) -> bool:
    """Send one reminder unless the expert submitted, was reminded since ``not_reminded_since``, or left."""
    _lock_expert(Participation.objects.filter(pk=participation_id))
    participation = (
        Participation.objects.select_for_update(of=("self",))
        .select_related("round__study", "expert")
        .filter(pk=participation_id)
        .first()
    )
    if participation is None or not _deliverable(participation):
        return False
    if participation.submitted_at is not None or participation.invited_at is None:
        return False
    if participation.last_reminded_at is not None and participation.last_reminded_at >= not_reminded_since:
        return False
    _send(kind="reminder", participation=participation)
    Participation.objects.filter(pk=participation.pk).update(
        last_reminded_at=timezone.now(), reminder_count=F("reminder_count") + 1
    )
    audit(
        action="reminder.sent",
        study=participation.round.study,
        target=f"round {participation.round.number} {participation.expert.pseudonym}",
        round_id=participation.round_id,
        pseudonym=participation.expert.pseudonym,
    )
    return True


def _deliverable(participation: Participation) -> bool:
    expert = participation.expert
    return participation.round.status == Round.Status.OPEN and expert.is_active and expert.erased_at is None


def _send(*, kind: str, participation: Participation) -> None:
    """Render the message in the expert's language and time zone and send it, with a fresh personal link."""
    expert = participation.expert
    token = token_issue(expert=expert)
    context = round_email_context(round_=participation.round, expert=expert, link=expert_link(token))
    expert_email_send(expert=expert, template=f"elicitation/email/{kind}", context=context)


def expert_email_send(*, expert: Expert, template: str, context: dict[str, Any]) -> None:
    """Send ``template`` (``_subject.txt``, ``.txt`` and ``.html``) to one expert, in their language and time zone.

    From the study's sender name, with replies to its contact address (``elicitation.rounds.services.messages.sender``).
    """
    email = email_render(expert=expert, template=template, context=context)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=email.from_email,
        to=[expert.email],
        reply_to=email.reply_to,
        headers={"Content-Language": email.language, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(email.html, "text/html")
    message.send()
