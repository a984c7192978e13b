"""An operator's retry of a durable job (``coopsurvey.jobs``): when a job counts as stuck, and what a retry resets.

Export jobs and email jobs share this; each service keeps its own lock, wording and audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max

from coopsurvey.job_rows import FAILED, QUEUED
from core.errors import IllegalTransition
from elicitation.models import AuditEvent

STUCK_AFTER = dt.timedelta(minutes=15)  # no progress for this long: the worker's message was lost

# The columns a retry sets: queued again, from a clean slate (the durable path's own columns included).
REQUEUED: dict[str, Any] = {
    "status": QUEUED,
    "error": "",
    "started_at": None,
    "finished_at": None,
    "attempts": 0,
    "not_before": None,
    "dispatched_at": None,
    "lease_until": None,
}


def refuse_unless_stuck(job: Any, *, now: dt.datetime, retry_action: str, target: str, still: str) -> None:
    """Refuse (``IllegalTransition``) to retry a queued or running job that moved within ``STUCK_AFTER``.

    The job last moved when it was created, started, or retried (the audit log's ``retry_action`` events on
    ``target`` have the time). ``still`` is the refusal, with ``%(status)s`` and ``%(minutes)d`` in it.
    """
    if job.status == FAILED:
        return
    retried = AuditEvent.objects.filter(action=retry_action, target=target).aggregate(latest=Max("created_at"))[
        "latest"
    ]
    moved = max(moment for moment in (job.created_at, job.started_at, retried) if moment is not None)
    if moved > now - STUCK_AFTER:
        minutes = int(STUCK_AFTER.total_seconds() // 60)
        raise IllegalTransition(still % {"status": job.get_status_display().lower(), "minutes": minutes})
