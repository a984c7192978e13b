"""Writing an expert's answers: ratings, confidence and rationale, suggestions, and the round submission.

Every write first takes the locks of ``elicitation.locks`` in their one order (the study's round gate shared,
the round, the expert), so it either commits before the round closes and counts, or is refused with
``RoundNotOpen``, and two writes of one expert queue rather than deadlock. Bad input raises ``InvalidInput`` with
field errors before anything is written. Each create or change writes an append-only ``AnswerRevision``;
saving an unchanged answer writes nothing. After a committed change, aggregation is requested (it
coalesces requests, so one per save is fine).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation.jobs import request_aggregation
from core import pipelined
from core.audit import audit
from core.errors import InvalidInput, RoundNotOpen
from core.pipelined import transaction_rows as pipelined_rows
from core.prepared import fetch_one
from elicitation.expert.services.rating_writes import (
    ItemRules,
    RatingsSaved,
    RoundWanted,
    lock_statement,
    save_result,
    save_statement,
    uses_single_statement,
)
from elicitation.locks import lock_round_for_answer, locked_from_row
from elicitation.models import (
    AnswerRevision,
    Area,
    AreaResponse,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
    RoundItem,
    Suggestion,
)
from elicitation.models.answers import RATIONALE_MAX_LENGTH, SUGGESTION_MAX_LENGTH
from elicitation.rounds.selectors import earlier_rationales

CANNOT_JUDGE = "cannot_judge"  # how "cannot judge" is written in a value revision; NULL means "no answer"
CONFIDENCE_MIN, CONFIDENCE_MAX = 1, 5
SUGGESTIONS_PER_EXPERT = 20

Source = AnswerRevision.Source


class Keep(enum.Enum):
    """Leave a field of an area response as it is (autosave sends one field at a time)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class AnswerInput:
    """One rating to save: a value on the criterion's scale, or ``cannot_judge`` with no value."""

    area_id: int
    criterion_id: int
    value: int | None
    cannot_judge: bool = False
    # The API names items by UUID: looked up in the expert's study by the save (then area_id is not read).
    area_uuid: UUID | None = None
    criterion_uuid: UUID | None = None


def _round_missing() -> InvalidInput:
    return InvalidInput(_("This round does not exist."), field_errors={"round": [_("Unknown round.")]})


def _expert_inactive() -> InvalidInput:
    return InvalidInput(_("This panel membership is no longer active."), field_errors={"expert": [_("Inactive.")]})


def _lock_round_for(expert: Expert, round_id: int) -> Round:
    """Lock the open round for an answer and check it is the expert's study and the expert may still answer."""
    try:
        locked = lock_round_for_answer(expert=expert, round_id=round_id)
    except Round.DoesNotExist:
        raise _round_missing() from None
    round_ = locked.round
    if round_.status != Round.Status.OPEN:
        raise RoundNotOpen("This round is not open for answers.")
    if round_.study_id != expert.study_id:
        raise _round_missing()
    if not locked.expert_active:
        raise _expert_inactive()
    return round_


def _mark_started(*, expert: Expert, round_: Round) -> None:
    now = timezone.now()
    updated = Participation.objects.filter(round=round_, expert=expert).update(
        started_at=Coalesce("started_at", now), opened_at=Coalesce("opened_at", now)
    )
    if not updated:
        Participation.objects.create(round=round_, expert=expert, opened_at=now, started_at=now)


def _after_commit_aggregate(round_: Round) -> None:
    interval = round_.study.aggregation_interval_seconds  # read with the round's lock
    transaction.on_commit(lambda: request_aggregation(round_id=round_.pk, interval=interval))


def _value_text(value: int | None, cannot_judge: bool) -> str:
    return CANNOT_JUDGE if cannot_judge else str(value)


def _answer_problems(answer: AnswerInput, rules: ItemRules | None) -> list[str]:
    if rules is None:
        return [_("This item is not asked in this round.")]
    if answer.cannot_judge:
        if not rules.allow_cannot_judge:
            return [_("“Cannot judge” is not offered for this criterion.")]
        if answer.value is not None:
            return [_("Give either a value or “cannot judge”, not both.")]
        return []
    if answer.value is None:
        return [_("Choose a value or “cannot judge”.")]
    if isinstance(answer.value, bool) or not isinstance(answer.value, int):
        return [_("The rating must be a whole number.")]
    if not rules.scale_min <= answer.value <= rules.scale_max:
        bounds = {"min": rules.scale_min, "max": rules.scale_max}
        return [_("The rating must be between %(min)d and %(max)d.") % bounds]
    return []


