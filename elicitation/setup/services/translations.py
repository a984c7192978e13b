"""Bilingual content: each text an expert reads, per language, and whether a language is missing or stale.

A text lives in its owner (the study, an area, a criterion): the default language's in the model
field, every other language's in ``translations[language][key]``. ``text_changed_at[language][key]``
records when that language's wording last changed. A rewording in one language leaves the other
languages' wording older, so *stale*, until each is updated or explicitly confirmed; a translation
written where there was none is as current as the freshest wording it translates. A round does not
open while an asked text is missing or stale in a language an invited expert uses
(``parity_problems``; docs/translations.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit
from core.errors import InvalidInput
from elicitation.models import Area, Criterion, Round, Study
from elicitation.models.study import STUDY_TEXT_KEYS

User = AbstractBaseUser | AnonymousUser
Owner = Study | Area | Criterion
MISSING, STALE = "missing", "stale"

KEY_NAMES = {
    "title": gettext_lazy("title"),
    "description": gettext_lazy("description"),
    "label_min": gettext_lazy("label of the lowest value"),
    "label_max": gettext_lazy("label of the highest value"),
    "question": gettext_lazy("question"),
    "introduction": gettext_lazy("introduction"),
    "consent_text": gettext_lazy("information sheet and consent"),
    "ethics_approval": gettext_lazy("ethics approval"),
    "contact": gettext_lazy("contact"),
    "data_controller": gettext_lazy("data controller"),
    "message": gettext_lazy("message to experts"),
}


def language_name(code: str) -> str:
    """A language by its name as the app lists it ("简体中文", "English"), never its code."""
    return str(dict(settings.LANGUAGES).get(code, code))


def key_name(key: str) -> str:
    kind, _sep, name = key.partition(":")
    if kind == "bloc" and name:
        return _("bloc “%(name)s”") % {"name": name}
    if kind == "sector" and name:
        return _("sector “%(name)s”") % {"name": name}
    return str(KEY_NAMES.get(key, key))


def text_keys(owner: Owner) -> tuple[str, ...]:
    if isinstance(owner, Study):
        groups = [f"bloc:{name}" for name in owner.blocs] + [f"sector:{name}" for name in owner.sectors]
        return (*STUDY_TEXT_KEYS, *groups)
    return owner.TEXT_KEYS


def own_text(owner: Owner, key: str, language: str, default_language: str) -> str:
    """The text as written in ``language``, without falling back: "" where it is not written."""
    if language == default_language:
        if isinstance(owner, Study) and ":" in key:
            return key.partition(":")[2]  # a group is stored under its default-language name
        return str(getattr(owner, key) or "")
    translations = owner.translations if isinstance(owner.translations, dict) else {}
    return str(translations.get(language, {}).get(key) or "")


def own_texts(owner: Owner, default_language: str) -> dict[tuple[str, str], str]:
    """Every (language, key) → text as written, for every language the app offers."""
    return {
        (code, key): own_text(owner, key, code, default_language)
        for code, _name in settings.LANGUAGES
        for key in text_keys(owner)
    }


def _stamp(owner: Owner, language: str, key: str) -> str:
    stamps = owner.text_changed_at if isinstance(owner.text_changed_at, dict) else {}
    return str(stamps.get(language, {}).get(key) or "")


def _latest_stamp(owner: Owner, key: str, languages: list[str], default_language: str) -> str:
    written = [code for code in languages if own_text(owner, key, code, default_language)]
    return max((_stamp(owner, code, key) for code in written), default="")


def stamp_changes(
    owner: Owner, *, before: dict[tuple[str, str], str], default_language: str, now: dt.datetime
) -> list[tuple[str, str]]:
    """Record in ``owner.text_changed_at`` which (language, key) texts differ from ``before``; return them.

    A rewording of a current text is stamped ``now``, so the languages not reworded with it become
    stale. A text written where there was none, or rewritten while it was stale, catches up: it gets
    the freshest stamp of the other languages, and makes nothing stale. A removed text loses its
    stamp. Several languages reworded in one save share ``now``. The caller saves ``text_changed_at``.
    """
    after = own_texts(owner, default_language)
    changed = [pair for pair, text in after.items() if text != before.get(pair, "")]
    stamps: dict[str, dict[str, str]] = {
        code: dict(keys) for code, keys in (owner.text_changed_at or {}).items() if isinstance(keys, dict)
    }
    languages = [code for code, _name in settings.LANGUAGES]
    for language, key in changed:
        others = [code for code in languages if code != language and before.get((code, key))]
        freshest = max((str(stamps.get(code, {}).get(key) or "") for code in others), default="")
        caught_up = str(stamps.get(language, {}).get(key) or "") < freshest  # it was stale (or missing)
        if not after[(language, key)]:
            stamps.get(language, {}).pop(key, None)
        elif before.get((language, key)) and not caught_up:
            stamps.setdefault(language, {})[key] = now.isoformat()
        elif freshest:
            stamps.setdefault(language, {})[key] = freshest
        else:
            stamps.get(language, {}).pop(key, None)
    owner.text_changed_at = {code: keys for code, keys in stamps.items() if keys}
    return changed


def text_state(owner: Owner, key: str, language: str, *, default_language: str, languages: list[str]) -> str:
    """ "" when ``language``'s text is written and as current as every other; else MISSING or STALE.

    A text empty in the default language asks nothing, so it is never missing in another.
    """
    if not own_text(owner, key, default_language, default_language):
        return ""
    if not own_text(owner, key, language, default_language):
        return MISSING
    if _stamp(owner, language, key) < _latest_stamp(owner, key, languages, default_language):
        return STALE
    return ""


@dataclass(frozen=True)
class TextProblem:
    """One text missing or stale in one language."""

    owner_kind: str  # "study", "area" or "criterion"
    owner_id: int
    owner_label: str
    key: str
    language: str
    state: str

    @property
    def message(self) -> str:
        values = {"item": self.owner_label, "text": key_name(self.key), "language": language_name(self.language)}
        if self.state == MISSING:
            return _("%(item)s: the %(text)s has no %(language)s version.") % values
        return (
            _(
                "%(item)s: the %(language)s %(text)s is older than another language's wording; "
                "update it or confirm that it still matches."
            )
            % values
        )


def owner_label(owner: Owner) -> str:
    if isinstance(owner, Study):
        return _("The study")
    if isinstance(owner, Area):
        return _("Area “%(title)s”") % {"title": owner.title}
    return _("Criterion %(code)s “%(title)s”") % {"code": owner.code, "title": owner.title}


def owner_kind(owner: Owner) -> str:
    return "study" if isinstance(owner, Study) else "area" if isinstance(owner, Area) else "criterion"


def problems_of(owners: list[Owner], *, study: Study, languages: list[str]) -> list[TextProblem]:
    """Every missing or stale (text, language) of ``owners`` among ``languages``."""
    default = study.default_language
    every_language = sorted(set(languages) | {default} | set(study.languages or []))
    found = []
    for owner in owners:
        for key in text_keys(owner):
            for language in languages:
                state = text_state(owner, key, language, default_language=default, languages=every_language)
                if state:
                    label = owner_label(owner)
                    found.append(TextProblem(owner_kind(owner), owner.pk, label, key, language, state))
    return found


def expert_languages(study: Study) -> list[str]:
    """The languages the study's active experts read, in the app's order."""
    used = set(study.experts.filter(is_active=True, erased_at__isnull=True).values_list("language", flat=True))
    return [code for code, _name in settings.LANGUAGES if code in used]


def parity_problems(round_: Round) -> list[TextProblem]:
    """What stops ``round_`` from opening: its asked texts missing or stale in a language an expert uses."""
    study = round_.study
    languages = expert_languages(study)
    area_ids = set(round_.items.values_list("area_id", flat=True))
    criterion_ids = set(round_.items.values_list("criterion_id", flat=True))
    owners: list[Owner] = [study]
    owners += list(Area.objects.filter(pk__in=area_ids, is_active=True).order_by("order", "pk"))
    owners += list(Criterion.objects.filter(pk__in=criterion_ids, is_active=True).order_by("order", "pk"))
    problems = problems_of(owners, study=study, languages=languages)
    written = round_.messages or {}
    if any(written.values()):  # a message written for one language group is owed to every group
        label = _("Round %(number)s") % {"number": round_.number}
        problems += [
            TextProblem("round", round_.pk, label, "message", language, MISSING)
            for language in languages
            if not written.get(language)
        ]
    return problems


def study_text_problems(study: Study) -> list[TextProblem]:
    """Every missing or stale text of the study's active content, in every language it offers."""
    owners: list[Owner] = [study]
    owners += list(study.areas.filter(is_active=True))
    owners += list(study.criteria.filter(is_active=True))
    languages = [code for code, _name in settings.LANGUAGES if code in (study.languages or [])]
    return problems_of(owners, study=study, languages=languages)


