"""Emails to experts as durable jobs: one row per message to send, written with the change that asks for it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coopsurvey.job_rows import DurableJob, open_jobs_index
from elicitation.models.panel import Expert
from elicitation.models.rounds import Round


class EmailJob(DurableJob):
    """An invitation, a reminder, a new link or a study's results summary for one expert, sent by a worker.

    On the durable job path (``coopsurvey.jobs``).

    Delivery decides again when it runs (``elicitation.rounds.services.invitations``), so a job that runs twice,
    or a message no longer wanted (the expert submitted, left the panel, the round closed), sends nothing.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")
        NEW_LINK = "new_link", _("New personal link")
        RESULTS_SUMMARY = "summary", _("Results summary")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=10, choices=Kind)
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="email_jobs")
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.CASCADE, related_name="email_jobs")
    resend = models.BooleanField(default=False, help_text=_("An invitation or results summary sent again by hand."))
    not_reminded_since = models.DateTimeField(
        null=True, blank=True, help_text=_("A reminder goes out only if the expert was not reminded since then.")
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    batch = models.UUIDField(
        null=True, blank=True, help_text=_("The sending these jobs belong to (one click, or one API request).")
    )
    sent = models.BooleanField(default=False, help_text=_("A message went out (false: nothing was left to send)."))
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            open_jobs_index("email_job_open"),
            models.Index(fields=["batch"], condition=models.Q(batch__isnull=False), name="email_job_batch"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="new_link") | models.Q(round__isnull=False), name="email_job_round_message"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.expert_id} ({self.status})"
