"""Celery tasks of the elicitation app: thin, idempotent, taking ids and calling one service each."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from coopsurvey import jobs
from core.errors import IllegalTransition
from core.webhooks import webhook_delivery_send
from elicitation.expert.services.link_requests import expert_new_link_deliver
from elicitation.expert.services.results_summary import results_summary_deliver
from elicitation.models import EmailJob, Participation, Round
from elicitation.rounds.services.invitations import invitation_deliver, reminder_deliver, reminders_queue_due
from elicitation.rounds.services.lifecycle import round_close
from elicitation.rounds.services.scheduling import rounds_open_scheduled

logger = logging.getLogger(__name__)


def email_job_deliver(job_id: int) -> None:
    """Send the job's message if it is still wanted (the delivery services decide); records whether one went out."""
    job = EmailJob.objects.get(pk=job_id)
    if job.kind == EmailJob.Kind.NEW_LINK:
        sent = expert_new_link_deliver(expert_id=job.expert_id)
    elif job.round_id is None:
        raise ValueError(f"email job {job_id}: a round's message without its round")  # a database constraint
    elif job.kind == EmailJob.Kind.RESULTS_SUMMARY:
        sent = results_summary_deliver(job_id=job_id)
    elif job.kind == EmailJob.Kind.INVITATION:
        sent = invitation_deliver(round_id=job.round_id, expert_id=job.expert_id, resend=job.resend)
    else:
        participation = Participation.objects.filter(round_id=job.round_id, expert_id=job.expert_id).first()
        since = job.not_reminded_since or job.created_at
        sent = participation is not None and reminder_deliver(
            participation_id=participation.pk, not_reminded_since=since
        )
    EmailJob.objects.filter(pk=job_id).update(sent=sent)


@shared_task(name="elicitation.send_email", acks_late=True, reject_on_worker_lost=True)
def send_email(job_id: int) -> str:
    """Send one email job's message (an invitation, a reminder, a new link, a results summary) if still wanted.

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


@shared_task(name="elicitation.open_scheduled_rounds", acks_late=True)
def open_scheduled_rounds() -> list[int]:
    """Beat: open every draft round whose set time has come and queue its invitations; returns the ids opened."""
    return rounds_open_scheduled()


@shared_task(name="elicitation.deliver_webhook", acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(delivery_id: int) -> str:
    """POST one webhook delivery, signed; retried with a growing back-off on the durable job path."""
    return jobs.run("webhook", delivery_id, webhook_delivery_send)
