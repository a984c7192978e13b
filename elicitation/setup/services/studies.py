"""Creating a study (blank or from a template), its first coordinator and its settings."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.plan import PLAN_SETTINGS
from core.audit import audit
from core.errors import InvalidInput
from elicitation.models import Area, ConsensusRule, Criterion, InvitationToken, Round, Study, StudyMember
from elicitation.models.study import STUDY_TEXT_KEYS
from elicitation.setup.services import plan
from elicitation.setup.services.members import study_member_add
from elicitation.setup.services.translations import own_texts, stamp_changes
from elicitation.setup.study_templates import get_template

MAX_GROUPS = 30  # blocs or sectors per study
MAX_GROUP_NAME = 100
MAX_MIN_GROUP_SIZE = 100
MAX_REMINDER_HOURS = 24 * 30
MAX_CHANGE_REASON_THRESHOLD = 100
SETTINGS_FIELDS = (
    "title",
    "question",
    "introduction",
    "consent_text",
    "ethics_approval",
    "contact",
    "data_controller",
    "translations",
    "sender_name",
    "contact_email",
    "end_date",
    "quantile_method",
    "min_group_size",
    "anonymity",
    "mode",
    "feedback_timing",
    "feedback_by_bloc",
    "default_language",
    "languages",
    "blocs",
    "sectors",
    "suggestions_enabled",
    "reminder_hours_before_deadline",
    "single_use_links",
    "change_reason_threshold",
    "benefit_threshold",
    "risk_low_threshold",
    "risk_safeguard_threshold",
    "risk_avoid_threshold",
)


def _language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


@transaction.atomic
def study_create(
    *,
    user: User,
    title: str,
    template_key: str = "",
    question: str = "",
    introduction: str = "",
) -> Study:
    """A new study coordinated by ``user``: blank, or with the areas, criteria and rule of a template."""
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the study a title.")]
    elif len(title) > Study._meta.get_field("title").max_length:  # type: ignore[operator]
        errors["title"] = [_("The title is too long.")]
    template = get_template(template_key) if template_key else None
    if template_key and template is None:
        errors["template"] = [_("Unknown template.")]
    if errors:
        raise InvalidInput(_("The study was not created."), field_errors=errors)
    data: dict[str, Any] = template.data if template is not None else {}
    study = Study.objects.create(
        title=title,
        question=question.strip() or data.get("question", ""),
        introduction=introduction.strip() or data.get("introduction", ""),
        template=template_key,
        consent_text=data.get("consent_text", ""),
        translations=_template_study_texts(
            data, title=title, own_question=bool(question.strip()), own_introduction=bool(introduction.strip())
        ),
        **{name: data[name] for name in ("languages", "blocs", "sectors") if name in data},
    )
    StudyMember.objects.create(study=study, user=user, role=StudyMember.Role.COORDINATOR)
    if template is not None:
        _apply_template(study, data)
    audit(action="study.created", study=study, user=user, target=str(study.uuid), template=template_key)
    return study


def _template_study_texts(
    data: dict[str, Any], *, title: str, own_question: bool, own_introduction: bool
) -> dict[str, dict[str, str]]:
    """The template's other-language study texts that still translate what the study says.

    The template's title is translated only if the study kept it, and its question and introduction
    only if the coordinator did not write their own: a translation of another text would be wrong.
    """
    skipped = {"description"}  # the template's own description, shown only when choosing a template
    if title != data.get("title"):
        skipped.add("title")
    if own_question:
        skipped.add("question")
    if own_introduction:
        skipped.add("introduction")
    texts: dict[str, dict[str, str]] = {}
    for language, keyed in data.get("translations", {}).items():
        kept = {
            key: text
            for key, text in keyed.items()
            if key not in skipped and (key in STUDY_TEXT_KEYS or key.startswith(("bloc:", "sector:")))
        }
        if kept:
            texts[language] = kept
    return texts


def _apply_template(study: Study, data: dict[str, Any]) -> None:
    Area.objects.bulk_create(
        Area(
            study=study,
            code=area["code"],
            title=area["title"],
            description=area.get("description", ""),
            translations=area.get("translations", {}),
            order=order,
        )
        for order, area in enumerate(data.get("areas", []), start=1)
    )
    Criterion.objects.bulk_create(
        Criterion(
            study=study,
            code=item["code"],
            kind=item["kind"],
            title=item["title"],
            description=item.get("description", ""),
            translations=item.get("translations", {}),
            scale_min=item.get("scale_min", 1),
            scale_max=item.get("scale_max", 9),
            label_min=item.get("label_min", ""),
            label_max=item.get("label_max", ""),
            allow_cannot_judge=item.get("allow_cannot_judge", True),
            order=order,
        )
        for order, item in enumerate(data.get("criteria", []), start=1)
    )
    if data.get("rule"):
        ConsensusRule.objects.create(study=study, version=1, **data["rule"])


def study_add_coordinator(*, study: Study, username: str, user: User) -> User:
    """Make the user named ``username`` a co-coordinator of ``study`` (``members.study_member_add``)."""
    return study_member_add(study=study, username=username, role=StudyMember.Role.COORDINATOR, user=user).user


def clean_group_names(names: list[str], *, field: str) -> list[str]:
    """Bloc or sector names: trimmed, non-empty, unique ignoring case and Unicode form."""
    cleaned: list[str] = []
    seen: set[str] = set()
    problems: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        key = unicodedata.normalize("NFKC", name).casefold()
        if key in seen:
            problems.append(_("“%(name)s” is listed twice.") % {"name": name})
            continue
        if len(name) > MAX_GROUP_NAME:
            problems.append(_("“%(name)s…” is too long.") % {"name": name[:20]})
            continue
        seen.add(key)
        cleaned.append(name)
    if len(cleaned) > MAX_GROUPS:
        problems.append(_("List at most %(n)d.") % {"n": MAX_GROUPS})
    if problems:
        raise InvalidInput(_("The settings were not saved."), field_errors={field: problems})
    return cleaned


STUDY_TEXT_LIMITS = {"introduction": 10000, "consent_text": 20000, "question": 4000, "contact": 2000,
                     "data_controller": 2000, "ethics_approval": 300}  # fmt: skip


def _translation_errors(translations: Any) -> dict[str, list[str]]:
    """The study's translations: {language: {key: text}} for offered languages and the study's own text keys."""
    if not isinstance(translations, dict):
        return {"translations": [_("Bad translations.")]}
    errors: dict[str, list[str]] = {}
    for language, texts in translations.items():
        if language not in _language_codes() or not isinstance(texts, dict):
            return {"translations": [_("Bad translations.")]}
        for key, text in texts.items():
            known = key in STUDY_TEXT_KEYS or key.startswith(("bloc:", "sector:"))
            if not known or not isinstance(text, str):
                return {"translations": [_("Bad translations.")]}
            limit = STUDY_TEXT_LIMITS.get(key, MAX_GROUP_NAME if ":" in key else 200)
            if len(text) > limit:
                errors[f"{key}_{language}"] = [_("At most %(n)d characters.") % {"n": limit}]
    return errors


def _check_settings(study: Study, values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not str(values["title"]).strip():
        errors["title"] = [_("Give the study a title.")]
    errors.update(_translation_errors(values["translations"]))
    if not 3 <= int(values["min_group_size"]) <= MAX_MIN_GROUP_SIZE:
        errors["min_group_size"] = [_("Use a number from 3 to %(n)d.") % {"n": MAX_MIN_GROUP_SIZE}]
    languages = list(values["languages"])
    if not languages or not set(languages) <= _language_codes():
        errors["languages"] = [_("Offer at least one of the available languages.")]
    elif values["default_language"] not in languages:
        errors["default_language"] = [_("The default language must be one of the languages offered.")]
    if not values["blocs"]:
        errors["blocs"] = [_("List at least one bloc or country group.")]
    used_blocs = set(study.experts.values_list("bloc", flat=True))
    if missing := sorted(used_blocs - set(values["blocs"])):
        errors.setdefault("blocs", []).append(
            _("Experts belong to %(names)s; move them first.") % {"names": ", ".join(missing)}
        )
    used_sectors = set(study.experts.exclude(sector="").values_list("sector", flat=True))
    if missing := sorted(used_sectors - set(values["sectors"])):
        errors["sectors"] = [_("Experts belong to %(names)s; move them first.") % {"names": ", ".join(missing)}]
    if not 0 <= int(values["reminder_hours_before_deadline"]) <= MAX_REMINDER_HOURS:
        errors["reminder_hours_before_deadline"] = [
            _("Use a number of hours from 0 to %(n)d.") % {"n": MAX_REMINDER_HOURS}
        ]
    reason_threshold = values["change_reason_threshold"]
    if reason_threshold is not None and not 0 <= int(reason_threshold) <= MAX_CHANGE_REASON_THRESHOLD:
        errors["change_reason_threshold"] = [
            _("Use a number of points from 0 to %(n)d, or leave it empty.") % {"n": MAX_CHANGE_REASON_THRESHOLD}
        ]
    low, safeguard, avoid = (values[f"risk_{n}_threshold"] for n in ("low", "safeguard", "avoid"))
    if not low <= safeguard <= avoid:
        errors["risk_safeguard_threshold"] = [_("Risk thresholds must rise: low ≤ safeguard ≤ avoid.")]
    errors.update(_weakened_promises(study, values))
    return errors


def _weakened_promises(study: Study, values: dict[str, Any]) -> dict[str, list[str]]:
    """Settings experts consented under may only get stronger: k rises, strict stays, bloc breakdowns go off.

    The promise is made when the first expert consents (or answers, for studies whose rounds opened before
    consent was recorded); until then everything may change.
    """
    promised = (
        study.experts.filter(consented_at__isnull=False).exists()
        or study.rounds.exclude(status=Round.Status.DRAFT).exists()
    )
    if not promised:
        return {}
    errors: dict[str, list[str]] = {}
    if study.anonymity == Study.Anonymity.STRICT and values["anonymity"] != Study.Anonymity.STRICT:
        errors["anonymity"] = [_("Experts were promised strict anonymity when they answered; it cannot be weakened.")]
    if int(values["min_group_size"]) < study.min_group_size:
        errors.setdefault("min_group_size", []).append(
            _("Experts consented under a minimum group size of %(k)d; it can rise, not fall.")
            % {"k": study.min_group_size}
        )
    if values["feedback_by_bloc"] and not study.feedback_by_bloc:
        errors["feedback_by_bloc"] = [
            _("Experts consented without a bloc breakdown in their feedback; it cannot be turned back on.")
        ]
    return errors


@transaction.atomic
def study_update_settings(*, study: Study, user: User, reason: str = "", **changes: Any) -> Study:
    """Change the study's settings; refuses values that break the anonymity promise or the panel.

    A change to a planned setting (``analysis.PLAN_SETTINGS``) after the analysis plan was
    frozen needs a ``reason`` and creates a new plan version.
    """
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    study = Study.objects.select_for_update(no_key=True).get(pk=study.pk)
    if "blocs" in changes:
        changes["blocs"] = clean_group_names(list(changes["blocs"]), field="blocs")
    if "sectors" in changes:
        changes["sectors"] = clean_group_names(list(changes["sectors"]), field="sectors")
    values = {name: changes.get(name, getattr(study, name)) for name in SETTINGS_FIELDS}
    errors = _check_settings(study, values)
    errors.update(plan.reason_errors(study, plan.plan_content(values, study.current_rule()), reason))
    if errors:
        raise InvalidInput(_("The settings were not saved."), field_errors=errors)
    before = own_texts(study, study.default_language)
    changed = sorted(name for name in SETTINGS_FIELDS if getattr(study, name) != values[name])
    for name in changed:
        setattr(study, name, values[name])
    if stamp_changes(study, before=before, default_language=study.default_language, now=timezone.now()):
        changed.append("text_changed_at")
    if changed:
        study.save(update_fields=changed)
        audit(action="study.settings_changed", study=study, user=user, target=str(study.uuid), fields=changed)
    if set(changed) & set(PLAN_SETTINGS):
        plan.plan_record(study=study, user=user, reason=reason)
    if "end_date" in changed:
        # Links expire at the study's end date: keep live links in step with it.
        InvitationToken.objects.filter(expert__study=study, revoked_at__isnull=True).update(expires_at=study.end_date)
    return study
