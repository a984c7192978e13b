"""Public names to rows: the API names areas and criteria by code (or UUID), never by internal id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from elicitation.models import Area, Criterion, Study

Item = tuple[int, int]  # (area_id, criterion_id), as the round services take them


def _as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def named(study: Study, model: type[Area] | type[Criterion], names: set[str]) -> dict[str, int]:
    """Each name (a code, any case; or a UUID) of ``study``'s areas or criteria, to its id; one query."""
    if not names:
        return {}
    uuids = {parsed for name in names if (parsed := _as_uuid(name)) is not None}
    rows = model.objects.filter(study=study).filter(Q(code__in=names) | Q(uuid__in=uuids) | _any_case(names))
    found: dict[str, int] = {}
    for pk, code, row_uuid in rows.values_list("pk", "code", "uuid"):
        for name in names:
            if name.casefold() == code.casefold() or _as_uuid(name) == row_uuid:
                found[name] = pk
    return found


def _any_case(names: set[str]) -> Q:
    condition = Q(pk__in=[])
    for name in names:
        condition |= Q(code__iexact=name)
    return condition


def items_named(study: Study, given: Sequence[dict[str, Any]], *, field: str = "items") -> list[Item]:
    """The (area, criterion) ids of ``given`` items; an unknown name is a 400 keyed ``items.<index>.area``."""
    areas = named(study, Area, {item["area"] for item in given})
    criteria = named(study, Criterion, {item["criterion"] for item in given})
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(given):
        if item["area"] not in areas:
            errors[f"{field}.{index}.area"] = [_("No area of this study has this code.")]
        if item["criterion"] not in criteria:
            errors[f"{field}.{index}.criterion"] = [_("No criterion of this study has this code.")]
    if errors:
        raise ValidationError(errors)
    return [(areas[item["area"]], criteria[item["criterion"]]) for item in given]
