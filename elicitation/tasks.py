"""Celery tasks of the elicitation app: thin, idempotent, taking ids and calling one service each."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from coopsurvey import jobs
from elicitation.models import Round
from elicitation.services.email_jobs import email_job_deliver
from elicitation.services.errors import IllegalTransition
from elicitation.services.invitations import reminders_queue_due
from elicitation.services.rounds import round_close

logger = logging.getLogger(__name__)


@shared_task(name="elicitation.send_email", acks_late=True, reject_on_worker_lost=True)
def send_email(job_id: int) -> str:
    """Send one email job's message (an invitation, a reminder, a new link) if it is still wanted.

    On the durable job path (``coopsurvey.jobs``): a mail server that is down or refuses is retried with a
    growing back-off held in the job's row, up to the kind's attempts.
    """
    return jobs.run("email", job_id, email_job_deliver)


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
