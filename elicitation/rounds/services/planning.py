"""Between rounds: choose which items continue, reword an area, add areas (also from suggestions).

Nothing here deletes an answer: a dropped item stays in the past rounds that asked it,
a reworded area keeps its old wording in an ``AreaRevision`` per language, and a new area
keeps a link to the round-1 suggestions it came from. Rewording and adding take every language
the study offers at once (docs/translations.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from aggregation.models import ItemResult
from aggregation.selectors import shown_runs
from core.audit import audit
from core.errors import IllegalTransition, InvalidInput
from elicitation.models import Area, AreaRevision, Round, RoundItem, Study, Suggestion
from elicitation.rounds.services.lifecycle import Item, User, active_items, round_create, round_set_items
from elicitation.setup.services.items import area_revisions_record
from elicitation.setup.services.translations import own_texts, stamp_changes

TITLE_MAX_LENGTH = Area._meta.get_field("title").max_length or 200
DESCRIPTION_MAX_LENGTH = 5000


def items_reached_consensus(round_: Round) -> set[Item]:
    """The (area_id, criterion_id) pairs whose whole-panel result in ``round_``'s shown aggregation reached
    consensus under its rule; none before the round has results, so every item continues."""
    rows = ItemResult.objects.filter(run_id__in=shown_runs([round_.pk]), group="", consensus=True)
    return set(rows.values_list("area_id", "criterion_id"))


def preselect_continuing_items(round_: Round, reached_consensus: Iterable[Item] = ()) -> set[Item]:
    """The items to ask again after ``round_``: its items minus those that reached consensus,
    plus active items the round did not ask (areas added since)."""
    asked = set(round_.items.values_list("area_id", "criterion_id"))
    new_since = active_items(round_.study) - asked
    return (asked - set(reached_consensus)) | new_since


@transaction.atomic
def round_plan_next(
    *, closed_round: Round, items: Iterable[Item], user: User | None, deadline: dt.datetime | None = None
) -> Round:
    """The next round, as a draft asking ``items``; or, if it is already drafted, its items replaced."""
    if closed_round.status != Round.Status.CLOSED:
        raise IllegalTransition(_("Plan the next round from a closed round."))
    following = closed_round.study.rounds.filter(number__gt=closed_round.number).order_by("number")
    draft = following.filter(number=closed_round.number + 1, status=Round.Status.DRAFT).first()
    later = following.exclude(pk=draft.pk) if draft is not None else following
    if later.exists():
        raise IllegalTransition(
            _("Round %(number)s is already followed by a later round; plan from the latest round.")
            % {"number": closed_round.number}
        )
    if draft is not None:
        return round_set_items(round=draft, items=items, user=user)
    return round_create(study=closed_round.study, deadline=deadline, items=items, user=user)


def next_round_number(study: Study) -> int:
    """The number of the round a change made now first shows in: the draft round, else the one after the last."""
    draft = study.rounds.filter(status=Round.Status.DRAFT).order_by("number").first()
    if draft is not None:
        return draft.number
    return (study.rounds.aggregate(last=Max("number"))["last"] or 0) + 1


def _clean_text(*, title: str, description: str) -> tuple[str, str]:
    title = title.strip()
    description = description.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("Keep the title under %(max)s characters.") % {"max": TITLE_MAX_LENGTH}]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [_("Keep the description under %(max)s characters.") % {"max": DESCRIPTION_MAX_LENGTH}]
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), field_errors=errors)
    return title, description


def _clean_translations(study: Study, translations: dict[str, dict[str, str]] | None) -> dict[str, dict[str, str]]:
    """Title and description per other language offered, checked like the default text; empty ones dropped."""
    cleaned: dict[str, dict[str, str]] = {}
    errors: dict[str, list[str]] = {}
    for language, texts in (translations or {}).items():
        if language == study.default_language or language not in (study.languages or []):
            continue
        title = str(texts.get("title", "")).strip()
        description = str(texts.get("description", "")).strip()
        if description and not title:
            errors[f"title_{language}"] = [_("Enter a title in this language too, or leave both empty.")]
            continue
        try:
            title, description = _clean_text(title=title, description=description) if title else ("", "")
        except InvalidInput as error:
            errors.update({f"{name}_{language}": problems for name, problems in error.field_errors.items()})
            continue
        if title:
            cleaned[language] = {"title": title, **({"description": description} if description else {})}
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), field_errors=errors)
    return cleaned


@transaction.atomic
def area_reword(
    *,
    area: Area,
    user: User | None,
    title: str,
    description: str,
    translations: dict[str, dict[str, str]] | None = None,
) -> AreaRevision:
    """Reword an area between rounds in every language at once; each language's old and new wording is kept.

    ``translations`` gives the other languages' title and description; a language left out keeps its
    wording, which is then stale if the default language changed. Refused while the area is asked in an
    open round: experts would be answering a changed question. Returns the first revision recorded.
    """
    title, description = _clean_text(title=title, description=description)
    locked = Area.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=area.pk)
    study = locked.study
    given = _clean_translations(study, translations)
    if RoundItem.objects.filter(area=locked, round__status=Round.Status.OPEN).exists():
        raise IllegalTransition(_("This area is being asked in the open round; reword it after the round closes."))
    before = own_texts(locked, study.default_language)
    merged = {language: dict(texts) for language, texts in (locked.translations or {}).items()}
    for language in translations or {}:
        if language == study.default_language or language not in (study.languages or []):
            continue
        kept = {key: text for key, text in merged.get(language, {}).items() if key not in ("title", "description")}
        merged[language] = {**kept, **given.get(language, {})}
    locked.title, locked.description = title, description
    locked.translations = {language: texts for language, texts in merged.items() if texts}
    changed = stamp_changes(locked, before=before, default_language=study.default_language, now=timezone.now())
    if not changed:
        raise InvalidInput(
            _("The wording is unchanged."), field_errors={"title": [_("Change the title or description.")]}
        )
    revisions = area_revisions_record(area=locked, before=before, user=user)
    locked.save(update_fields=["title", "description", "translations", "text_changed_at"])
    round_number = next_round_number(study)
    audit(
        action="area.reword",
        study=study,
        user=user,
        target=f"area {locked.code}",
        area_id=locked.pk,
        round_number=round_number,
        languages=sorted({language for language, _key in changed}),
        old_title=before[(study.default_language, "title")],
        new_title=title,
    )
    if revisions:
        return revisions[0]
    # Only a translation was added: nothing reworded for experts, but the caller still gets the new wording.
    return AreaRevision(
        area=locked,
        language=study.default_language,
        round_number=round_number,
        old_title=title,
        old_description=description,
        new_title=title,
        new_description=description,
    )


AREA_CODE_LENGTH = 40  # Area.code's max_length


def _unique_code(study: Study, title: str) -> str:
    """The title's slug in whole words, with room left for a "-N" that makes it unique."""
    limit = AREA_CODE_LENGTH - 3
    base = slugify(title) or "area"
    if len(base) > limit:
        base = base[: limit + 1].rsplit("-", 1)[0] or base[:limit]
    taken = set(study.areas.filter(code__startswith=base).values_list("code", flat=True))
    code, n = base, 2
    while code in taken:
        code, n = f"{base}-{n}", n + 1
    return code


