"""Webhooks: a study's endpoints and each delivery of an event to one of them (a durable job)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coopsurvey.job_rows import DurableJob, open_jobs_index
from elicitation.models.study import Study


class WebhookEvent(models.TextChoices):
    """What an endpoint can subscribe to."""

    ROUND_OPENED = "round.opened", _("Round opened")
    ROUND_CLOSED = "round.closed", _("Round closed")
    RESULTS_READY = "results.ready", _("Results ready")
    EXPORT_DONE = "export.done", _("Export done")


class WebhookEndpoint(models.Model):
    """A URL of a coordinator's system that receives the study's events, signed with a secret of its own.

    The secret is kept (HMAC needs it to sign) and shown once, when the endpoint is created.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80, editable=False)
    events = models.JSONField(default=list, help_text=_("The event types this endpoint receives."))
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(DurableJob):
    """One event sent to one endpoint: written with the event, sent by a worker, retried with a back-off."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Sending")
        DONE = "done", _("Delivered")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(help_text=_("The event's id: the same in every delivery of one event."))
    event = models.CharField(max_length=20, choices=WebhookEvent)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [open_jobs_index("webhook_delivery_open")]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"