def find_owner(study: Study, kind: str, owner_id: int) -> Owner:
    if kind == "study" and owner_id == study.pk:
        return Study.objects.select_for_update(no_key=True).get(pk=study.pk)
    model: Any = {"area": Area, "criterion": Criterion}.get(kind)
    owner = model.objects.select_for_update(no_key=True).filter(study=study, pk=owner_id).first() if model else None
    if owner is None:
        raise InvalidInput(_("No such text in this study."), field_errors={"text": [_("No such text.")]})
    return owner


@transaction.atomic
def text_confirm(*, study: Study, kind: str, owner_id: int, key: str, language: str, user: User | None) -> Owner:
    """Confirm that ``language``'s wording of a text still matches the newer wording of another language."""
    owner = find_owner(study, kind, owner_id)
    default = study.default_language
    languages = [code for code, _name in settings.LANGUAGES]
    if key not in text_keys(owner) or language not in languages:
        raise InvalidInput(_("No such text in this study."), field_errors={"text": [_("No such text.")]})
    if text_state(owner, key, language, default_language=default, languages=languages) != STALE:
        raise InvalidInput(
            _("This text is not stale; there is nothing to confirm."), field_errors={"text": [_("Not stale.")]}
        )
    stamps = {code: dict(keys) for code, keys in (owner.text_changed_at or {}).items()}
    stamps.setdefault(language, {})[key] = _latest_stamp(owner, key, languages, default)
    owner.text_changed_at = stamps
    owner.save(update_fields=["text_changed_at"])
    audit(
        action="text.confirmed",
        study=study,
        user=user,
        target=f"{kind} {owner_id} {key}",
        language=language,
        confirmed_at=timezone.now(),
    )
    return owner


