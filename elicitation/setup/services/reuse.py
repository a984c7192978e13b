"""Study reuse: duplicate a study, save it as a template, start from a template, import a definition file.

Every path builds the new study from a definition (``elicitation.setup.definition``) through the same
services a coordinator's pages use (settings, areas, criteria, rule), so a copy obeys every rule a
study made by hand obeys. Either the whole study is created or nothing is: a problem anywhere raises
``ImportFailed`` with every problem found, ``(line, field path, message)``, and the transaction is
rolled back. A copy never carries answers, links, rounds or results; the panel only when asked for, as
new experts who have not consented.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ImportFailed, InvalidInput
from elicitation.models import Expert, SavedTemplate, Study, StudyMember
from elicitation.models.panel import email_key
from elicitation.setup.definition import (
    Problem,
    check_definition,
    definition_parts,
    locate,
    parse_definition,
    study_definition,
)
from elicitation.setup.services import items, rules, studies

MAX_TEMPLATE_TITLE = 200
MAX_TEMPLATE_DESCRIPTION = 2000


def _title_errors(title: str, field: str = "title") -> dict[str, list[str]]:
    if not title.strip():
        return {field: [_("Give the study a title.")]}
    if len(title.strip()) > MAX_TEMPLATE_TITLE:
        return {field: [_("At most %(n)d characters.") % {"n": MAX_TEMPLATE_TITLE}]}
    return {}


def _problems(error: InvalidInput, prefix: str, *, known: dict[str, str] | None = None) -> list[Problem]:
    """A service's field errors as problems whose path starts with ``prefix``."""
    found: list[Problem] = []
    for name, messages in (error.field_errors or {"": [error.message]}).items():
        name = (known or {}).get(name, name)
        path = prefix if name in ("", "__all__") else f"{prefix}.{name}"
        found.extend((0, path, message) for message in messages)
    return found


# The settings page's field names for the definition's study keys, where they differ.
_STUDY_PATHS = {
    "benefit_threshold": "thresholds.benefit",
    "risk_low_threshold": "thresholds.risk_low",
    "risk_safeguard_threshold": "thresholds.risk_safeguard",
    "risk_avoid_threshold": "thresholds.risk_avoid",
}


def _build(*, user: User, definition: dict[str, Any], title: str, template_key: str = "") -> Study:
    """A new study coordinated by ``user`` from a checked definition; ImportFailed (and nothing kept) otherwise."""
    problems: list[Problem] = []
    study = Study.objects.create(title=title.strip(), template=template_key)
    StudyMember.objects.create(study=study, user=user, role=StudyMember.Role.COORDINATOR)
    settings = {
        name: value
        for name, value in definition.get("study", {}).items()
        if name in studies.SETTINGS_FIELDS and name != "title"
    }
    settings.setdefault("translations", {})
    try:
        studies.study_update_settings(study=study, user=user, **settings)
    except InvalidInput as exc:
        problems.extend(_problems(exc, "study", known=_STUDY_PATHS))
    for index, area in enumerate(definition.get("areas", [])):
        try:
            items.area_create(study=study, user=user, **area)
        except InvalidInput as exc:
            problems.extend(_problems(exc, f"areas[{index}]"))
    areas_stand = not problems
    for index, criterion in enumerate(definition.get("criteria", [])):
        try:
            items.criterion_create(study=study, user=user, **criterion)
        except InvalidInput as exc:
            problems.extend(_problems(exc, f"criteria[{index}]"))
    rule = definition.get("rule")
    if rule and not problems:  # the rule is checked against the criteria: only once they stand
        try:
            rules.rule_save(study=study, user=user, **rule)
        except InvalidInput as exc:
            problems.extend(_problems(exc, "consensus_rules[-1]"))
    if areas_stand:  # the other apps' parts (quantity questions) hang on the areas
        for part in definition_parts():
            if part.name in definition.get("parts", {}):
                problems.extend(part.build(study, user, definition["parts"][part.name]))
    if problems:
        raise ImportFailed(_("Nothing was created."), problems=problems)
    return study


