"""The columns every background job's row has, for the job models (``coopsurvey.jobs`` runs the jobs).

Apart from ``coopsurvey.jobs`` so that models importing these import nothing beyond Django.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class DurableJob(models.Model):
    """The queue's columns, shared by every job model (each has its own status, error and start/finish times)."""

    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the job reached the broker; empty while it could not be sent.")
    )
    not_before = models.DateTimeField(
        null=True, blank=True, help_text=_("Not sent before this time: a coalescing delay or a retry's back-off.")
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text=_("How many times a worker started it."))
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("A running job's worker renews this; once it has passed, the worker is gone."),
    )

    class Meta:
        abstract = True


def open_jobs_index(name: str) -> models.Index:
    """The sweep's index: only queued and running rows, which stay few however long the table grows."""
    return models.Index(fields=["status", "not_before"], condition=Q(status__in=[QUEUED, RUNNING]), name=name)
