from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elicitation.models.panel import Expert
from elicitation.models.study import Area, Criterion, Study


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

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="round_number_unique_in_study"),
            models.UniqueConstraint(fields=["study"], condition=Q(status="open"), name="one_open_round_per_study"),
            models.CheckConstraint(condition=Q(number__gte=1), name="round_number_positive"),
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
