"""Who works on a study, and in which role: coordinators do everything, analysts read results and exports,
observers see the dashboards (docs/roles.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elicitation.models.study import Study


class Capability(models.TextChoices):
    """What a page or an API operation needs; each role holds a fixed set of them (``ROLE_CAPABILITIES``)."""

    DASHBOARD = "dashboard", _("See the dashboards and the report")
    RESULTS = "results", _("Download results and exports")
    MANAGE = "manage", _("Set up and run the study")


class StudyMember(models.Model):
    """One person's role on one study; a study always keeps at least one coordinator (the services see to it)."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        ANALYST = "analyst", _("Analyst")
        OBSERVER = "observer", _("Observer")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_memberships")
    role = models.CharField(max_length=12, choices=Role, default=Role.COORDINATOR)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["study", "user"]
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="study_member_once_per_study"),
            models.CheckConstraint(
                condition=Q(role__in=["coordinator", "analyst", "observer"]), name="study_member_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.study_id}"


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    StudyMember.Role.COORDINATOR: frozenset({Capability.DASHBOARD, Capability.RESULTS, Capability.MANAGE}),
    StudyMember.Role.ANALYST: frozenset({Capability.DASHBOARD, Capability.RESULTS}),
    StudyMember.Role.OBSERVER: frozenset({Capability.DASHBOARD}),
}


def roles_with(capability: str) -> list[str]:
    """The roles that hold ``capability``."""
    return [role for role, capabilities in ROLE_CAPABILITIES.items() if capability in capabilities]


def role_can(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())
