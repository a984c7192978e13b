"""Areas and criteria: create, edit, retire. Nothing that has ratings is ever deleted or re-meant.

Rewording an area that experts have already seen writes an ``AreaRevision`` per language
reworded, which the expert's pages show. Every wording change is stamped per language
(``services.translations``), so a language left behind is stale until updated or confirmed.
While a round is open, the items it asks keep their wording; change them after it closes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from elicitation.models import Area, AreaRevision, Criterion, Rating, Round, RoundItem, Study
from elicitation.setup.services.translations import own_texts, stamp_changes

ItemT = TypeVar("ItemT", Area, Criterion)

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_LABEL = 200
MAX_ORDER = 2_147_483_647  # the column is a PositiveIntegerField: larger or negative would be a database error
AREA_FIELDS = ("code", "title", "description", "order", "is_active", "translations")
CRITERION_FIELDS = (
    "code",
    "title",
    "description",
    "kind",
    "scale_min",
    "scale_max",
    "label_min",
    "label_max",
    "allow_cannot_judge",
    "order",
    "is_active",
    "translations",
)
TRANSLATED_KEYS = {"title", "description", "label_min", "label_max"}
# Changing these on a criterion that has ratings would change what the stored ratings mean.
MEANING_FIELDS = ("code", "kind", "scale_min", "scale_max")


def _text_errors(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    if not str(values.get("title", "")).strip():
        errors["title"] = [_("This field is required.")]
    for name, limit in (
        ("title", MAX_TITLE),
        ("description", MAX_DESCRIPTION),
        ("label_min", MAX_LABEL),
        ("label_max", MAX_LABEL),
    ):
        if len(str(values.get(name) or "")) > limit:
            errors.setdefault(name, []).append(_("At most %(n)d characters.") % {"n": limit})
    order = values.get("order")
    if order is not None and (not isinstance(order, int) or not 0 <= order <= MAX_ORDER):
        errors["order"] = [_("Use a whole number from 0 to %(n)d.") % {"n": MAX_ORDER}]


def clean_translations(raw: Any, *, keys: Collection[str] = TRANSLATED_KEYS) -> dict[str, dict[str, str]]:
    """Translations as {language: {key: text}} for known languages and ``keys``; empty texts dropped."""
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(_("Bad translations."), field_errors={"translations": [_("Bad translations.")]})
    languages = {code for code, _name in settings.LANGUAGES}
    clean: dict[str, dict[str, str]] = {}
    for language, texts in raw.items():
        if language not in languages or not isinstance(texts, dict) or not set(texts) <= set(keys):
            raise InvalidInput(_("Bad translations."), field_errors={"translations": [_("Bad translations.")]})
        kept = {key: str(text) for key, text in texts.items() if str(text or "").strip()}
        for key, text in kept.items():
            limit = MAX_DESCRIPTION if key == "description" else MAX_TITLE
            if len(text) > limit:
                raise InvalidInput(
                    _("Translation too long."),
                    field_errors={f"{key}_{language}": [_("At most %(n)d characters.") % {"n": limit}]},
                )
        if kept:
            clean[language] = kept
    return clean


def _code_errors(study: Study, model: type[Area] | type[Criterion], code: str, exclude_pk: int | None) -> list[str]:
    limit = model._meta.get_field("code").max_length
    if not code:
        return [_("This field is required.")]
    if not CODE_PATTERN.match(code) or len(code) > (limit or 0):
        return [_("Use up to %(n)d letters, digits, hyphens or underscores.") % {"n": limit}]
    taken = model.objects.filter(study=study, code__iexact=code).exclude(pk=exclude_pk or 0)
    if taken.exists():
        return [_("Another item of this study has this code.")]
    return []


def _next_order(study: Study, model: type[Area] | type[Criterion]) -> int:
    return (model.objects.filter(study=study).aggregate(last=Max("order"))["last"] or 0) + 1


def _open_round_asking(*, area: Area | None = None, criterion: Criterion | None = None) -> Round | None:
    items = RoundItem.objects.filter(round__status=Round.Status.OPEN)
    items = items.filter(area=area) if area is not None else items.filter(criterion=criterion)
    item = items.select_related("round").first()
    return item.round if item is not None else None


# Areas ----------------------------------------------------------------------------------------


@transaction.atomic
def area_create(*, study: Study, user: User | None, **fields: Any) -> Area:
    values = {"description": "", "is_active": True, "translations": {}, **fields}
    return _item_create(study, user, Area, values, check=_text_errors, message=_("The area was not saved."))


def _item_create(
    study: Study,
    user: User | None,
    model: type[ItemT],
    values: dict[str, Any],
    *,
    check: Callable[[dict[str, Any], dict[str, list[str]]], None],
    message: str,
) -> ItemT:
    """Validate (every field's errors at once), number and create an area or criterion, and audit it."""
    values["code"] = str(values.get("code", "")).strip()
    errors: dict[str, list[str]] = {}
    check(values, errors)
    if code_errors := _code_errors(study, model, values["code"], None):
        errors["code"] = code_errors
    if errors:
        raise InvalidInput(message, field_errors=errors)
    values["translations"] = clean_translations(values["translations"])
    if values.get("order") is None:
        values["order"] = _next_order(study, model)
    names = AREA_FIELDS if model is Area else CRITERION_FIELDS
    item = model.objects.create(study=study, **{name: values[name] for name in names})
    audit(action=f"{model._meta.model_name}.created", study=study, user=user, target=item.code)
    return item


@transaction.atomic
def area_update(*, area: Area, user: User | None, **changes: Any) -> Area:
    """Edit an area. Rewording one that experts have seen is recorded; its code is then fixed."""
    area = Area.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=area.pk)
    if set(changes) - set(AREA_FIELDS):
        raise TypeError(f"unknown area fields: {sorted(set(changes) - set(AREA_FIELDS))}")
    values = {name: changes.get(name, getattr(area, name)) for name in AREA_FIELDS}
    values["code"] = str(values["code"]).strip()
    if values["order"] is None:  # left empty on the form: keep the place
        values["order"] = area.order
    values["translations"] = clean_translations(values["translations"])
    errors: dict[str, list[str]] = {}
    _text_errors(values, errors)
    shown = RoundItem.objects.filter(area=area).exclude(round__status=Round.Status.DRAFT).exists()
    if values["code"] != area.code:
        if shown:
            errors["code"] = [_("Experts have seen this area; its code can no longer change.")]
        elif code_errors := _code_errors(area.study, Area, values["code"], area.pk):
            errors["code"] = code_errors
    if errors:
        raise InvalidInput(_("The area was not saved."), field_errors=errors)
    reworded = any(values[name] != getattr(area, name) for name in ("title", "description", "translations"))
    if reworded and (open_round := _open_round_asking(area=area)) is not None:
        raise IllegalTransition(
            _("Round %(n)d is open and asks about this area; reword it after the round closes.")
            % {"n": open_round.number}
        )
    before = own_texts(area, area.study.default_language)
    changed = [name for name in AREA_FIELDS if values[name] != getattr(area, name)]
    for name in changed:
        setattr(area, name, values[name])
    if reworded:
        stamp_changes(area, before=before, default_language=area.study.default_language, now=timezone.now())
        changed.append("text_changed_at")
        if shown:
            area_revisions_record(area=area, before=before, user=user)
    if changed:
        area.save(update_fields=changed)
        audit(action="area.updated", study=area.study, user=user, target=area.code, fields=changed)
    return area


