from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elicitation.models.study import ConsensusRule, Study


class AnalysisPlan(models.Model):
    """One version of a study's analysis plan: every setting that decides a result, with its SHA-256.

    Version 1 is a draft that follows the settings until round 1 opens, when it is frozen. After that a
    change of any planned setting creates the next version, frozen at once and made with a reason: a
    deviation from the plan (``elicitation.setup.services.plan``).
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="analysis_plans")
    version = models.PositiveIntegerField()
    content = models.JSONField(help_text=_("The planned settings (docs/exports.md, plan.json)."))
    content_sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the content as canonical JSON."))
    consensus_rule = models.ForeignKey(
        ConsensusRule, null=True, blank=True, on_delete=models.PROTECT, related_name="analysis_plans"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    frozen_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text=_("Why the plan changed after it was frozen."))
    after_round = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The last round closed when this version was made.")
    )
    during_round = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The round open when this version was made.")
    )

    class Meta:
        ordering = ["study", "version"]
        constraints = [
            models.UniqueConstraint(fields=["study", "version"], name="analysis_plan_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="analysis_plan_version_positive"),
            models.CheckConstraint(
                condition=Q(version=1) | (Q(frozen_at__isnull=False) & ~Q(reason="")),
                name="analysis_plan_later_versions_frozen_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study} plan v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def is_deviation(self) -> bool:
        """Made after the plan was frozen (every version but a first one frozen when round 1 opened)."""
        return bool(self.reason)