@transaction.atomic
def study_duplicate(*, study: Study, user: User, title: str, with_panel: bool = False) -> Study:
    """A copy of ``study``: settings, texts, items, translations and rule; the panel if ``with_panel``.

    Never answers, rounds, links or results. Copied experts are new panel members: not consented, no link.
    """
    if errors := _title_errors(title):
        raise InvalidInput(_("The study was not copied."), field_errors=errors)
    copy = _build(user=user, definition=_checked(study_definition(study)), title=title, template_key=study.template)
    copied = _copy_panel(study, copy) if with_panel else 0
    audit(
        action="study.duplicated",
        study=copy,
        user=user,
        target=str(copy.uuid),
        source=str(study.uuid),
        experts_copied=copied,
    )
    audit(action="study.copied_from", study=study, user=user, target=str(copy.uuid), experts_copied=copied)
    return copy


def _checked(document: dict[str, Any]) -> dict[str, Any]:
    definition, problems = check_definition(document)
    if definition is None:
        raise ImportFailed(_("Nothing was created."), problems=problems)
    return definition


def _copy_panel(source: Study, copy: Study) -> int:
    experts = [
        Expert(
            study=copy,
            number=number,
            email=expert.email,
            email_key=email_key(expert.email),
            name=expert.name,
            bloc=expert.bloc,
            sector=expert.sector,
            language=expert.language,
            time_zone=expert.time_zone,
            expertise=expert.expertise,
            is_active=expert.is_active,
        )
        for number, expert in enumerate(source.experts.filter(erased_at__isnull=True).order_by("number"), start=1)
    ]
    Expert.objects.bulk_create(experts)
    return len(experts)


@transaction.atomic
def template_save(*, study: Study, user: User, title: str, description: str = "") -> SavedTemplate:
    """Save the study's definition as one of ``user``'s templates."""
    errors = _title_errors(title)
    if len(description) > MAX_TEMPLATE_DESCRIPTION:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_TEMPLATE_DESCRIPTION}]
    if errors:
        raise InvalidInput(_("The template was not saved."), field_errors=errors)
    template = SavedTemplate.objects.create(
        owner=user,
        title=title.strip(),
        description=description.strip(),
        definition=study_definition(study),
        source_title=study.title[:200],
    )
    audit(action="template.saved", study=study, user=user, target=str(template.uuid), title=template.title)
    return template


@transaction.atomic
def template_delete(*, template: SavedTemplate, user: User) -> None:
    if template.owner_id != user.pk:
        raise InvalidInput(_("This is not your template."))
    audit(action="template.deleted", user=user, target=str(template.uuid), title=template.title)
    template.delete()


@transaction.atomic
def study_create_from_template(*, template: SavedTemplate, user: User, title: str) -> Study:
    if template.owner_id != user.pk:
        raise InvalidInput(_("This is not your template."))
    if errors := _title_errors(title):
        raise InvalidInput(_("The study was not created."), field_errors=errors)
    study = _build(user=user, definition=_checked(template.definition), title=title)
    audit(action="study.created_from_template", study=study, user=user, target=str(study.uuid),
          template=str(template.uuid))  # fmt: skip
    return study


@transaction.atomic
def study_import(*, user: User, data: bytes, title: str = "") -> Study:
    """A new study from a definition file (``study.json``); ImportFailed with every problem, nothing written."""
    definition, problems = parse_definition(data)
    if definition is None:
        raise ImportFailed(_("The file was not imported."), problems=problems)
    title = title.strip() or str(definition.get("study", {}).get("title", ""))
    if errors := _title_errors(title):
        raise ImportFailed(_("The file was not imported."), problems=[(0, "study.title", errors["title"][0])])
    try:
        study = _build(user=user, definition=definition, title=title)
    except ImportFailed as exc:  # the services' field errors, placed on the file's lines too
        problems = locate(data.decode("utf-8-sig"), exc.problems)
        raise ImportFailed(_("The file was not imported."), problems=problems) from exc
    audit(action="study.imported", study=study, user=user, target=str(study.uuid), bytes=len(data))
    return study