def first_round_showing_changes(study: Study) -> int:
    """The number of the next round experts will see: the first draft, else one after the last."""
    rounds = list(study.rounds.values_list("number", "status"))
    drafts = [number for number, status in rounds if status == Round.Status.DRAFT]
    if drafts:
        return min(drafts)
    return max((number for number, _status in rounds), default=0) + 1


def area_revisions_record(
    *, area: Area, before: dict[tuple[str, str], str], user: AbstractBaseUser | AnonymousUser | None
) -> list[AreaRevision]:
    """One revision per language whose title or description changed from ``before`` (the history experts see).

    A translation written where there was none is not a rewording: its experts read the default text before.
    """
    default_language = area.study.default_language
    after = own_texts(area, default_language)
    round_number = first_round_showing_changes(area.study)
    # Every revision of one change also keeps all the translations as they were, so the earlier rounds'
    # results can show each language's wording as asked (``elicitation.rounds.selectors.areas_as_asked``).
    old_translations = {
        code: {key: before[(code, key)] for key in ("title", "description") if before[(code, key)]}
        for code, _name in settings.LANGUAGES
        if code != default_language and before[(code, "title")]
    }
    revisions = []
    for code, _name in settings.LANGUAGES:
        old_title, old_description = before[(code, "title")], before[(code, "description")]
        new_title, new_description = after[(code, "title")], after[(code, "description")]
        if not old_title or not new_title or (old_title, old_description) == (new_title, new_description):
            continue
        revisions.append(
            AreaRevision.objects.create(
                area=area,
                language=code,
                round_number=round_number,
                old_title=old_title,
                old_description=old_description,
                old_translations=old_translations,
                new_title=new_title,
                new_description=new_description,
                changed_by_id=user.pk if user is not None and user.is_authenticated else None,
            )
        )
    return revisions


