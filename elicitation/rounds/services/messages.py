"""What a round's emails say, per language: the coordinators' message, what changed, and the exact rendering.

Invitations and reminders are rendered here for delivery and for the coordinator's preview alike,
so the preview is exactly what each language group receives (only the personal link differs).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from elicitation.locks import lock_round
from elicitation.models import Area, Criterion, Expert, Round, RoundItem
from elicitation.rounds.selectors import area_revisions_for_round
from elicitation.rounds.services.lifecycle import User

MESSAGE_MAX_LENGTH = 5000
PREVIEW_LINK = "https://…/e/…/"  # the preview never issues a real personal link


@dataclass
class RoundChanges:
    """What an expert of one language should know about a round compared with the one before."""

    previous_number: int | None = None
    reworded: list[tuple[str, str]] = field(default_factory=list)  # (previous title, title now)
    added: list[str] = field(default_factory=list)  # area titles
    dropped: list[str] = field(default_factory=list)  # "area: criterion", in the expert's language

    def __bool__(self) -> bool:
        return bool(self.reworded or self.added or self.dropped)


@dataclass(frozen=True)
class RenderedEmail:
    language: str
    subject: str
    text: str
    html: str
    from_email: str
    reply_to: list[str]


@transaction.atomic
def round_set_messages(*, round: Round, user: User | None, messages: dict[str, str]) -> Round:
    """The coordinators' message to experts of each language; a closed round's emails are history."""
    locked = lock_round(round_id=round.pk)
    if locked.status == Round.Status.CLOSED:
        raise IllegalTransition(
            _("Round %(number)s is closed; its message can no longer change.") % {"number": locked.number}
        )
    offered = set(locked.study.languages or [])
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for language, text in messages.items():
        if language not in offered:
            errors[f"message_{language}"] = [_("This language is not offered by the study.")]
        elif len(text.strip()) > MESSAGE_MAX_LENGTH:
            errors[f"message_{language}"] = [_("At most %(n)d characters.") % {"n": MESSAGE_MAX_LENGTH}]
        elif text.strip():
            cleaned[language] = text.strip()
    if errors:
        raise InvalidInput(_("The message was not saved."), field_errors=errors)
    locked.messages = cleaned
    locked.save(update_fields=["messages"])
    audit(
        action="round.messages",
        study=locked.study,
        user=user,
        target=f"round {locked.number}",
        round_id=locked.pk,
        languages=sorted(cleaned),
    )
    return locked


def round_changes(round_: Round, language: str) -> RoundChanges:
    """Areas reworded (in ``language``), areas added and items dropped since the round before ``round_``."""
    previous = round_.study.rounds.filter(number=round_.number - 1).first()
    if previous is None:
        return RoundChanges()
    now = set(RoundItem.objects.filter(round=round_).values_list("area_id", "criterion_id"))
    before = set(RoundItem.objects.filter(round=previous).values_list("area_id", "criterion_id"))
    area_ids = {a for a, _c in now | before}
    criterion_ids = {c for _a, c in now | before}
    areas = {area.pk: area.localized(language) for area in Area.objects.filter(pk__in=area_ids)}
    criteria = {c.pk: c.localized(language) for c in Criterion.objects.filter(pk__in=criterion_ids)}
    revisions = area_revisions_for_round(round_, language=language)
    asked_areas = {a for a, _c in now}
    return RoundChanges(
        previous_number=previous.number,
        reworded=[(r.old_title, areas[a]["title"]) for a, r in sorted(revisions.items()) if a in asked_areas],
        added=[areas[a]["title"] for a in sorted(asked_areas - {a for a, _c in before})],
        dropped=[f"{areas[a]['title']}: {criteria[c]['title']}" for a, c in sorted(before - now)],
    )


def expert_zone(expert: Expert) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(expert.time_zone) if expert.time_zone else timezone.get_default_timezone()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def round_email_context(*, round_: Round, expert: Expert, link: str) -> dict[str, Any]:
    """The context of a round's invitation or reminder for one expert, in their language."""
    language = expert.language or round_.study.default_language
    zone = expert_zone(expert)
    return {
        "expert": expert,
        "study": round_.study,
        "round": round_,
        "link": link,
        "time_zone_name": getattr(zone, "key", str(zone)),
        "round_message": (round_.messages or {}).get(language, ""),
        "changes": round_changes(round_, language),
    }


def sender(study: Any) -> tuple[str, list[str]]:
    """The From address (the study's sender name on the server's address) and the Reply-To list."""
    default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    from_email = formataddr((study.sender_name or default_name, address)) if address else settings.DEFAULT_FROM_EMAIL
    return from_email, [study.contact_email] if study.contact_email else []


def email_render(*, expert: Expert, template: str, context: dict[str, Any]) -> RenderedEmail:
    """``template`` (``_subject.txt``, ``.txt``, ``.html``) for one expert, in their language and time zone."""
    study = expert.study
    language = expert.language or study.default_language
    context = {**context, "study_text": study.localized(language)}
    with translation.override(language), timezone.override(expert_zone(expert)):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    from_email, reply_to = sender(study)
    return RenderedEmail(language, " ".join(subject.split()), text, html, from_email, reply_to)


def email_preview(*, round_: Round, language: str, kind: str = "invitation") -> RenderedEmail:
    """Exactly what an expert of ``language`` receives for ``round_`` (a sample expert; the link is a placeholder)."""
    sample = Expert(study=round_.study, number=0, email="expert@example.org", language=language, bloc="")
    context = round_email_context(round_=round_, expert=sample, link=PREVIEW_LINK)
    return email_render(expert=sample, template=f"elicitation/email/{kind}", context=context)