@transaction.atomic
def area_add(
    *,
    study: Study,
    user: User | None,
    title: str,
    description: str = "",
    suggestion_ids: Iterable[int] = (),
    translations: dict[str, dict[str, str]] | None = None,
) -> Area:
    """A new area after the existing ones, linked to the suggestions it came from.

    If the next round is already drafted, the new area's items (with every active criterion) join it.
    """
    title, description = _clean_text(title=title, description=description)
    given = _clean_translations(study, translations)
    wanted = {int(pk) for pk in suggestion_ids}
    suggestions = list(Suggestion.objects.filter(pk__in=wanted, round__study=study))
    if len(suggestions) != len(wanted):
        raise InvalidInput(
            _("Some chosen suggestions do not belong to this study."),
            field_errors={"suggestions": [_("Choose suggestions of this study only.")]},
        )
    Study.objects.select_for_update(no_key=True).get(pk=study.pk)
    order = (study.areas.aggregate(last=Max("order"))["last"] or 0) + 1
    area = Area.objects.create(
        study=study,
        code=_unique_code(study, title),
        title=title,
        description=description,
        translations=given,
        order=order,
    )
    area.suggestions.set(suggestions)
    draft = study.rounds.filter(status=Round.Status.DRAFT).first()
    if draft is not None:
        criteria = study.criteria.filter(is_active=True).values_list("pk", flat=True)
        RoundItem.objects.bulk_create(RoundItem(round=draft, area=area, criterion_id=pk) for pk in criteria)
    audit(
        action="area.add",
        study=study,
        user=user,
        target=f"area {area.code}",
        area_id=area.pk,
        suggestion_ids=sorted(wanted),
        added_to_round=draft.number if draft else None,
    )
    return area
