"""An expert's way in: a personal link exchanged for a session, and informed consent.

In a study with one-time links (``Study.single_use_links``) the first exchange of a link wins
(``token_claim``); every later or concurrent use is refused exactly as an unknown link is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit, audit_refusal
from core.errors import InvalidInput
from elicitation.models import Expert, InvitationToken, Participation, Round
from elicitation.setup.services.tokens import token_claim, token_find, token_record_use

# Refused guesses, counted per client and window (RefusedAttempts), by the way they came in.
GUESS_ACTIONS = {"link": "expert.link_refused", "api": "expert.invitation_refused"}


def _refused(*, client: str, token: InvitationToken | None, via: str) -> None:
    """Audit a refused link without its secret: who tried (the address), and which link if it exists.

    A guess (no such usable link) is counted per address and hour, not recorded one by one.
    """
    if token is None:
        audit_refusal(action=GUESS_ACTIONS[via], client=client)
    else:  # a one-time link used again: possibly forwarded or leaked, worth telling apart in the log
        expert = token.expert
        audit(action="expert.link_refused", study=expert.study, target=client, via=via, pseudonym=expert.pseudonym)


@transaction.atomic
def expert_link_open(*, secret: str, client: str = "") -> InvitationToken | None:
    """The usable token for ``secret``, its use recorded; None (audited) for unknown, expired, revoked,
    deactivated, or one-time and already used."""
    token = token_find(secret=secret)
    if token is None:
        _refused(client=client, token=None, via="link")
        return None
    expert = token.expert
    if expert.study.single_use_links:
        if not token_claim(token=token):
            _refused(client=client, token=token, via="link")
            return None
    else:
        token_record_use(token=token)
    Participation.objects.filter(
        expert=expert, round__study_id=expert.study_id, round__status=Round.Status.OPEN
    ).update(opened_at=Coalesce("opened_at", timezone.now()))
    audit(action="expert.link_opened", study=expert.study, expert=expert, target=expert.pseudonym)
    return token


def expert_invitation_check(*, secret: str, client: str = "") -> Expert | None:
    """The expert an ``Authorization: Invitation`` header names, or None (audited) as for a link.

    A one-time link is claimed by this use as by opening it: a used one is refused, and so is
    every later request with it.
    """
    token = token_find(secret=secret)
    if token is None or token.expert.erased_at is not None:
        _refused(client=client, token=None, via="api")
        return None
    expert = token.expert
    if not expert.study.single_use_links:
        return expert  # a reusable link: its uses are not recorded one by one (what they change is)
    with transaction.atomic():
        if not token_claim(token=token):
            _refused(client=client, token=token, via="api")
            return None
        audit(action="expert.link_opened", study=expert.study, expert=expert, target=expert.pseudonym, via="api")
    return expert


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
