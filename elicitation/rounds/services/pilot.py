"""Piloting a round's form: answers kept apart as ``PilotResponse`` rows, never as ratings.

A coordinator (or a colleague at their screen) fills the expert's form in pilot mode; the answers are
checked as an expert's would be (items of the round, values on the criterion's scale, confidence 1–5,
rationales within their length) and stored in their own table. Nothing reads that table but the pilot
pages: results, exports, the dashboard and the analysis read ratings only, so pilot answers never
count. They are shown to the coordinators marked as pilot data, and can be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User as AuthUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from elicitation.models import PilotResponse, Round, RoundItem
from elicitation.models.answers import RATIONALE_MAX_LENGTH
from elicitation.rounds.services.lifecycle import User

MAX_TESTER_LABEL = 100
MAX_COMMENT = 4000
CONFIDENCE_RANGE = range(1, 6)


@dataclass(frozen=True)
class PilotAnswer:
    area_id: int
    criterion_id: int
    value: int | None
    cannot_judge: bool = False


def rating_field(area_id: int, criterion_id: int) -> str:
    """The expert form's field name of an item (``elicitation.expert.forms.rating_field``)."""
    return f"r-{area_id}-{criterion_id}"


def _checked_answers(round_: Round, answers: list[PilotAnswer], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    items = {
        (item.area_id, item.criterion_id): item
        for item in RoundItem.objects.filter(round=round_).select_related("area", "criterion")
    }
    stored = []
    for answer in answers:
        field = rating_field(answer.area_id, answer.criterion_id)
        item = items.get((answer.area_id, answer.criterion_id))
        if item is None:
            errors[field] = [_("This item is not asked in this round.")]
            continue
        criterion = item.criterion
        if answer.cannot_judge and not criterion.allow_cannot_judge:
            errors[field] = [_("“Cannot judge” is not offered for this criterion.")]
            continue
        if not answer.cannot_judge and (
            answer.value is None or not criterion.scale_min <= answer.value <= criterion.scale_max
        ):
            errors[field] = [
                _("Choose a value from %(low)d to %(high)d.")
                % {"low": criterion.scale_min, "high": criterion.scale_max}
            ]
            continue
        stored.append(
            {
                "area": item.area.code,
                "criterion": criterion.code,
                "value": None if answer.cannot_judge else answer.value,
                "cannot_judge": answer.cannot_judge,
            }
        )
    return stored


def _checked_notes(
    round_: Round, areas: dict[int, dict[str, Any]], errors: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    codes = dict(RoundItem.objects.filter(round=round_).values_list("area_id", "area__code").distinct())
    notes: dict[str, dict[str, Any]] = {}
    for area_id, values in areas.items():
        if area_id not in codes:
            errors[f"confidence-{area_id}"] = [_("This area is not asked in this round.")]
            continue
        confidence = values.get("confidence")
        rationale = values.get("rationale")
        note: dict[str, Any] = {}
        if isinstance(confidence, int):
            if confidence not in CONFIDENCE_RANGE:
                errors[f"confidence-{area_id}"] = [_("Choose a confidence from 1 to 5.")]
            else:
                note["confidence"] = confidence
        if isinstance(rationale, str) and rationale.strip():
            if len(rationale) > RATIONALE_MAX_LENGTH:
                errors[f"rationale-{area_id}"] = [_("At most %(n)d characters.") % {"n": RATIONALE_MAX_LENGTH}]
            else:
                note["rationale"] = rationale
        if note:
            notes[codes[area_id]] = note
    return notes


def pilot_check(
    *, round: Round, answers: list[PilotAnswer], areas: dict[int, dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, list[str]]]:
    """The answers as they would be kept, and every problem by field name; writes nothing (the preview's check)."""
    errors: dict[str, list[str]] = {}
    stored = _checked_answers(round, answers, errors)
    notes = _checked_notes(round, areas, errors)
    return stored, notes, errors


@transaction.atomic
def pilot_record(
    *,
    round: Round,
    user: User | None,
    language: str,
    answers: list[PilotAnswer],
    areas: dict[int, dict[str, Any]],
    tester_label: str = "",
    comment: str = "",
) -> PilotResponse:
    """Keep one pilot run of the round's form; every problem as a field error, and nothing kept, otherwise."""
    if round.status == Round.Status.CLOSED:
        raise IllegalTransition(_("Round %(number)s is closed; pilot it before it opens.") % {"number": round.number})
    stored, notes, errors = pilot_check(round=round, answers=answers, areas=areas)
    if language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = [_("Unknown language.")]
    if len(tester_label) > MAX_TESTER_LABEL:
        errors["tester_label"] = [_("At most %(n)d characters.") % {"n": MAX_TESTER_LABEL}]
    if len(comment) > MAX_COMMENT:
        errors["comment"] = [_("At most %(n)d characters.") % {"n": MAX_COMMENT}]
    if errors:
        raise InvalidInput(_("The pilot answers were not kept."), field_errors=errors)
    response = PilotResponse.objects.create(
        round=round,
        tester=user if isinstance(user, AuthUser) else None,
        tester_label=tester_label.strip(),
        language=language,
        answers=stored,
        area_notes=notes,
        comment=comment.strip(),
    )
    audit(
        action="pilot.recorded",
        study=round.study,
        user=user,
        target=str(response.uuid),
        round_id=round.pk,
        answers=len(stored),
    )
    return response


@transaction.atomic
def pilot_delete(*, response: PilotResponse, user: User | None) -> None:
    """Delete one pilot run (pilot data is the coordinators' own test, not an expert's answer)."""
    round_ = response.round
    audit(action="pilot.deleted", study=round_.study, user=user, target=str(response.uuid), round_id=round_.pk)
    response.delete()
