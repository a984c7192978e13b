from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from elicitation.models.append_only import AppendOnlyModel
from elicitation.models.panel import Expert
from elicitation.models.rounds import Round
from elicitation.models.study import Area, Criterion

RATIONALE_MAX_LENGTH = 4000
SUGGESTION_MAX_LENGTH = 2000


class Rating(models.Model):
    """One expert's answer on one criterion for one area in one round.

    The database holds the invariants: one row per (round, expert, area, criterion);
    either a value or "cannot judge"; and (by trigger, see migrations) the value
    inside the criterion's scale and every key belonging to the round's study.
    """

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="ratings")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="ratings")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="ratings")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="ratings")
    value = models.SmallIntegerField(null=True, blank=True)
    cannot_judge = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "expert", "area", "criterion"], name="rating_unique_per_item"),
            models.CheckConstraint(
                condition=Q(value__isnull=True, cannot_judge=True) | Q(value__isnull=False, cannot_judge=False),
                name="rating_value_xor_cannot_judge",
            ),
        ]
        indexes = [models.Index(fields=["round", "area", "criterion"], name="rating_round_item_idx")]

    def __str__(self) -> str:
        # Not the expert: in a strict-anonymity study a rating's text (an admin page title) must not name them.
        shown = "cannot judge" if self.cannot_judge else str(self.value)
        return f"rating {self.pk} ({self.area_id}/{self.criterion_id}): {shown}"


class AreaResponse(models.Model):
    """Per expert, area and round: confidence (1–5) and an optional rationale, moderated before feedback.

    A rationale records the language it was written in (the expert's); a coordinator may add one
    translation into another language of the study. Experts always see the original, with the
    translation marked as the coordinators'.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # its public id (the API's)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="area_responses")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="area_responses")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="responses")
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    rationale = models.TextField(blank=True, max_length=RATIONALE_MAX_LENGTH)
    rationale_language = models.CharField(
        max_length=10, blank=True, help_text=_("The language the rationale was written in: the expert's.")
    )
    translation = models.TextField(blank=True, max_length=RATIONALE_MAX_LENGTH)
    translation_language = models.CharField(max_length=10, blank=True)
    translated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    translated_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "expert", "area"], name="area_response_unique"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=5),
                name="area_response_confidence_1_5",
            ),
            # A translation names its language, and translates into a language other than the original's.
            models.CheckConstraint(
                condition=Q(translation="", translation_language="")
                | (~Q(translation="") & ~Q(translation_language="") & ~Q(translation_language=F("rationale_language"))),
                name="area_response_translation_into_another_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert} on {self.area_id} in {self.round_id}"


class Suggestion(models.Model):
    """A new area proposed by an expert in round 1."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # its public id (the API's)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="suggestions")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="suggestions")
    text = models.TextField(max_length=SUGGESTION_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class AnswerRevision(AppendOnlyModel):
    """Append-only history of every create or change of a rating, confidence or rationale.

    Model methods refuse updates and deletes, and database triggers (see
    migrations) refuse them too, so nothing in the app can rewrite history.
    """

    class Field(models.TextChoices):
        VALUE = "value", _("Rating")
        CONFIDENCE = "confidence", _("Confidence")
        RATIONALE = "rationale", _("Rationale")

    class Source(models.TextChoices):
        WEB = "web", _("Web form")
        API = "api", _("API")
        IMPORT = "import", _("Import")
        SYSTEM = "system", _("System")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="answer_revisions")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=12, choices=Field)
    # NULL (no value: the answer did not exist, or "cannot judge") differs from an empty rationale.
    old_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    new_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    source = models.CharField(max_length=8, choices=Source)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["round", "expert"], name="answer_revision_round_expert")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} → {self.new_value!r}"