@dataclass(frozen=True)
class TextRow:
    """One text of the study's content, with its state in each language the study offers."""

    owner_kind: str
    owner: Owner
    owner_label: str
    key: str
    cells: list[tuple[str, str, str]]  # (language, its name, state)

    @property
    def key_name(self) -> str:
        return key_name(self.key)

    @property
    def complete(self) -> bool:
        return not any(state for _code, _name, state in self.cells)


def text_table(study: Study) -> list[TextRow]:
    """Every text of the study's active content that has a default-language wording, state per language.

    Three queries whatever the study's size: the study is given, then its areas and its criteria.
    """
    languages = [code for code, _name in settings.LANGUAGES if code in (study.languages or [])]
    every_language = sorted(set(languages) | {study.default_language})
    owners: list[Owner] = [study]
    owners += list(study.areas.filter(is_active=True).order_by("order", "pk"))
    owners += list(study.criteria.filter(is_active=True).order_by("order", "pk"))
    rows = []
    for owner in owners:
        for key in text_keys(owner):
            if not own_text(owner, key, study.default_language, study.default_language):
                continue
            cells = [
                (
                    code,
                    language_name(code),
                    text_state(owner, key, code, default_language=study.default_language, languages=every_language),
                )
                for code in languages
            ]
            rows.append(TextRow(owner_kind(owner), owner, owner_label(owner), key, cells))
    return rows
