"""Celery tasks of the elicitation app: thin, idempotent, taking ids and calling one service each."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from celery import shared_task
from django.utils import timezone

from core.errors import IllegalTransition
from elicitation.expert.services.link_requests import expert_new_link_deliver
from elicitation.models import Round
from elicitation.rounds.services.invitations import invitation_deliver, reminder_deliver, reminders_queue_due
from elicitation.rounds.services.lifecycle import round_close

logger = logging.getLogger(__name__)

# A mail server that is down or refuses for a while: try again later, with growing pauses.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAIL_TASK: dict[str, Any] = {
    "autoretry_for": MAIL_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(
    name="elicitation.send_invitation",
    **MAIL_TASK,
)
def send_invitation(*, round_id: int, expert_id: int, resend: bool = False) -> bool:
    """Send one expert the round's invitation (once, unless re-sent by hand)."""
    return invitation_deliver(round_id=round_id, expert_id=expert_id, resend=resend)


@shared_task(
    name="elicitation.send_reminder",
    **MAIL_TASK,
)
def send_reminder(*, participation_id: int, not_reminded_since: str) -> bool:
    """Send one reminder, unless the expert submitted or was reminded since ``not_reminded_since`` (ISO time)."""
    return reminder_deliver(
        participation_id=participation_id, not_reminded_since=dt.datetime.fromisoformat(not_reminded_since)
    )


@shared_task(
    name="elicitation.send_new_link",
    **MAIL_TASK,
)
def send_new_link(*, expert_id: int) -> bool:
    """Email one expert the fresh personal link they asked for."""
    return expert_new_link_deliver(expert_id=expert_id)


@shared_task(name="elicitation.remind_due_rounds", acks_late=True)
def remind_due_rounds() -> int:
    """Beat: queue the automatic reminders of every open round that entered its reminder window."""
    return reminders_queue_due()


@shared_task(name="elicitation.close_due_rounds", acks_late=True)
def close_due_rounds() -> list[int]:
    """Beat: close every open round whose deadline has passed; returns the ids closed."""
    closed = []
    due = Round.objects.filter(status=Round.Status.OPEN, deadline__lte=timezone.now()).values_list("pk", flat=True)
    for round_id in list(due):
        try:
            round_close(round=Round(pk=round_id), user=None, reason="deadline")
        except IllegalTransition:
            continue  # closed by hand (or by another beat run) since the query: nothing to do
        logger.info("closed round %s at its deadline", round_id)
        closed.append(round_id)
    return closed
