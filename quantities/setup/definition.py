"""The quantity questions' part of a study definition (``study.json``): written, checked and built.

A definition file carries the study's quantity format (``quantity_format``) and its questions
(``quantity_questions``): code, area (by its code), kind, title, description and unit in every language,
bounds, scale, whether it is a seed, order and whether it is asked. Files written before these keys existed
still import (a study without quantity questions, the IDEA default format).

A seed's **true value is never part of a definition**, neither written nor read: it is known only after
the fact, for the study that asked the question, and is entered by that study's coordinator. A copy,
a template shared with others or a downloaded file must not tell anyone the answer to a calibration
question (an expert who knew it would be scored as perfectly calibrated), so a file that holds one is
refused. The true values are in the coordinators' exports (``quantity_questions`` table), not here.

The part is registered with ``elicitation.setup.definition`` when the app starts (``quantities.apps``),
which stands below this app's services and so cannot call them itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from elicitation.models import Study
from elicitation.setup.definition import Checker, DefinitionPart, Problem, check_items
from quantities import services
from quantities.models import QuantityFormat, QuantityQuestion

QUESTION_KEYS = {"code", "area", "kind", "title", "description", "unit", "lower_bound", "upper_bound", "scale",
                 "seed", "order", "active", "translations"}  # fmt: skip
FORMAT_KEYS = {"format", "quantiles", "overshoot"}
# Said of a true value found in a file: never imported, whatever its name.
REALIZATION_KEYS = {"realization", "true_value"}


def quantity_definition(study: Study) -> dict[str, Any]:
    """The study's quantity format and questions as the definition file writes them; never a true value."""
    form = services.format_of(study)
    return {
        "quantity_format": {"format": form.format, "quantiles": list(form.quantiles), "overshoot": form.overshoot},
        "quantity_questions": [
            {
                "code": q.code,
                "area": q.area.code,
                "kind": q.kind,
                "title": q.title,
                "description": q.description,
                "unit": q.unit,
                "lower_bound": q.lower_bound,
                "upper_bound": q.upper_bound,
                "scale": q.scale,
                "seed": q.is_seed,
                "order": q.order,
                "active": q.is_active,
                "translations": q.translations,
            }
            for q in QuantityQuestion.objects.filter(study=study).select_related("area")
        ],
    }


def _check_format(value: Any, check: Checker) -> dict[str, Any] | None:
    found = check.mapping(value, "quantity_format")
    if found is None:
        return None
    check.unknown(found, "quantity_format", FORMAT_KEYS)
    clean: dict[str, Any] = {"format": QuantityFormat.Format.IDEA, "quantiles": [0.05, 0.5, 0.95], "overshoot": 0.1}
    if "format" in found:
        clean["format"] = check.choice(found["format"], "quantity_format.format", QuantityFormat.Format.values)
    if "quantiles" in found:
        levels = found["quantiles"]
        if not isinstance(levels, list):
            check.add("quantity_format.quantiles", _("Expected a list of numbers between 0 and 1."))
        else:
            numbers = [check.number(level, f"quantity_format.quantiles[{i}]") for i, level in enumerate(levels)]
            clean["quantiles"] = [float(n) for n in numbers if n is not None]
    if "overshoot" in found and (number := check.number(found["overshoot"], "quantity_format.overshoot")) is not None:
        clean["overshoot"] = float(number)
    return clean


def _bound(found: dict[str, Any], name: str, path: str, check: Checker) -> float | None:
    number = check.number(found.get(name), f"{path}.{name}")
    return None if number is None else float(number)


def _check_question(value: Any, path: str, check: Checker, area_codes: set[str]) -> dict[str, Any]:
    found = check.mapping(value, path)
    if found is None:
        return {}
    for key in REALIZATION_KEYS & set(found):
        message = _("A true value is never imported: enter it on the questions page once it is known.")
        check.add(f"{path}.{key}", message)
    check.unknown(found, path, QUESTION_KEYS | REALIZATION_KEYS)
    area = check.text(found.get("area"), f"{path}.area", limit=40, required=True)
    if area.strip() and area.casefold() not in area_codes:
        check.add(f"{path}.area", _("No area of this file has this code."))
    item: dict[str, Any] = {
        "code": check.text(found.get("code"), f"{path}.code", limit=40, required=True),
        "area": area,
        "kind": check.choice(found.get("kind", "quantity"), f"{path}.kind", QuantityQuestion.Kind.values),
        "title": check.text(found.get("title"), f"{path}.title", limit=200, required=True),
        "description": check.text(found.get("description"), f"{path}.description", limit=4000),
        "unit": check.text(found.get("unit"), f"{path}.unit", limit=services.MAX_UNIT),
        "lower_bound": _bound(found, "lower_bound", path, check),
        "upper_bound": _bound(found, "upper_bound", path, check),
        "scale": check.choice(found.get("scale", "uniform"), f"{path}.scale", QuantityQuestion.Scale.values),
        "is_seed": check.boolean(found.get("seed", False), f"{path}.seed"),
        "order": check.integer(found.get("order", 0), f"{path}.order", low=0, high=2_147_483_647),
        "is_active": check.boolean(found.get("active", True), f"{path}.active"),
        "translations": check.translations(
            found.get("translations"), f"{path}.translations", set(QuantityQuestion.TEXT_KEYS)
        ),
    }
    return item


def check_quantities(top: dict[str, Any], areas: list[dict[str, Any]], check: Checker) -> dict[str, Any]:
    """The file's quantity format and questions, checked field by field; problems named by their path."""
    area_codes = {str(area.get("code", "")).casefold() for area in areas}
    questions = check_items(
        top.get("quantity_questions", []),
        "quantity_questions",
        check,
        lambda value, path, checker: _check_question(value, path, checker, area_codes),
    )
    form = _check_format(top["quantity_format"], check) if "quantity_format" in top else None
    return {"format": form, "questions": questions}


def _problems(error: InvalidInput, prefix: str, names: dict[str, str]) -> list[Problem]:
    return [
        (0, prefix if name in ("", "__all__") else f"{prefix}.{names.get(name, name)}", message)
        for name, messages in (error.field_errors or {"": [error.message]}).items()
        for message in messages
    ]


def build_quantities(study: Study, user: User, clean: dict[str, Any]) -> list[Problem]:
    """The checked format and questions created in ``study`` through the quantity services; their problems."""
    problems: list[Problem] = []
    if clean.get("format") is not None:
        try:
            services.quantity_format_set(study=study, user=user, **clean["format"])
        except InvalidInput as exc:
            problems.extend(_problems(exc, "quantity_format", {}))
    areas = {area.code.casefold(): area for area in study.areas.all()}
    for index, question in enumerate(clean.get("questions", [])):
        values = {**question, "area": areas.get(str(question.get("area", "")).casefold())}
        try:
            services.question_create(study=study, user=user, **values)
        except InvalidInput as exc:
            problems.extend(_problems(exc, f"quantity_questions[{index}]", {"is_seed": "seed", "is_active": "active"}))
    return problems


QUANTITY_PART = DefinitionPart(
    name="quantities",
    keys=("quantity_format", "quantity_questions"),
    export=quantity_definition,
    check=check_quantities,
    build=build_quantities,
)
