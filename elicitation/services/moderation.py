"""Moderation of rationales before they are shown as feedback: hidden, never deleted, always audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elicitation.models import AreaResponse
from elicitation.services.audit import audit
from elicitation.services.errors import InvalidInput
from elicitation.services.rounds import User


@transaction.atomic
def rationale_hide(*, response: AreaResponse, user: User | None, reason: str = "") -> AreaResponse:
    """Hide a rationale from feedback. The text is kept; who hid it and when are recorded."""
    locked = AreaResponse.objects.select_for_update().select_related("round__study").get(pk=response.pk)
    if locked.hidden_at is not None:
        return locked
    reason = reason.strip()
    if len(reason) > 500:
        raise InvalidInput(_("Keep the reason under 500 characters."), field_errors={"reason": [_("Too long.")]})
    locked.hidden_at = timezone.now()
    locked.hidden_by_id = user.pk if user is not None and user.is_authenticated else None
    locked.save(update_fields=["hidden_at", "hidden_by"])
    audit(
        action="rationale.hide",
        study=locked.round.study,
        user=user,
        target=f"round {locked.round.number} rationale {locked.pk}",
        response_id=locked.pk,
        reason=reason,
    )
    return locked


@transaction.atomic
def rationale_unhide(*, response: AreaResponse, user: User | None) -> AreaResponse:
    """Show a hidden rationale again; the earlier hiding stays in the audit trail."""
    locked = AreaResponse.objects.select_for_update().select_related("round__study").get(pk=response.pk)
    if locked.hidden_at is None:
        return locked
    hidden_at = locked.hidden_at
    locked.hidden_at = None
    locked.hidden_by = None
    locked.save(update_fields=["hidden_at", "hidden_by"])
    audit(
        action="rationale.unhide",
        study=locked.round.study,
        user=user,
        target=f"round {locked.round.number} rationale {locked.pk}",
        response_id=locked.pk,
        was_hidden_at=hidden_at,
    )
    return locked
