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

from coopsurvey import jobs
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
