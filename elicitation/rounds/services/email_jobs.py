"""Emails to experts on the durable job path: one ``EmailJob`` row per message, sent by a worker.

The rows are written in the transaction that decides who gets a message (invitations, reminders, a new
link); each is sent to the broker after that commit (``coopsurvey.jobs``). Delivery decides again when it
runs, so a job that runs twice, or one no longer wanted, sends nothing. A mail server that refuses is
retried with a growing back-off held in the row, not in the worker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopsurvey import jobs
from core.audit import audit
from core.errors import IllegalTransition
from core.job_retry import REQUEUED, refuse_unless_stuck
from elicitation.models import EmailJob


def email_jobs_queue(
    *,
    kind: str,
    expert_ids: Iterable[int],
    round_id: int | None = None,
    resend: bool = False,
    not_reminded_since: dt.datetime | None = None,
    batch: uuid.UUID | None = None,
) -> list[EmailJob]:
    """Record one job per expert and send them after the caller's transaction commits.

    ``batch`` names the sending the jobs belong to (the API answers with it, and reports on it).
    """
    created = EmailJob.objects.bulk_create(
        EmailJob(
            kind=kind,
            expert_id=pk,
            round_id=round_id,
            resend=resend,
            not_reminded_since=not_reminded_since,
            batch=batch,
        )
        for pk in expert_ids
    )
    for job in created:
        jobs.enqueue("email", job.pk)
    return created


def email_job_retry(*, job: EmailJob, user: AbstractBaseUser, now: dt.datetime | None = None) -> EmailJob:
    """Queue a failed or stuck email job again (an operator's action); a finished or young job is refused.

    A job is stuck when it has been queued or running for longer than ``STUCK_AFTER`` (its message to the
    worker was lost and its lease, if any, long gone). Sending it again is safe: delivery decides again
    whether the message is still wanted, so an expert who submitted in between gets no reminder.
    """
    now = now or timezone.now()
    with transaction.atomic():
        job = EmailJob.objects.select_for_update().select_related("expert__study").get(pk=job.pk)
        if job.status == EmailJob.Status.DONE:
            raise IllegalTransition(_("This email job finished; there is nothing to retry."))
        refuse_unless_stuck(
            job,
            now=now,
            retry_action="email.job_retry",
            target=str(job.pk),
            still=_("This email job is still %(status)s; retry it only when it has not moved for %(minutes)d minutes."),
        )
        previous = job.status
        EmailJob.objects.filter(pk=job.pk).update(**REQUEUED)
        audit(
            action="email.job_retry",
            study=job.expert.study,
            user=user,
            target=str(job.pk),
            kind=job.kind,
            pseudonym=job.expert.pseudonym,
            round=job.round_id,
            previous_status=previous,
        )
        jobs.enqueue("email", job.pk)
        job.refresh_from_db()
    return job