def _raise_problems(answers: Sequence[AnswerInput], rules: Sequence[ItemRules | None]) -> None:
    """Errors keyed ``answers.<index>``, the same from either write path."""
    field_errors: dict[str, list[str]] = {}
    seen: set[tuple[int, int]] = set()
    for index, (answer, item_rules) in enumerate(zip(answers, rules, strict=True)):
        problems = _answer_problems(answer, item_rules)
        key = (answer.area_id, answer.criterion_id)
        if not problems and key in seen:
            problems = [_("This item appears twice.")]
        seen.add(key)
        if problems:
            field_errors[f"answers.{index}"] = problems
    if field_errors:
        raise InvalidInput(_("Some answers could not be saved."), field_errors=field_errors)


def answers_save(
    *, expert: Expert, round_id: int, answers: Sequence[AnswerInput], source: str = Source.WEB
) -> list[Rating]:
    """Save a batch of ratings all-or-nothing; errors are keyed ``answers.<index>``. Returns the changed ratings."""
    try:
        return ratings_save(expert=expert, round_id=round_id, answers=answers, source=source).changed
    except Round.DoesNotExist:
        raise _round_missing() from None


def ratings_save(
    *,
    expert: Expert,
    answers: Sequence[AnswerInput],
    source: str = Source.WEB,
    round_id: int | None = None,
    round_uuid: UUID | str | None = None,
    open_round: bool = False,
) -> RatingsSaved:
    """Save a batch of ratings all-or-nothing in the round given by id or uuid (or, with ``open_round``,
    the study's open round), and report the progress.

    Raises ``Round.DoesNotExist`` for a round that is unknown or of another study (or no round is open),
    ``RoundNotOpen``, and ``InvalidInput`` (keyed ``answers.<index>``) with nothing written.
    """
    where = RoundWanted(round_id=round_id, round_uuid=round_uuid, open_in_study=open_round)
    if uses_single_statement() and pipelined.available():
        # Its own transaction, in one round trip: BEGIN, the lock, the save and COMMIT sent together.
        saved = _ratings_save_statement(expert, answers, source, where, one_round_trip=True)
    else:
        with transaction.atomic():
            if uses_single_statement():
                saved = _ratings_save_statement(expert, answers, source, where, one_round_trip=False)
            else:
                saved = _ratings_save_portable(expert, answers, source, where)
    if saved.changed and not saved.live_run_waiting:  # a run waiting already will read this save
        _after_commit_aggregate(saved.round)  # at once, or when the caller's own transaction commits
    return saved


def _ratings_save_statement(
    expert: Expert, answers: Sequence[AnswerInput], source: str, where: RoundWanted, *, one_round_trip: bool
) -> RatingsSaved:
    """PostgreSQL: the shared round lock joined with the expert check, then one statement (see rating_writes).

    ``one_round_trip``: both go with BEGIN and COMMIT in one round trip, and the lock's row is checked after the
    commit; that is safe because the save's statement writes nothing unless the round and expert pass the same
    checks, and nothing unless every answer passes (the problems are raised afterwards too)."""
    lock = lock_statement(expert=expert, where=where)
    # A value that is not a whole number (or too big for any scale) is never sent: the statement treats it
    # as missing and writes nothing; it is refused below with the portable path's words.
    rows = [
        (
            answer.area_uuid or answer.area_id,
            answer.criterion_uuid or answer.criterion_id,
            answer.value if _fits_the_statement(answer.value) else None,
            bool(answer.cannot_judge),
        )
        for answer in answers
    ]
    save = save_statement(expert=expert, where=where, answers=rows, source=source) if answers else None
    if one_round_trip:
        sent = [lock, (save.sql, save.params)] if save else [lock]
        lock_row, *save_rows = pipelined_rows(sent)
    else:
        lock_row, save_rows = fetch_one(*lock), []
    locked = locked_from_row(lock_row, expert=expert)
    round_ = locked.round
    if round_.status != Round.Status.OPEN:  # checked before the study, as lock_open_round does
        raise RoundNotOpen("This round is not open for answers.")
    if round_.study_id != expert.study_id:
        raise Round.DoesNotExist
    if locked.expert_study_id is None or not locked.expert_active:
        raise _expert_inactive()
    if save is None:
        return RatingsSaved(round=round_, changed=[], answered=0, total=0, scales={})
    save_row = save_rows[0] if one_round_trip else fetch_one(save.sql, save.params)
    result = save_result(save_row, statement=save, expert=expert, round_=round_)
    found = [replace(a, area_id=item[0], criterion_id=item[1]) for a, item in zip(answers, result.items, strict=True)]
    _raise_problems(found, result.rules)  # the statement wrote nothing then: it writes only valid answers
    return result.saved


