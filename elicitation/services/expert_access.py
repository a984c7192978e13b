"""An expert's way in: a personal link exchanged for a session, and informed consent."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from elicitation.models import Expert, InvitationToken, Participation, Round
from elicitation.services.audit import audit
from elicitation.services.errors import InvalidInput
from elicitation.services.tokens import token_find, token_record_use


@transaction.atomic
def expert_link_open(*, secret: str) -> InvitationToken | None:
    """The usable token for ``secret``, its use recorded; None for unknown, expired, revoked or deactivated."""
    token = token_find(secret=secret)
    if token is None:
        return None
    expert = token.expert
    token_record_use(token=token)
    Participation.objects.filter(
        expert=expert, round__study_id=expert.study_id, round__status=Round.Status.OPEN
    ).update(opened_at=Coalesce("opened_at", timezone.now()))
    audit(action="expert.link_opened", study=expert.study, expert=expert, target=expert.pseudonym)
    return token


@transaction.atomic
def expert_consent(*, expert: Expert) -> Expert:
    """Record informed consent once, with its time; consenting again changes nothing."""
    if expert.consented_at is None:
        expert.consented_at = timezone.now()
        Expert.objects.filter(pk=expert.pk, consented_at__isnull=True).update(consented_at=expert.consented_at)
        audit(action="expert.consented", study=expert.study, expert=expert, target=expert.pseudonym)
    return expert


@transaction.atomic
def expert_language_set(*, expert: Expert, language: str) -> Expert:
    """Show the expert's pages in one of the study's languages (and send later emails in it)."""
    offered = {code for code, _name in settings.LANGUAGES} & set(expert.study.languages or [])
    if language not in offered:
        raise InvalidInput(_("This language is not offered."), field_errors={"language": [_("Not offered.")]})
    if expert.language != language:
        old = expert.language
        expert.language = language
        Expert.objects.filter(pk=expert.pk).update(language=language)
        audit(
            action="expert.language_set",
            study=expert.study,
            expert=expert,
            target=expert.pseudonym,
            old=old,
            new=language,
        )
    return expert
