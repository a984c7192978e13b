"""Writes for quantity questions: the study's format, questions, seed truths, and experts' answers.

Every write is audited (``core.audit``). Bad input raises ``InvalidInput`` with field errors
before anything is written; a change that would re-mean stored answers raises ``IllegalTransition`` (409).
An expert's answer is saved under the open round's lock (``elicitation.locks``), so it either
counts in the round or is refused with ``RoundNotOpen``; each create or change appends a
``QuantityAnswerRevision``, and an unchanged answer writes nothing.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aggregation.jobs import request_aggregation
from core.audit import audit
from core.errors import IllegalTransition, InvalidInput, RoundNotOpen
from elicitation.locks import lock_round_for_answer
from elicitation.models import Area, Expert, Participation, Round, Study
from elicitation.setup.services.items import CODE_PATTERN, MAX_DESCRIPTION, MAX_ORDER, MAX_TITLE, clean_translations
from quantities.models import QuantityAnswer, QuantityAnswerRevision, QuantityFormat, QuantityQuestion
from quantities.validation import PostedAnswer, answer_problems, bounds_of

MAX_QUANTILES = 9
MAX_UNIT = 60
QUESTION_FIELDS = (
    "area", "code", "title", "description", "unit", "kind", "lower_bound", "upper_bound", "scale", "is_seed",
    "order", "is_active", "translations",
)  # fmt: skip
# Changing these once a question has answers would change what the stored answers mean.
MEANING_FIELDS = ("code", "kind", "lower_bound", "upper_bound", "scale", "is_seed")

User = AbstractBaseUser | AnonymousUser | None


def format_of(study: Study) -> QuantityFormat:
    """The study's quantity format (the IDEA default until a coordinator chooses)."""
    found = QuantityFormat.objects.filter(study=study).first()
    return found or QuantityFormat(study=study)


def _has_answers(**filters: Any) -> bool:
    return QuantityAnswer.objects.filter(**filters).exists()


def _quantile_errors(levels: Any) -> list[str]:
    if not isinstance(levels, list) or not 2 <= len(levels) <= MAX_QUANTILES:
        return [_("Give between 2 and %(n)d percentiles.") % {"n": MAX_QUANTILES}]
    if not all(isinstance(level, float | int) and 0 < level < 1 for level in levels):
        return [_("Every percentile must lie strictly between 0 and 100.")]
    if any(later <= earlier for earlier, later in itertools.pairwise(levels)):
        return [_("List the percentiles from lowest to highest, each once.")]
    return []


@transaction.atomic
def quantity_format_set(
    *, study: Study, user: User, format: str, quantiles: list[float], overshoot: float
) -> QuantityFormat:
    """Set how experts answer and the quantiles answers are pooled at; fixed once any answer exists."""
    errors: dict[str, list[str]] = {}
    if format not in QuantityFormat.Format.values:
        errors["format"] = [_("Choose a format.")]
    if problems := _quantile_errors(quantiles):
        errors["quantiles"] = problems
    if not isinstance(overshoot, float | int) or not 0 < overshoot <= 1:
        errors["overshoot"] = [_("Use a share above 0 and at most 1 (e.g. 0.1).")]
    if errors:
        raise InvalidInput(_("The format could not be saved."), field_errors=errors)
    current = format_of(study)
    wanted = {"format": format, "quantiles": [float(level) for level in quantiles], "overshoot": float(overshoot)}
    if all(getattr(current, name) == value for name, value in wanted.items()) and current.pk:
        return current
    if _has_answers(question__study=study) and (current.format, current.quantiles) != (format, wanted["quantiles"]):
        raise IllegalTransition(_("Experts have answered in the current format: it can no longer change."))
    for name, value in wanted.items():
        setattr(current, name, value)
    current.save()
    audit(
        action="quantity.format_set",
        study=study,
        user=user,
        target="quantity format",
        format=format,
        quantiles=wanted["quantiles"],
        overshoot=wanted["overshoot"],
    )
    return current


