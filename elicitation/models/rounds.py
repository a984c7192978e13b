from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elicitation.models.panel import Expert
from elicitation.models.study import Area, Criterion, Study

# The study's round gate (elicitation.locks, the lock order): pg_advisory_xact_lock(classid, objid); this
# class id keeps the round gates apart from any other lock. Here beside the round, as the audit chain's lock
# is beside the audit log, so that the aggregation job can wait at it too (aggregation.jobs).
ROUND_GATE = 0x67617465  # "gate"
_GATE_KEYS = 2**31


def gate_key(study_id: int) -> int:
    """The second key of a study's round gate: ``pg_advisory_xact_lock(ROUND_GATE, gate_key(study_id))``."""
    return study_id % _GATE_KEYS


class Round(models.Model):
    """One round of a study. Status changes only through elicitation.rounds.services.lifecycle."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rounds")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    deadline = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    consensus_rule = models.ForeignKey(
        "elicitation.ConsensusRule", null=True, blank=True, on_delete=models.PROTECT, related_name="rounds"
    )
    messages = models.JSONField(
        default=dict, blank=True, help_text=_("The coordinators' message to experts, per language: {language: text}.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A draft round set to open by itself (elicitation.rounds.services.scheduling, beat every minute).
    scheduled_open_at = models.DateTimeField(null=True, blank=True)
    scheduled_deadline = models.DateTimeField(null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schedule_problem = models.TextField(blank=True, help_text=_("Why the round did not open at its set time."))

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="round_number_unique_in_study"),
            models.UniqueConstraint(fields=["study"], condition=Q(status="open"), name="one_open_round_per_study"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
            models.CheckConstraint(
                condition=Q(scheduled_open_at__isnull=True)
                | Q(scheduled_deadline__isnull=False, scheduled_deadline__gt=models.F("scheduled_open_at")),
                name="round_scheduled_deadline_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study} round {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class RoundItem(models.Model):
    """An (area, criterion) pair asked in a round; items can be dropped or added between rounds."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="items")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="round_items")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="round_items")

    class Meta:
        ordering = ["area__order", "area_id", "criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "area", "criterion"], name="round_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.area.code}/{self.criterion.code}"


class Participation(models.Model):
    """Per expert and round: invited, opened, started, submitted, reminded."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participations")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="participations")
    invited_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["round", "expert__number"]
        constraints = [models.UniqueConstraint(fields=["round", "expert"], name="participation_unique")]

    def __str__(self) -> str:
        return f"{self.expert} in {self.round}"


class PilotResponse(models.Model):
    """Answers given while piloting a round's form: kept apart from ratings, never in results or exports.

    Written by ``elicitation.rounds.services.pilot`` only; nothing here joins the Rating table, so no
    aggregation, export or analysis can count a pilot answer. Deletable by the study's coordinators.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="pilot_responses")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tester_label = models.CharField(max_length=100, blank=True, help_text=_("Who tried the form, e.g. a colleague."))
    language = models.CharField(max_length=10)
    answers = models.JSONField(
        default=list, help_text=_('[{"area": code, "criterion": code, "value": 7, "cannot_judge": false}, …]')
    )
    area_notes = models.JSONField(default=dict, help_text=_('{area code: {"confidence": 4, "rationale": "…"}}'))
    comment = models.TextField(blank=True, help_text=_("The tester's remarks on the form itself."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "created_at", "id"]

    def __str__(self) -> str:
        return f"pilot answers {self.pk} in {self.round}"


def round_gate_take(round_id: int) -> None:
    """Take the round's study's gate exclusively, until the transaction ends (PostgreSQL, inside one)."""
    sql = " ".join(
        ["SELECT pg_advisory_xact_lock(%s, mod(study_id, %s)::int)", f"FROM {Round._meta.db_table} WHERE id = %s"]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ROUND_GATE, _GATE_KEYS, round_id])
