from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from elicitation.models.append_only import AppendOnlyModel
from elicitation.models.audit_chain import GENESIS, event_hash

# pg_advisory_xact_lock(classid, objid): this class id keeps the audit chain's locks apart from any other.
AUDIT_CHAIN_LOCK = 0x61756469  # "audi"


def chain_lock_id(study_id: int | None) -> int:
    """The second key of a chain's advisory lock: ``pg_advisory_xact_lock(AUDIT_CHAIN_LOCK, chain_lock_id(...))``.

    Whoever writes to a chain takes it first (the rating save takes it in its statement, through the database
    function ``coopsurvey_audit_chain_head``, see services.rating_writes), so that the head it reads next is
    the newest."""
    return (study_id or 0) % 2**31


class AuditEvent(AppendOnlyModel):
    """Append-only record of a state change: who, what, when. Refused updates and deletes by trigger.

    Each study's events form a hash chain (``elicitation.models.audit_chain``); ``verify_audit`` checks it.
    """

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
    # Set before the hash is computed (the hash covers it), so not auto_now_add.
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    sequence = models.PositiveBigIntegerField(editable=False, help_text="Position in the study's chain, from 1.")
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "sequence"], condition=Q(study__isnull=False), name="audit_event_one_per_position"
            ),
            models.UniqueConstraint(
                fields=["sequence"], condition=Q(study__isnull=True), name="audit_event_one_per_position_no_study"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Chained here rather than in the audit service so that no insert, whatever its path, leaves the chain.
        if self.pk is None:
            # No savepoint of its own: a failed insert fails the caller's transaction, which is what it writes.
            with transaction.atomic(savepoint=False):
                self._chain()
                super().save(*args, **kwargs)
        else:
            super().save(*args, **kwargs)  # refused: append-only

    def _chain(self) -> None:
        """Take the next position in the study's chain; the lock is held until the transaction commits."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [AUDIT_CHAIN_LOCK, chain_lock_id(self.study_id)])
        # Stored as the database gives it back, so that the hash can be recomputed from the row.
        self.detail = json.loads(json.dumps(self.detail or {}, cls=DjangoJSONEncoder))
        last = AuditEvent.chain(self.study_id).order_by("-sequence").values_list("sequence", "hash").first()
        self.sequence, self.previous_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        self.hash = event_hash(self.previous_hash, self.chain_content())

    @classmethod
    def chain(cls, study_id: int | None) -> models.QuerySet[AuditEvent]:
        """The events of one chain: a study's, or (``None``) those without a study."""
        if study_id is None:
            return cls.objects.filter(study__isnull=True)
        return cls.objects.filter(study_id=study_id)

    def chain_content(self) -> dict[str, Any]:
        return {
            "study_id": self.study_id,
            "actor_user_id": self.actor_user_id,
            "actor_expert_id": self.actor_expert_id,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "created_at": self.created_at,
        }


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
