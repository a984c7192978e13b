"""Moderation of rationales before they are shown as feedback: hidden, never deleted, translated, always audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import InvalidInput
from elicitation.models import AreaResponse
from elicitation.models.answers import RATIONALE_MAX_LENGTH
from elicitation.rounds.services.lifecycle import User
from elicitation.setup.services.erasure import ERASED_TEXT


def _lock_response(response: AreaResponse) -> AreaResponse:
    """The response's row alone (not its round's or study's: answers refer to those)."""
    return (
        AreaResponse.objects.select_for_update(of=("self",), no_key=True)
        .select_related("round__study")
        .get(pk=response.pk)
    )


@transaction.atomic
def rationale_hide(*, response: AreaResponse, user: User | None, reason: str = "") -> AreaResponse:
    """Hide a rationale from feedback. The text is kept; who hid it and when are recorded."""
    locked = (
        AreaResponse.objects.select_for_update(of=("self",), no_key=True)
        .select_related("round__study")
        .get(pk=response.pk)
    )
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
    locked = (
        AreaResponse.objects.select_for_update(of=("self",), no_key=True)
        .select_related("round__study")
        .get(pk=response.pk)
    )
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


@transaction.atomic
def rationale_translate(*, response: AreaResponse, user: User | None, text: str, language: str) -> AreaResponse:
    """Add, replace or (with empty ``text``) remove the coordinators' translation of a rationale.

    The original stays as the expert wrote it; experts see the translation beside it, marked as the
    coordinators'. It goes into one of the study's languages other than the original's.
    """
    locked = (
        AreaResponse.objects.select_for_update(of=("self",), no_key=True)
        .select_related("round__study")
        .get(pk=response.pk)
    )
    study = locked.round.study
    text = text.strip() if isinstance(text, str) else ""
    errors: dict[str, list[str]] = {}
    if not locked.rationale or locked.rationale == ERASED_TEXT:
        errors["translation"] = [_("There is no rationale to translate.")]
    elif "\x00" in text:
        errors["translation"] = [_("The translation contains a null character.")]
    elif len(text) > RATIONALE_MAX_LENGTH:
        errors["translation"] = [_("Keep the translation under %(n)d characters.") % {"n": RATIONALE_MAX_LENGTH}]
    if text and language == locked.rationale_language:
        errors["language"] = [_("The rationale is already written in this language; choose another.")]
    elif text and language not in study.languages:
        errors["language"] = [_("Choose one of the study's languages.")]
    if errors:
        raise InvalidInput(_("The translation was not saved."), field_errors=errors)
    if (locked.translation, locked.translation_language) == (text, language if text else ""):
        return locked
    had_translation = bool(locked.translation)
    locked.translation = text
    locked.translation_language = language if text else ""
    locked.translated_by_id = user.pk if text and user is not None and user.is_authenticated else None
    locked.translated_at = timezone.now() if text else None
    locked.save(update_fields=["translation", "translation_language", "translated_by", "translated_at"])
    audit(
        action="rationale.translated" if text else "rationale.translation_removed",
        study=study,
        user=user,
        target=f"round {locked.round.number} rationale {locked.pk}",
        response_id=locked.pk,
        language=locked.translation_language,
        replaced=had_translation,
    )
    return locked