def _with_ids(expert: Expert, answers: Sequence[AnswerInput]) -> Sequence[AnswerInput]:
    """Answers naming their items by UUID, given the study's ids (0, never asked, for an unknown UUID)."""
    if not any(answer.area_uuid or answer.criterion_uuid for answer in answers):
        return answers
    areas = dict(Area.objects.filter(study_id=expert.study_id).values_list("uuid", "pk"))
    criteria = dict(Criterion.objects.filter(study_id=expert.study_id).values_list("uuid", "pk"))
    return [
        replace(
            answer,
            area_id=areas.get(answer.area_uuid, 0) if answer.area_uuid else answer.area_id,
            criterion_id=criteria.get(answer.criterion_uuid, 0) if answer.criterion_uuid else answer.criterion_id,
        )
        for answer in answers
    ]


def _fits_the_statement(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31


def _ratings_save_portable(
    expert: Expert, answers: Sequence[AnswerInput], source: str, where: RoundWanted
) -> RatingsSaved:
    """Any database: the ORM, a statement or two per step (SQLite serialises writers itself)."""
    round_id = where.round_id
    if round_id is None:
        rounds = Round.objects.filter(study_id=expert.study_id)
        if where.open_in_study:
            rounds = rounds.filter(status=Round.Status.OPEN)
        elif where.round_uuid is not None:
            rounds = rounds.filter(uuid=where.round_uuid)
        else:
            raise Round.DoesNotExist
        round_id = rounds.values_list("pk", flat=True).first()
        if round_id is None:
            raise Round.DoesNotExist
    answers = _with_ids(expert, answers)
    locked = lock_round_for_answer(expert=expert, round_id=round_id)
    round_ = locked.round
    if round_.status != Round.Status.OPEN:
        raise RoundNotOpen("This round is not open for answers.")
    if round_.study_id != expert.study_id:
        raise Round.DoesNotExist
    if not locked.expert_active:
        raise _expert_inactive()
    # Only the posted items are looked up (one for an autosave); the pair is matched exactly below.
    items = {
        (item.area_id, item.criterion_id): ItemRules(
            allow_cannot_judge=item.criterion.allow_cannot_judge,
            scale_min=item.criterion.scale_min,
            scale_max=item.criterion.scale_max,
        )
        for item in RoundItem.objects.filter(
            round=round_,
            area__is_active=True,
            criterion__is_active=True,
            area_id__in={answer.area_id for answer in answers},
            criterion_id__in={answer.criterion_id for answer in answers},
        ).select_related("criterion")
    }
    _raise_problems(answers, [items.get((answer.area_id, answer.criterion_id)) for answer in answers])
    if not answers:
        return RatingsSaved(round=round_, changed=[], answered=0, total=0, scales={})

    answered_before = set(
        Rating.objects.filter(round=round_, expert=expert, area__is_active=True, criterion__is_active=True).values_list(
            "area_id", "criterion_id"
        )
    )
    existing = {
        (rating.area_id, rating.criterion_id): rating
        for rating in Rating.objects.select_for_update().filter(
            round=round_, expert=expert, area_id__in={a.area_id for a in answers}
        )
    }
    changed: list[Rating] = []
    revisions: list[AnswerRevision] = []
    for answer in answers:
        value = None if answer.cannot_judge else answer.value
        rating = existing.get((answer.area_id, answer.criterion_id))
        old_text = None if rating is None else _value_text(rating.value, rating.cannot_judge)
        new_text = _value_text(value, answer.cannot_judge)
        if old_text == new_text:
            continue
        if rating is None:
            rating = Rating(round=round_, expert=expert, area_id=answer.area_id, criterion_id=answer.criterion_id)
        rating.value = value
        rating.cannot_judge = answer.cannot_judge
        rating.save()
        changed.append(rating)
        revisions.append(
            AnswerRevision(
                round=round_,
                expert=expert,
                area_id=answer.area_id,
                criterion_id=answer.criterion_id,
                field=AnswerRevision.Field.VALUE,
                old_value=old_text,
                new_value=new_text,
                source=source,
            )
        )
    if changed:
        AnswerRevision.objects.bulk_create(revisions)
        _mark_started(expert=expert, round_=round_)
        # How many, not which values: the answer history holds those, for the expert's own record.
        audit(
            action="answers.saved",
            study=expert.study,
            expert=expert,
            target=f"round {round_.number}",
            ratings=len(changed),
            source=source,
        )
    posted = {(answer.area_id, answer.criterion_id) for answer in answers}
    answered = answered_before | posted
    asked = list(
        RoundItem.objects.filter(round=round_, area__is_active=True, criterion__is_active=True).values_list(
            "area_id", "criterion_id"
        )
    )
    posted_areas = {area_id for area_id, _criterion in posted}
    complete = {area for area in posted_areas if all(key in answered for key in asked if key[0] == area)}
    return RatingsSaved(
        round=round_,
        changed=changed,
        answered=len(answered),
        total=len(asked),
        scales={key: (rules.scale_min, rules.scale_max) for key, rules in items.items()},
        newly_answered=posted - answered_before,
        complete_areas=complete,
    )


def _clean_rationale(rationale: str) -> str:
    if not isinstance(rationale, str):
        raise InvalidInput(_("The rationale must be text."), field_errors={"rationale": [_("Must be text.")]})
    rationale = rationale.strip()
    if "\x00" in rationale:
        raise InvalidInput(_("The rationale contains a null character."), field_errors={"rationale": [_("Invalid.")]})
    if len(rationale) > RATIONALE_MAX_LENGTH:
        message = _("At most %(max)d characters.") % {"max": RATIONALE_MAX_LENGTH}
        raise InvalidInput(_("The rationale is too long."), field_errors={"rationale": [message]})
    return rationale


def _clean_confidence(confidence: int | None) -> int | None:
    if confidence is None:
        return None
    if isinstance(confidence, bool) or not isinstance(confidence, int):
        raise InvalidInput(_("Confidence must be a whole number."), field_errors={"confidence": [_("Not a number.")]})
    if not CONFIDENCE_MIN <= confidence <= CONFIDENCE_MAX:
        message = _("Choose from %(min)d to %(max)d.") % {"min": CONFIDENCE_MIN, "max": CONFIDENCE_MAX}
        raise InvalidInput(_("Confidence is out of range."), field_errors={"confidence": [message]})
    return confidence


def area_response_save(
    *,
    expert: Expert,
    round_id: int,
    area_id: int,
    confidence: int | Keep | None = KEEP,
    rationale: str | Keep = KEEP,
    source: str = Source.WEB,
) -> AreaResponse | None:
    """Upsert the confidence (1–5 or none) and rationale for one area; ``KEEP`` leaves a field as it is.

    Returns the response when it changed, None when nothing changed.
    """
    with transaction.atomic():
        round_ = _lock_round_for(expert, round_id)
        new_confidence = None if confidence is KEEP else _clean_confidence(confidence)
        new_rationale = "" if rationale is KEEP else _clean_rationale(rationale)
        asked = RoundItem.objects.filter(round=round_, area_id=area_id, area__is_active=True).exists()
        if not asked:
            raise InvalidInput(_("This area is not asked in this round."), field_errors={"area": [_("Unknown area.")]})
        response = AreaResponse.objects.select_for_update().filter(round=round_, expert=expert, area_id=area_id).first()
        old_confidence = None if response is None else response.confidence
        old_rationale = None if response is None else response.rationale
        if confidence is KEEP and response is not None:
            new_confidence = response.confidence
        if rationale is KEEP and response is not None:
            new_rationale = response.rationale
        elif rationale is KEEP:  # the first answer for the area: the expert's reasons of the last round go on
            new_rationale = earlier_rationales(expert=expert, round_=round_, area_id=area_id).get(area_id, "")
        confidence, rationale = new_confidence, new_rationale
        revisions: list[tuple[str, int | str | None, int | str | None]] = []
        if response is None or old_confidence != confidence:
            revisions.append((AnswerRevision.Field.CONFIDENCE, old_confidence, confidence))
        if response is None or old_rationale != rationale:
            revisions.append((AnswerRevision.Field.RATIONALE, old_rationale, rationale))
        if response is None and confidence is None and not rationale:
            return None  # nothing given yet: no empty row, no history
        if not revisions:
            return None
        if response is None:
            response = AreaResponse(round=round_, expert=expert, area_id=area_id)
        if response.rationale != rationale:
            response.rationale_language = expert.language if rationale else ""
            # A translation of the earlier wording would put words in the expert's mouth.
            response.translation = response.translation_language = ""
            response.translated_by, response.translated_at = None, None
        response.confidence = confidence
        response.rationale = rationale
        response.save()
        AnswerRevision.objects.bulk_create(
            AnswerRevision(
                round=round_,
                expert=expert,
                area_id=area_id,
                field=field,
                old_value=None if old is None else str(old),
                new_value=None if new is None else str(new),
                source=source,
            )
            for field, old, new in revisions
        )
        _mark_started(expert=expert, round_=round_)
        _after_commit_aggregate(round_)
        audit(
            action="answers.area_saved",
            study=expert.study,
            expert=expert,
            target=f"round {round_.number}",
            fields=[field for field, _old, _new in revisions],
            source=source,
        )
        return response


def suggestion_add(*, expert: Expert, round_id: int, text: str) -> Suggestion:
    """Propose a new area in round 1 of a study that asks for suggestions."""
    with transaction.atomic():
        round_ = _lock_round_for(expert, round_id)
        if round_.number != 1 or not round_.study.suggestions_enabled:
            raise InvalidInput(_("This round does not take suggestions."), field_errors={"text": [_("Not offered.")]})
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise InvalidInput(_("The suggestion is empty."), field_errors={"text": [_("Write your suggestion.")]})
        if "\x00" in text:
            raise InvalidInput(_("The suggestion contains a null character."), field_errors={"text": [_("Invalid.")]})
        if len(text) > SUGGESTION_MAX_LENGTH:
            message = _("At most %(max)d characters.") % {"max": SUGGESTION_MAX_LENGTH}
            raise InvalidInput(_("The suggestion is too long."), field_errors={"text": [message]})
        if Suggestion.objects.filter(round=round_, expert=expert).count() >= SUGGESTIONS_PER_EXPERT:
            message = _("At most %(max)d suggestions per expert.") % {"max": SUGGESTIONS_PER_EXPERT}
            raise InvalidInput(_("Too many suggestions."), field_errors={"text": [message]})
        suggestion = Suggestion.objects.create(round=round_, expert=expert, text=text)
        _mark_started(expert=expert, round_=round_)
        audit(action="suggestion.added", study=expert.study, expert=expert, target=f"round {round_.number}")
        return suggestion


def unanswered_items(*, expert: Expert, round_: Round) -> list[RoundItem]:
    """The round's active items the expert has neither rated nor marked "cannot judge"."""
    answered = set(Rating.objects.filter(round=round_, expert=expert).values_list("area_id", "criterion_id"))
    items = RoundItem.objects.filter(round=round_, area__is_active=True, criterion__is_active=True).select_related(
        "area", "criterion"
    )
    return [item for item in items if (item.area_id, item.criterion_id) not in answered]


def round_submit(*, expert: Expert, round_id: int) -> Participation:
    """Mark the expert's answers as submitted once every item is answered.

    Answers can still change until the round closes; the submission stays (nothing is lost or re-marked).
    """
    with transaction.atomic():
        round_ = _lock_round_for(expert, round_id)
        missing = unanswered_items(expert=expert, round_=round_)
        if missing:
            raise InvalidInput(
                _("Please answer every item (or choose “cannot judge”) before submitting."),
                field_errors={f"item.{item.area_id}.{item.criterion_id}": [_("Not answered yet.")] for item in missing},
            )
        participation, _created = Participation.objects.select_for_update().get_or_create(round=round_, expert=expert)
        if participation.submitted_at is None:
            now = timezone.now()
            participation.submitted_at = now
            participation.started_at = participation.started_at or now
            participation.opened_at = participation.opened_at or now
            participation.save(update_fields=["submitted_at", "started_at", "opened_at"])
            audit(action="round.submitted", study=round_.study, expert=expert, target=f"round {round_.number}")
        return participation