def area_set_active(*, area: Area, user: User | None, active: bool) -> Area:
    """Retire (or bring back) an area: it stays in past rounds' results, and is not asked in new rounds."""
    return area_update(area=area, user=user, is_active=active)


# Criteria -------------------------------------------------------------------------------------


def _criterion_errors(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    _text_errors(values, errors)
    if values.get("kind") not in Criterion.Kind.values:
        errors["kind"] = [_("Choose benefit, risk or mitigability.")]
    low, high = values.get("scale_min"), values.get("scale_max")
    if not isinstance(low, int) or not 0 <= low <= 100:
        errors["scale_min"] = [_("Use a whole number from 0 to 100.")]
    if not isinstance(high, int) or not 0 <= high <= 100:
        errors["scale_max"] = [_("Use a whole number from 0 to 100.")]
    elif isinstance(low, int) and high <= low:
        errors["scale_max"] = [_("The top of the scale must be above the bottom.")]


@transaction.atomic
def criterion_create(*, study: Study, user: User | None, **fields: Any) -> Criterion:
    values = {
        "description": "",
        "scale_min": 1,
        "scale_max": 9,
        "label_min": "",
        "label_max": "",
        "allow_cannot_judge": True,
        "is_active": True,
        "translations": {},
        **fields,
    }
    return _item_create(
        study, user, Criterion, values, check=_criterion_errors, message=_("The criterion was not saved.")
    )


@transaction.atomic
def criterion_update(*, criterion: Criterion, user: User | None, **changes: Any) -> Criterion:
    """Edit a criterion; its code, kind and scale are fixed once it has ratings."""
    criterion = (
        Criterion.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=criterion.pk)
    )
    if set(changes) - set(CRITERION_FIELDS):
        raise TypeError(f"unknown criterion fields: {sorted(set(changes) - set(CRITERION_FIELDS))}")
    values = {name: changes.get(name, getattr(criterion, name)) for name in CRITERION_FIELDS}
    values["code"] = str(values["code"]).strip()
    if values["order"] is None:  # left empty on the form: keep the place
        values["order"] = criterion.order
    values["translations"] = clean_translations(values["translations"])
    errors: dict[str, list[str]] = {}
    _criterion_errors(values, errors)
    rated = Rating.objects.filter(criterion=criterion).exists()
    for name in MEANING_FIELDS:
        if values[name] != getattr(criterion, name) and rated:
            errors[name] = [_("This criterion has ratings; changing this would change what they mean.")]
    code_changed = "code" not in errors and values["code"] != criterion.code
    if code_changed and (code_errors := _code_errors(criterion.study, Criterion, values["code"], criterion.pk)):
        errors["code"] = code_errors
    if errors:
        raise InvalidInput(_("The criterion was not saved."), field_errors=errors)
    changed = [name for name in CRITERION_FIELDS if values[name] != getattr(criterion, name)]
    wording = {"title", "description", "label_min", "label_max", "translations", "allow_cannot_judge"}
    if wording & set(changed) and (open_round := _open_round_asking(criterion=criterion)) is not None:
        raise IllegalTransition(
            _("Round %(n)d is open and asks about this criterion; change it after the round closes.")
            % {"n": open_round.number}
        )
    before = own_texts(criterion, criterion.study.default_language)
    for name in changed:
        setattr(criterion, name, values[name])
    if {"title", "description", "label_min", "label_max", "translations"} & set(changed):
        stamp_changes(criterion, before=before, default_language=criterion.study.default_language, now=timezone.now())
        changed.append("text_changed_at")
    if changed:
        criterion.save(update_fields=changed)
        audit(action="criterion.updated", study=criterion.study, user=user, target=criterion.code, fields=changed)
    return criterion


def criterion_set_active(*, criterion: Criterion, user: User | None, active: bool) -> Criterion:
    return criterion_update(criterion=criterion, user=user, is_active=active)
