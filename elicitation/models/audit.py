from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from elicitation.models.append_only import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """Append-only record of a state change: who, what, when. Refused updates and deletes by trigger."""

    study = models.ForeignKey(
        "elicitation.Study", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_expert = models.ForeignKey(
        "elicitation.Expert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class RefusedAttempts(models.Model):
    """Guesses refused from one client in one time window, counted in one row (not one row per guess).

    A refused guess (an unknown personal link, a wrong password) tells nothing about any study or
    person, so the log keeps how many came from where and when; a flood of them grows a count, not
    the table. Refusals that name something real (a one-time link used again) stay AuditEvents.
    """

    action = models.CharField(max_length=60)
    client = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    window_seconds = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["window_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "client", "window_start"], name="refused_attempts_one_row_per_client_and_window"
            ),
        ]
        indexes = [models.Index(fields=["window_start"], name="refused_attempts_window")]

    def __str__(self) -> str:
        return f"{self.window_start:%Y-%m-%d %H:%M} {self.action} {self.client} ×{self.count}"
