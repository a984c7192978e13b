"""Statements an expert puts on the record about one item: principled dissent, and the reason for a changed rating.

An item is a rating item (an area on a criterion) or a quantity question. Dissent may be recorded on
either; a reason for a change only on a rating item, which the form asks for (optionally) when the
expert's rating moved by more than the study's ``change_reason_threshold`` since their previous round.
An empty statement is a withdrawn one: the row stays, and every change is in the append-only history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elicitation.models.append_only import AppendOnlyModel
from elicitation.models.panel import Expert
from elicitation.models.rounds import Round
from elicitation.models.study import Area, Criterion

STATEMENT_MAX_LENGTH = 1000

# A statement names exactly one item: a rating item (area and criterion) or a quantity question.
_ONE_TARGET = Q(area__isnull=False, criterion__isnull=False, question__isnull=True) | Q(
    area__isnull=True, criterion__isnull=True, question__isnull=False
)


class StatementKind(models.TextChoices):
    DISSENT = "dissent", _("Dissent")
    CHANGE_REASON = "change_reason", _("Reason for a change")


class ItemStatement(models.Model):
    """An expert's current statement of one kind on one item in one round; empty when withdrawn."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="item_statements")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="item_statements")
    kind = models.CharField(max_length=14, choices=StatementKind)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # By name: the quantities app stands on these models (docs/architecture.md), not they on it.
    question = models.ForeignKey(
        "quantities.QuantityQuestion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True, max_length=STATEMENT_MAX_LENGTH)
    language = models.CharField(max_length=10, blank=True, help_text=_("The language it was written in."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="item_statement_one_target"),
            models.CheckConstraint(
                condition=Q(kind="dissent") | Q(question__isnull=True), name="item_statement_reason_on_ratings"
            ),
            models.UniqueConstraint(
                fields=["round", "expert", "kind", "area", "criterion"],
                condition=Q(question__isnull=True),
                name="item_statement_unique_rating_item",
            ),
            models.UniqueConstraint(
                fields=["round", "expert", "kind", "question"],
                condition=Q(question__isnull=False),
                name="item_statement_unique_question",
            ),
        ]
        indexes = [models.Index(fields=["round", "kind"], name="item_statement_round_kind")]

    def __str__(self) -> str:
        # Not the expert: in a strict-anonymity study an admin page title must not name them.
        return f"{self.kind} {self.pk} in round {self.round_id}"


class ItemStatementRevision(AppendOnlyModel):
    """Append-only history of every create, change or withdrawal of a statement (old and new text).

    The database refuses updates and deletes too, except the erasure's redaction of the texts (see migrations).
    """

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=StatementKind)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    criterion = models.ForeignKey(Criterion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(
        "quantities.QuantityQuestion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    old_text = models.TextField(null=True, blank=True)  # noqa: DJ001 (NULL: there was no statement)
    new_text = models.TextField(blank=True)
    source = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=_ONE_TARGET, name="item_statement_revision_one_target")]
        indexes = [models.Index(fields=["round", "expert"], name="item_statement_rev_round_exp")]

    def __str__(self) -> str:
        return f"{self.kind} revision {self.pk} in round {self.round_id}"
