"""The panel: add, edit, deactivate and reactivate experts. Pseudonym numbers never change or get reused."""

from __future__ import annotations

import unicodedata
import zoneinfo
from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import InvalidInput
from elicitation.models import Expert, Study
from elicitation.models.panel import email_key
from elicitation.setup.services.tokens import tokens_revoke

MAX_NAME = 200
MAX_EMAIL = 254
EXPERTISE_MIN, EXPERTISE_MAX = 1, 5
EXPERT_FIELDS = ("email", "name", "bloc", "sector", "language", "time_zone", "expertise")


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def match_choice(value: str, choices: list[str]) -> str | None:
    """The choice ``value`` names, ignoring case, surrounding spaces and Unicode form; None if none."""
    wanted = _key(value)
    return next((choice for choice in choices if _key(choice) == wanted), None)


def match_language(value: str, study: Study) -> str | None:
    wanted = _key(value).replace("_", "-")
    if not wanted:
        return study.default_language
    return next((code for code in study.languages if code.casefold() == wanted), None)


def clean_expert(study: Study, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check one expert's fields against the study; returns (clean values, errors by field).

    Names are kept exactly as given (only surrounding spaces trimmed): no case or Unicode
    changes, so CJK and right-to-left names stay as their owners write them.
    """
    errors: dict[str, list[str]] = {}
    email = str(raw.get("email") or "").strip()
    try:
        validate_email(email)
        # The lookup key (NFKC, case-folded) can be longer than the address: "ﬃ" becomes "ffi".
        if len(email) > MAX_EMAIL or len(email_key(email)) > MAX_EMAIL:
            raise ValidationError("too long")
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    name = str(raw.get("name") or "").strip()
    if len(name) > MAX_NAME:
        errors["name"] = [_("At most %(n)d characters.") % {"n": MAX_NAME}]
    bloc = match_choice(str(raw.get("bloc") or ""), study.blocs)
    if bloc is None:
        errors["bloc"] = [_("Unknown bloc; use one of: %(names)s.") % {"names": ", ".join(study.blocs)}]
    sector_given = str(raw.get("sector") or "").strip()
    sector = match_choice(sector_given, study.sectors) if sector_given else ""
    if sector is None:
        errors["sector"] = [_("Unknown sector; use one of: %(names)s.") % {"names": ", ".join(study.sectors)}]
    language = match_language(str(raw.get("language") or ""), study)
    if language is None:
        errors["language"] = [_("Unknown language; use one of: %(codes)s.") % {"codes": ", ".join(study.languages)}]
    time_zone = str(raw.get("time_zone") or "").strip()
    if time_zone and time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = [_("Unknown time zone; use a name such as Europe/Berlin or Asia/Shanghai.")]
    expertise: dict[str, int] = {}
    for code, level in (raw.get("expertise") or {}).items():
        if level in (None, ""):
            continue
        try:
            number = int(str(level).strip())
        except ValueError:
            number = 0
        if not EXPERTISE_MIN <= number <= EXPERTISE_MAX:
            errors[f"expertise_{code}"] = [_("Use a whole number from 1 to 5.")]
        else:
            expertise[code] = number
    values = {
        "email": email,
        "name": name,
        "bloc": bloc,
        "sector": sector,
        "language": language,
        "time_zone": time_zone,
        "expertise": expertise,
    }
    return values, errors


def _duplicate(study: Study, email: str, exclude_pk: int | None = None) -> bool:
    return Expert.objects.filter(study=study, email_key=email_key(email)).exclude(pk=exclude_pk or 0).exists()


def next_expert_number(study: Study) -> int:
    """One after the highest number ever given in this study (numbers are never reused)."""
    return (Expert.objects.filter(study=study).aggregate(last=Max("number"))["last"] or 0) + 1


def lock_study(study: Study) -> Study:
    """Serialise panel writes per study, so two adds never take the same pseudonym number."""
    return Study.objects.select_for_update(no_key=True).get(pk=study.pk)


@transaction.atomic
def expert_add(*, study: Study, user: User | None, **fields: Any) -> Expert:
    study = lock_study(study)
    values, errors = clean_expert(study, fields)
    if "email" not in errors and _duplicate(study, values["email"]):
        errors["email"] = [_("An expert with this email address is already in the panel.")]
    if errors:
        raise InvalidInput(_("The expert was not added."), field_errors=errors)
    expert = Expert.objects.create(study=study, number=next_expert_number(study), **values)
    audit(action="expert.added", study=study, user=user, target=expert.pseudonym)
    return expert


@transaction.atomic
def expert_update(*, expert: Expert, user: User | None, **changes: Any) -> Expert:
    if set(changes) - set(EXPERT_FIELDS):
        raise TypeError(f"unknown expert fields: {sorted(set(changes) - set(EXPERT_FIELDS))}")
    expert = Expert.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=expert.pk)
    if expert.erased_at is not None:
        raise InvalidInput(_("This expert's personal data was erased; the record cannot be edited."))
    raw = {name: changes.get(name, getattr(expert, name)) for name in EXPERT_FIELDS}
    values, errors = clean_expert(expert.study, raw)
    if "email" not in errors and _duplicate(expert.study, values["email"], exclude_pk=expert.pk):
        errors["email"] = [_("An expert with this email address is already in the panel.")]
    if errors:
        raise InvalidInput(_("The expert was not saved."), field_errors=errors)
    changed = [name for name in EXPERT_FIELDS if values[name] != getattr(expert, name)]
    for name in changed:
        setattr(expert, name, values[name])
    if changed:
        expert.save()
        audit(action="expert.updated", study=expert.study, user=user, target=expert.pseudonym, fields=changed)
    return expert


@transaction.atomic
def expert_deactivate(*, expert: Expert, user: User | None) -> Expert:
    """Take an expert off the panel at once: links revoked; the expert's pages check is_active per request."""
    expert = Expert.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=expert.pk)
    revoked = tokens_revoke(expert=expert)
    if expert.is_active:
        expert.is_active = False
        expert.save(update_fields=["is_active"])
        audit(
            action="expert.deactivated", study=expert.study, user=user, target=expert.pseudonym, links_revoked=revoked
        )
    return expert


@transaction.atomic
def expert_links_revoke(*, expert: Expert, user: User | None, token_ids: Collection[int] | None = None) -> int:
    """Revoke the expert's live personal links (only ``token_ids`` if given), e.g. a link forwarded by mistake.

    The expert stays on the panel and can ask for a new link; returns how many links were revoked.
    """
    expert = Expert.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=expert.pk)
    revoked = tokens_revoke(expert=expert, token_ids=token_ids)
    if revoked:
        audit(
            action="expert.links_revoked", study=expert.study, user=user, target=expert.pseudonym, links_revoked=revoked
        )
    return revoked


@transaction.atomic
def expert_reactivate(*, expert: Expert, user: User | None) -> Expert:
    """Bring an expert back; old links stay revoked, so a new invitation is needed."""
    expert = Expert.objects.select_for_update(of=("self",), no_key=True).select_related("study").get(pk=expert.pk)
    if expert.erased_at is not None:
        raise InvalidInput(_("This expert's personal data was erased; the expert cannot come back."))
    if not expert.is_active:
        expert.is_active = True
        expert.save(update_fields=["is_active"])
        audit(action="expert.reactivated", study=expert.study, user=user, target=expert.pseudonym)
    return expert
