"""Write an append-only audit event: who, what, when."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from elicitation.models import AuditEvent, Expert, Study


def audit(
    *,
    action: str,
    study: Study | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    expert: Expert | None = None,
    target: str = "",
    **detail: Any,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        study=study,
        actor_user_id=user.pk if user is not None and user.is_authenticated else None,
        actor_expert=expert,
        target=target[:200],
        detail=detail,
    )
