"""Erasing an expert's personal data on request while keeping the pseudonymous answers.

What goes: the name, the email address, the time zone and the self-rated expertise
(contact details and a profile that could single a person out), every link (revoked),
and the text the expert wrote (rationales, suggestions, statements of dissent and reasons for
a change, and those texts in the answer and statement histories), which is replaced by
``ERASED_TEXT``; a coordinator's translation of a rationale is removed with it.

What stays: the pseudonym (E-07), bloc, sector and language (the subgroups the results
are computed for), every rating, confidence and "cannot judge", and the shape of the
history: the answer revisions keep their rows, times and sources; only their rationale
texts are redacted. The database allows that one change to an otherwise append-only table,
and only for an expert already marked erased (see migration 0003). A SYSTEM revision
records the erasure in the history itself. Aggregates do not change, because they read
ratings only.

The audit log is append-only and never held the name or email: events name experts by
pseudonym. The erasure event says what was erased, not what it said.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition
from elicitation.locks import lock_round
from elicitation.models import (
    AnswerRevision,
    AreaResponse,
    Expert,
    ItemStatement,
    ItemStatementRevision,
    Round,
    Study,
    Suggestion,
)
from elicitation.models.panel import email_key
from elicitation.setup.services.tokens import tokens_revoke

ERASED_TEXT = "[erased]"


def erased_email_key(expert: Expert) -> str:
    """Unique within the study (and everywhere), and not an address: the uniqueness constraint holds."""
    return f"erased:{expert.uuid}"


def erasure_confirmed(expert: Expert, typed: str) -> bool:
    """Whether ``typed`` confirms erasing ``expert``: the pseudonym (any case), or in strict anonymity, where no
    pseudonym is paired with a person, the email address. The page and the API ask for the same confirmation."""
    typed = typed.strip()
    if expert.study.anonymity == Study.Anonymity.STRICT:
        return bool(typed) and email_key(typed) == email_key(expert.email)
    return typed.upper() == expert.pseudonym


@transaction.atomic
def expert_erase(*, expert: Expert, user: User | None) -> Expert:
    """Erase ``expert``'s personal data; returns the erased expert. Refused (409) if already erased."""
    # The open round's lock first, as every answer write takes it: an erasure never
    # interleaves with a save of the same rationale.
    open_round_id = (
        Round.objects.filter(study_id=expert.study_id, status=Round.Status.OPEN).values_list("pk", flat=True).first()
    )
    if open_round_id is not None:
        lock_round(round_id=open_round_id)
    expert = Expert.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=expert.pk)
    if expert.erased_at is not None:
        raise IllegalTransition(_("This expert's personal data was already erased."))
    now = timezone.now()
    # update() rather than save(): save() derives email_key from the (now empty) email.
    Expert.objects.filter(pk=expert.pk).update(
        name="",
        email="",
        email_key=erased_email_key(expert),
        time_zone="",
        expertise={},
        is_active=False,
        erased_at=now,
    )
    links = tokens_revoke(expert=expert)
    counts = _erase_texts(expert)
    audit(
        action="expert.erased",
        study=expert.study,
        user=user,
        target=expert.pseudonym,
        pseudonym=expert.pseudonym,
        links_revoked=links,
        rationales=counts["rationales"],
        suggestions=counts["suggestions"],
        revision_texts_redacted=counts["revision_texts_redacted"],
    )
    expert.refresh_from_db()
    return expert


def _erase_texts(expert: Expert) -> dict[str, int]:
    """Replace every text the expert wrote with the marker; returns how many of each were erased."""
    responses = list(
        AreaResponse.objects.select_for_update()
        .filter(expert=expert)
        .exclude(rationale="")
        .exclude(rationale=ERASED_TEXT)
    )
    # A coordinator's translation carries the expert's words too: it goes with the original.
    AreaResponse.objects.filter(pk__in=[r.pk for r in responses]).update(
        rationale=ERASED_TEXT,
        translation="",
        translation_language="",
        translated_by=None,
        translated_at=None,
        updated_at=timezone.now(),
    )
    suggestions = Suggestion.objects.filter(expert=expert).exclude(text=ERASED_TEXT).update(text=ERASED_TEXT)
    # The history's own rationale texts: the one change the database lets through, for erased experts only.
    history = AnswerRevision.objects.filter(expert=expert, field=AnswerRevision.Field.RATIONALE)
    redacted = history.filter(~Q(old_value="") & ~Q(old_value=ERASED_TEXT) & Q(old_value__isnull=False)).update(
        old_value=ERASED_TEXT
    )
    redacted += history.filter(~Q(new_value="") & ~Q(new_value=ERASED_TEXT) & Q(new_value__isnull=False)).update(
        new_value=ERASED_TEXT
    )
    # The erasure itself, in the history: the current rationale now reads as the marker.
    AnswerRevision.objects.bulk_create(
        AnswerRevision(
            round_id=response.round_id,
            expert=expert,
            area_id=response.area_id,
            field=AnswerRevision.Field.RATIONALE,
            old_value=ERASED_TEXT,
            new_value=ERASED_TEXT,
            source=AnswerRevision.Source.SYSTEM,
        )
        for response in responses
    )
    redacted += _erase_statements(expert)
    return {"rationales": len(responses), "suggestions": suggestions, "revision_texts_redacted": redacted}


def _erase_statements(expert: Expert) -> int:
    """Dissent and reasons: the current texts become the marker, and so do the history's (migration 0016)."""
    ItemStatement.objects.filter(expert=expert).exclude(text="").exclude(text=ERASED_TEXT).update(
        text=ERASED_TEXT, updated_at=timezone.now()
    )
    history = ItemStatementRevision.objects.filter(expert=expert)
    redacted = history.filter(~Q(old_text="") & ~Q(old_text=ERASED_TEXT) & Q(old_text__isnull=False)).update(
        old_text=ERASED_TEXT
    )
    redacted += history.filter(~Q(new_text="") & ~Q(new_text=ERASED_TEXT)).update(new_text=ERASED_TEXT)
    return redacted