def _number_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _question_errors(study: Study, values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not CODE_PATTERN.match(str(values.get("code") or "")) or len(str(values["code"])) > 40:
        errors["code"] = [_("Use letters, digits, - and _ (at most 40).")]
    if not str(values.get("title") or "").strip():
        errors["title"] = [_("This field is required.")]
    for name, limit in (("title", MAX_TITLE), ("description", MAX_DESCRIPTION), ("unit", MAX_UNIT)):
        if len(str(values.get(name) or "")) > limit:
            errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    area = values.get("area")
    if not isinstance(area, Area) or area.study_id != study.pk:
        errors["area"] = [_("Choose an area of this study.")]
    if values.get("kind") not in QuantityQuestion.Kind.values:
        errors["kind"] = [_("Choose a kind.")]
    if values.get("scale") not in QuantityQuestion.Scale.values:
        errors["scale"] = [_("Choose a scale.")]
    lower, upper = values.get("lower_bound"), values.get("upper_bound")
    for name, bound in (("lower_bound", lower), ("upper_bound", upper)):
        if bound is not None and not math.isfinite(bound):
            errors[name] = [_("Enter a number.")]
    if lower is not None and upper is not None and upper <= lower and "upper_bound" not in errors:
        errors["upper_bound"] = [_("The upper bound must be above the lower bound.")]
    if values.get("scale") == QuantityQuestion.Scale.LOG and (lower is None or lower < 0):
        errors["lower_bound"] = [_("A logarithmic scale needs a lower bound of 0 or more.")]
    order = values.get("order")
    if not isinstance(order, int) or not 0 <= order <= MAX_ORDER:
        errors["order"] = [_("Use a whole number from 0 to %(n)d.") % {"n": MAX_ORDER}]
    taken = QuantityQuestion.objects.filter(study=study, code=values.get("code"))
    if values.get("pk"):
        taken = taken.exclude(pk=values["pk"])
    if "code" not in errors and taken.exists():
        errors["code"] = [_("Another question of this study has this code.")]
    return errors


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    clean = {name: values.get(name) for name in QUESTION_FIELDS}
    clean["description"] = clean["description"] or ""
    clean["unit"] = clean["unit"] or ""
    clean["order"] = clean["order"] if clean["order"] is not None else 0
    clean["is_seed"] = bool(clean["is_seed"])
    clean["is_active"] = True if clean["is_active"] is None else bool(clean["is_active"])
    clean["translations"] = clean_translations(clean["translations"], keys=QuantityQuestion.TEXT_KEYS)
    if clean["kind"] == QuantityQuestion.Kind.PROBABILITY:
        clean["lower_bound"], clean["upper_bound"] = 0.0, 1.0
    else:
        clean["lower_bound"] = _number_or_none(clean["lower_bound"])
        clean["upper_bound"] = _number_or_none(clean["upper_bound"])
    return clean


@transaction.atomic
def question_create(*, study: Study, user: User, **values: Any) -> QuantityQuestion:
    clean = _normalised(values)
    if errors := _question_errors(study, clean):
        raise InvalidInput(_("The question could not be saved."), field_errors=errors)
    question = QuantityQuestion.objects.create(study=study, **clean)
    audit(action="quantity.question_created", study=study, user=user, target=question.code, seed=question.is_seed)
    return question


@transaction.atomic
def question_update(*, question: QuantityQuestion, user: User, **values: Any) -> QuantityQuestion:
    """Change a question; what it asks (code, kind, bounds, scale, seed) is fixed once it has answers."""
    question = QuantityQuestion.objects.select_for_update(no_key=True).get(pk=question.pk)
    clean = _normalised(values)
    if errors := _question_errors(question.study, {**clean, "pk": question.pk}):
        raise InvalidInput(_("The question could not be saved."), field_errors=errors)
    changed = [name for name, value in clean.items() if getattr(question, name) != value]
    if not changed:
        return question
    if set(changed) & set(MEANING_FIELDS) and _has_answers(question=question):
        names = ", ".join(sorted(set(changed) & set(MEANING_FIELDS)))
        raise IllegalTransition(
            _("Experts have answered this question; these can no longer change: %(names)s.") % {"names": names}
        )
    if not question.is_seed or not clean["is_seed"]:
        clean.setdefault("realization", None)
    for name, value in clean.items():
        setattr(question, name, value)
    question.save()
    audit(action="quantity.question_updated", study=question.study, user=user, target=question.code, fields=changed)
    return question


@transaction.atomic
def realization_set(*, question: QuantityQuestion, user: User, value: float | None) -> QuantityQuestion:
    """Enter (or correct, or clear) a seed question's true value once it is known."""
    question = QuantityQuestion.objects.select_for_update(no_key=True).get(pk=question.pk)
    if not question.is_seed:
        raise InvalidInput(
            _("Only a seed question has a true value."), field_errors={"realization": [_("Not a seed.")]}
        )
    if value is not None:
        lower, upper = bounds_of(question)
        if not math.isfinite(value) or (lower is not None and value < lower) or (upper is not None and value > upper):
            message = _("The true value must lie within the question's bounds.")
            raise InvalidInput(message, field_errors={"realization": [message]})
        if question.scale == QuantityQuestion.Scale.LOG and value <= 0:
            message = _("Must be above 0 on a logarithmic scale.")
            raise InvalidInput(message, field_errors={"realization": [message]})
    if question.realization == value:
        return question
    old = question.realization
    question.realization = value
    question.realization_entered_at = timezone.now() if value is not None else None
    question.realization_entered_by_id = getattr(user, "pk", None) if value is not None else None
    question.save(update_fields=["realization", "realization_entered_at", "realization_entered_by"])
    audit(action="quantity.realization_set", study=question.study, user=user, target=question.code, old=old, new=value)
    return question


def _record_of(form: QuantityFormat, posted: PostedAnswer) -> dict[str, Any]:
    if form.format == QuantityFormat.Format.IDEA:
        return {
            "lowest": posted.lowest,
            "best": posted.best,
            "highest": posted.highest,
            "confidence": posted.confidence,
        }
    return {"values": [float(value) for value in posted.values if value is not None]}


def answer_field(question: QuantityQuestion, name: str) -> str:
    """The form field of one part of an answer: ``quantity-<question id>-<part>``."""
    return f"quantity-{question.pk}-{name}"


def quantity_answer_save(
    *, expert: Expert, round_id: int, question_id: int, posted: PostedAnswer, source: str = "web"
) -> QuantityAnswer | None:
    """Save one answer in the open round; returns the answer, or None when it was unchanged.

    Refused with field errors naming the question (nothing written) when a part is missing or out of
    bounds, the parts are out of order, or the confidence lies outside 50–100%.
    """
    with transaction.atomic():
        locked = lock_round_for_answer(expert=expert, round_id=round_id)
        round_ = locked.round
        if round_.status != Round.Status.OPEN:
            raise RoundNotOpen("This round is not open for answers.")
        question = QuantityQuestion.objects.filter(
            pk=question_id, study_id=expert.study_id, is_active=True, area__is_active=True
        ).first()
        if round_.study_id != expert.study_id or question is None:
            raise InvalidInput(_("This question is not asked."), field_errors={"question": [_("Unknown question.")]})
        if not locked.expert_active:
            raise InvalidInput(
                _("This panel membership is no longer active."), field_errors={"expert": [_("Inactive.")]}
            )
        form = format_of(round_.study)
        if problems := answer_problems(question, form, posted):
            title = question.localized(expert.language)["title"]
            named = {answer_field(question, name): [f"“{title}”: {problem}"] for name, problem in problems.items()}
            raise InvalidInput(_("“%(title)s” could not be saved.") % {"title": title}, field_errors=named)
        record = _record_of(form, posted)
        answer = (
            QuantityAnswer.objects.select_for_update().filter(round=round_, expert=expert, question=question).first()
        )
        old = answer.as_record() if answer is not None else None
        if old == record:
            return None
        if answer is None:
            answer = QuantityAnswer(round=round_, expert=expert, question=question)
        answer.lowest = record.get("lowest")
        answer.best = record.get("best")
        answer.highest = record.get("highest")
        answer.confidence = record.get("confidence")
        answer.values = record.get("values", [])
        answer.save()
        QuantityAnswerRevision.objects.create(
            round=round_, expert=expert, question=question, old_value=old, new_value=record, source=source
        )
        _mark_started(expert, round_)
        audit(action="quantity.answer_saved", study=round_.study, expert=expert, target=f"round {round_.number}")
        interval = round_.study.aggregation_interval_seconds
        request_aggregation(round_id=round_.pk, interval=interval)
        return answer


def _mark_started(expert: Expert, round_: Round) -> None:
    now = timezone.now()
    participation, _created = Participation.objects.get_or_create(
        round=round_, expert=expert, defaults={"opened_at": now, "started_at": now}
    )
    if participation.started_at is None:
        participation.started_at = now
        participation.opened_at = participation.opened_at or now
        participation.save(update_fields=["started_at", "opened_at"])
