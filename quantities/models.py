"""Quantity and probability questions (issue 19): the study's elicitation format, the questions, answers.

An area can hold questions for a quantity or a probability besides its 1–9 ratings. Experts answer them
IDEA-style (lowest, best, highest and their confidence that the truth lies between) or as quantiles
(5/50/95 by default), as the study's format says. Seed questions carry the true value, entered by a
coordinator once known; experts never see which questions are seeds, nor a truth. The pooled results
(equal weights and Cooke's classical model) are rows of an aggregation run and live where results live,
in ``aggregation.models`` (``PooledQuantity``, ``ExpertPerformance``), appended like the ratings' results.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from elicitation.models import Area, Expert, Round, Study
from elicitation.models.append_only import AppendOnlyModel
from elicitation.models.study import LocalizedText


def default_quantiles() -> list[float]:
    return [0.05, 0.5, 0.95]


class QuantityFormat(models.Model):
    """How a study's experts answer quantity questions, and the quantiles every answer is pooled at."""

    class Format(models.TextChoices):
        IDEA = "idea", _("IDEA: lowest, highest, best estimate and confidence")
        QUANTILES = "quantiles", _("Quantiles (e.g. 5th, 50th and 95th percentiles)")

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="quantity_format")
    format = models.CharField(max_length=10, choices=Format, default=Format.IDEA)
    quantiles = models.JSONField(
        default=default_quantiles,
        help_text=_("The probability levels answers are asked at (quantile format) or standardised to (IDEA)."),
    )
    overshoot = models.FloatField(
        default=0.1, help_text=_("The intrinsic range of each question is widened by this share on both sides.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(overshoot__gt=0, overshoot__lte=1), name="quantity_format_overshoot"),
        ]

    def __str__(self) -> str:
        return f"{self.study}: {self.format}"


class QuantityQuestion(LocalizedText):
    """A quantity or probability asked within an area; a seed carries its true value once known."""

    class Kind(models.TextChoices):
        QUANTITY = "quantity", _("Quantity")
        PROBABILITY = "probability", _("Probability")

    class Scale(models.TextChoices):
        UNIFORM = "uniform", _("Uniform (linear)")
        LOG = "log", _("Logarithmic")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="quantity_questions")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="quantity_questions")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.QUANTITY)
    unit = models.CharField(max_length=60, blank=True)
    lower_bound = models.FloatField(null=True, blank=True)
    upper_bound = models.FloatField(null=True, blank=True)
    scale = models.CharField(max_length=8, choices=Scale, default=Scale.UNIFORM)
    is_seed = models.BooleanField(default=False, help_text=_("A calibration question whose true value will be known."))
    realization = models.FloatField(null=True, blank=True, help_text=_("The true value of a seed question."))
    realization_entered_at = models.DateTimeField(null=True, blank=True)
    realization_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    TEXT_KEYS = ("title", "description", "unit")

    class Meta:
        ordering = ["area__order", "area_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="quantity_question_code_unique_in_study"),
            models.CheckConstraint(
                condition=Q(kind="quantity") | Q(lower_bound=0, upper_bound=1),
                name="quantity_question_probability_0_1",
            ),
            models.CheckConstraint(
                condition=Q(lower_bound__isnull=True)
                | Q(upper_bound__isnull=True)
                | Q(upper_bound__gt=F("lower_bound")),
                name="quantity_question_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(scale="uniform") | Q(lower_bound__gte=0), name="quantity_question_log_positive"
            ),
            models.CheckConstraint(
                condition=Q(realization__isnull=True) | Q(is_seed=True), name="quantity_question_realization_on_seeds"
            ),
            models.CheckConstraint(
                condition=Q(realization__isnull=True)
                | (
                    (Q(lower_bound__isnull=True) | Q(realization__gte=F("lower_bound")))
                    & (Q(upper_bound__isnull=True) | Q(realization__lte=F("upper_bound")))
                ),
                name="quantity_question_realization_in_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_probability(self) -> bool:
        return self.kind == self.Kind.PROBABILITY


class QuantityAnswer(models.Model):
    """One expert's answer to one quantity question in one round: IDEA's four fields, or quantile values.

    The database holds what it can: one answer per (round, expert, question), lowest ≤ best ≤ highest with
    lowest < highest, a confidence of 50–100%. The service checks the rest (bounds, the quantile count).
    """

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="quantity_answers")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="quantity_answers")
    question = models.ForeignKey(QuantityQuestion, on_delete=models.PROTECT, related_name="answers")
    lowest = models.FloatField(null=True, blank=True)
    best = models.FloatField(null=True, blank=True)
    highest = models.FloatField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True, help_text=_("Percent, 50–100: IDEA format only."))
    values = models.JSONField(default=list, blank=True, help_text=_("Values at the study's quantiles, lowest first."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "expert", "question"], name="quantity_answer_unique"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=50, confidence__lte=100),
                name="quantity_answer_confidence_50_100",
            ),
            models.CheckConstraint(
                condition=Q(lowest__isnull=True)
                | Q(lowest__lte=F("best"), best__lte=F("highest"), lowest__lt=F("highest")),
                name="quantity_answer_idea_ordered",
            ),
        ]
        indexes = [models.Index(fields=["round", "question"], name="quantity_answer_round_question")]

    def __str__(self) -> str:
        return f"quantity answer {self.pk} ({self.question_id})"

    def as_record(self) -> dict[str, object]:
        """The answer as its revision records it."""
        if self.lowest is not None:
            return {"lowest": self.lowest, "best": self.best, "highest": self.highest, "confidence": self.confidence}
        return {"values": list(self.values)}


class QuantityAnswerRevision(AppendOnlyModel):
    """Append-only history of every create or change of a quantity answer (old and new, as records)."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(QuantityQuestion, on_delete=models.PROTECT, related_name="+")
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField()
    source = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["round", "expert"], name="quantity_revision_round_expert")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.old_value!r} → {self.new_value!r}"
