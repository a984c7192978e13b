"""A study's definition as a portable JSON document, and the check of such a document before it is imported.

The format is the reproducibility bundle's ``study.json`` (``exports.bundle.study_configuration``,
``format_version`` 1): ``study`` (settings and texts), ``areas``, ``criteria`` and ``consensus_rules``.
What only describes a run study (``rounds``, ``software``, ``files``, ``exported_at``, the study's
``uuid``) is read and ignored. A definition written here adds what a new study needs and the bundle
leaves out: every text the experts read, each item's description and translations, the languages, and
the study's remaining settings. docs/reuse.md describes every field, with an example.

:func:`parse_definition` turns a file's bytes into a checked definition or a list of problems
``(line, field path, message)``: a JSON syntax error names its line and column; a schema error names the
field by its path (``areas[2].code``) and the line where that field is written (:func:`locate`), or where
its object starts when the field is missing.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from elicitation.models import Criterion, Study
from elicitation.models.study import STUDY_TEXT_KEYS

FORMAT_VERSION = 1
MAX_DEFINITION_BYTES = 2_000_000
MAX_ITEMS = 200  # areas or criteria
MAX_PROBLEMS = 200

Problem = tuple[int, str, str]

# Keys the bundle writes that describe a run study, not its definition: read and ignored.
IGNORED_TOP = {"exported_at", "software", "rounds", "files", "format_version"}
IGNORED_STUDY = {"uuid", "quantile_method_meaning", "sd_denominator", "cannot_judge"}
STUDY_TEXTS = {"title": 200, "question": 4000, "introduction": 10000, "consent_text": 20000,
               "ethics_approval": 300, "contact": 2000, "data_controller": 2000, "sender_name": 100,
               "contact_email": 254}  # fmt: skip
STUDY_CHOICES = {
    "mode": Study.Mode.values,
    "anonymity": Study.Anonymity.values,
    "quantile_method": Study.QuantileMethod.values,
    "feedback_timing": Study.FeedbackTiming.values,
}
STUDY_INTEGERS = {"min_group_size": (3, 100), "reminder_hours_before_deadline": (0, 24 * 30)}
STUDY_BOOLEANS = ("feedback_by_bloc", "suggestions_enabled", "single_use_links")
THRESHOLDS = {"benefit": "benefit_threshold", "risk_low": "risk_low_threshold",
              "risk_safeguard": "risk_safeguard_threshold", "risk_avoid": "risk_avoid_threshold"}  # fmt: skip
AREA_KEYS = {"code", "title", "description", "order", "active", "translations"}
CRITERION_KEYS = {"code", "kind", "title", "description", "scale_min", "scale_max", "label_min", "label_max",
                  "allow_cannot_judge", "active", "order", "translations"}  # fmt: skip
RULE_DECIMALS = ("max_iqr", "min_percent_in_band", "max_percent_opposite_band", "max_cv", "min_cns", "divide_threshold")
RULE_KEYS = {*RULE_DECIMALS, "version", "frozen_at", "band", "require_rand_agreement", "parts_by_kind",
             "parts_by_criterion", "inclusion"}  # fmt: skip


@dataclass(frozen=True)
class DefinitionPart:
    """A part of the definition that an app above ``elicitation.setup`` owns (the quantity questions).

    ``keys`` are the file's top-level keys it reads and writes; ``export`` writes them for a study;
    ``check`` reads them from the parsed file (with the file's checked areas) into clean values, adding
    problems by field path; ``build`` creates them in a new study through that app's services and returns
    the problems its services found. The app registers its part when Django starts (its ``AppConfig.ready``),
    so this module stays below the services it cannot import.
    """

    name: str
    keys: tuple[str, ...]
    export: Callable[[Study], dict[str, Any]]
    check: Callable[[dict[str, Any], list[dict[str, Any]], Checker], Any]
    build: Callable[[Study, User, Any], list[Problem]]


_PARTS: dict[str, DefinitionPart] = {}


def register_definition_part(part: DefinitionPart) -> None:
    _PARTS[part.name] = part


def definition_parts() -> list[DefinitionPart]:
    return list(_PARTS.values())


def _decimal_text(value: Decimal | float | None) -> str | None:
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def study_definition(study: Study) -> dict[str, Any]:
    """The study's definition (no panel, rounds, answers, links or results): what a copy is built from."""
    rule = study.current_rule()
    return {
        "format_version": FORMAT_VERSION,
        "study": {
            **{name: getattr(study, name) for name in STUDY_TEXTS},
            **{name: getattr(study, name) for name in STUDY_CHOICES},
            **{name: getattr(study, name) for name in STUDY_INTEGERS},
            **{name: getattr(study, name) for name in STUDY_BOOLEANS},
            "languages": list(study.languages),
            "default_language": study.default_language,
            "translations": study.translations,
            "blocs": list(study.blocs),
            "sectors": list(study.sectors),
            "thresholds": {key: _decimal_text(getattr(study, name)) for key, name in THRESHOLDS.items()},
        },
        "areas": [
            {
                "code": a.code,
                "title": a.title,
                "description": a.description,
                "order": a.order,
                "active": a.is_active,
                "translations": a.translations,
            }
            for a in study.areas.order_by("order", "id")
        ],
        "criteria": [
            {
                "code": c.code,
                "kind": c.kind,
                "title": c.title,
                "description": c.description,
                "scale_min": c.scale_min,
                "scale_max": c.scale_max,
                "label_min": c.label_min,
                "label_max": c.label_max,
                "allow_cannot_judge": c.allow_cannot_judge,
                "active": c.is_active,
                "order": c.order,
                "translations": c.translations,
            }
            for c in study.criteria.order_by("order", "id")
        ],
        "consensus_rules": [] if rule is None else [rule_definition(rule)],
    } | {key: value for part in definition_parts() for key, value in part.export(study).items()}


def rule_definition(rule: Any) -> dict[str, Any]:
    return {
        "version": rule.version,
        **{name: _decimal_text(getattr(rule, name)) for name in RULE_DECIMALS},
        "band": rule.band,
        "require_rand_agreement": rule.require_rand_agreement,
        "parts_by_kind": rule.parts_by_kind,
        "parts_by_criterion": rule.parts_by_criterion,
        "inclusion": rule.inclusion,
    }


def definition_json(definition: dict[str, Any]) -> bytes:
    return (json.dumps(definition, indent=2, ensure_ascii=False, default=str) + "\n").encode()


# Reading a file -------------------------------------------------------------------------------


class Checker:
    """Collects (line, path, message) problems while a parsed document is checked."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((0, path, message))

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.add(path, _("Expected an object ({…})."))
        return None

    def unknown(self, value: dict[str, Any], path: str, known: set[str]) -> None:
        for key in value:
            if key not in known:
                self.add(f"{path}.{key}" if path else key, _("Unknown field."))

    def text(self, value: Any, path: str, *, limit: int, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.add(path, _("Expected text."))
            return ""
        if required and not value.strip():
            self.add(path, _("This field is required."))
        if len(value) > limit:
            self.add(path, _("At most %(n)d characters.") % {"n": limit})
        return value

    def integer(self, value: Any, path: str, *, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, _("Expected a whole number."))
            return None
        if not low <= value <= high:
            self.add(path, _("Use a whole number from %(low)d to %(high)d.") % {"low": low, "high": high})
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.add(path, _("Expected true or false."))
            return None
        return value

    def number(self, value: Any, path: str) -> Decimal | None:
        """A number, written as a JSON number or as text (the bundle writes decimals as text)."""
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.add(path, _("Expected a number."))
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.add(path, _("Expected a number."))
            return None
        return number

    def choice(self, value: Any, path: str, choices: list[str]) -> str | None:
        if value not in choices:
            self.add(path, _("Use one of: %(choices)s.") % {"choices": ", ".join(choices)})
            return None
        return str(value)

    def names(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            self.add(path, _("Expected a list of names."))
            return []
        return list(value)

    def translations(self, value: Any, path: str, keys: set[str] | None) -> dict[str, dict[str, str]]:
        """{language: {key: text}}; ``keys`` None allows the study's own keys (texts, bloc: and sector: names)."""
        if value is None:
            return {}
        found = self.mapping(value, path)
        if found is None:
            return {}
        languages = sorted(code for code, _name in settings.LANGUAGES)
        clean: dict[str, dict[str, str]] = {}
        for language, texts in found.items():
            where = f"{path}.{language}"
            if language not in languages:
                self.add(where, _("Unknown language; use one of: %(choices)s.") % {"choices": ", ".join(languages)})
                continue
            mapping = self.mapping(texts, where)
            if mapping is None:
                continue
            for key, text in mapping.items():
                if not (key in keys if keys is not None else _study_text_key(key)):
                    self.add(f"{where}.{key}", _("Unknown field."))
                elif not isinstance(text, str):
                    self.add(f"{where}.{key}", _("Expected text."))
            clean[language] = {key: text for key, text in mapping.items() if isinstance(text, str)}
        return clean


def _study_text_key(key: str) -> bool:
    return key in STUDY_TEXT_KEYS or key.startswith(("bloc:", "sector:"))


def parse_definition(data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The checked definition in a file, or None and every problem found (JSON syntax first, then fields)."""
    if len(data) > MAX_DEFINITION_BYTES:
        return None, [(0, "", _("The file is larger than %(n)d MB.") % {"n": MAX_DEFINITION_BYTES // 1_000_000})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [(line, "", _("The file is not UTF-8 text."))]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [(exc.lineno, "", _("Not valid JSON at line %(line)d, column %(column)d: %(reason)s.")
                       % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg})]  # fmt: skip
    except RecursionError:  # lists or objects nested hundreds deep: no definition is
        return None, [(0, "", _("The file nests lists or objects too deeply."))]
    definition, problems = check_definition(document)
    return definition, locate(text, problems)


_SPACE = re.compile(r"[ \t\n\r]*")
_PARENT = re.compile(r"(\.[^.\[]*|\[-?\d+\])$")  # a path's last step: ``.code`` or ``[2]``
_LAST = re.compile(r"^([^\[]+)\[-1\]")  # ``consensus_rules[-1]``: the list's last entry


def _last_index(lines: dict[str, int], prefix: str) -> int:
    index = 0
    while f"{prefix}[{index + 1}]" in lines:
        index += 1
    return index


def field_lines(text: str) -> dict[str, int]:
    """The line each field path of a JSON document starts on (``areas[2].code`` → 14); the first of a
    repeated key. Empty for a text that is not one JSON document (its syntax error has a line already)."""
    newlines = [index for index, char in enumerate(text) if char == "\n"]
    lines: dict[str, int] = {}
    decoder = json.JSONDecoder()

    def skip(index: int) -> int:
        match = _SPACE.match(text, index)
        return match.end() if match else index

    def line(index: int) -> int:
        return bisect.bisect_right(newlines, index - 1) + 1

    def value(index: int, path: str) -> int:
        index = skip(index)
        lines.setdefault(path, line(index))
        opening = text[index]
        if opening not in "{[":
            return int(decoder.raw_decode(text, index)[1])
        closing, position, count = ("}" if opening == "{" else "]"), skip(index + 1), 0
        if text[position] == closing:
            return position + 1
        while True:
            if opening == "{":
                key, after = decoder.raw_decode(text, position)  # the key: a JSON string
                child = f"{path}.{key}" if path else key
                lines.setdefault(child, line(position))  # the key's line, where a person looks for the field
                position = value(skip(after) + 1, child)  # after the colon
            else:
                position = value(position, f"{path}[{count}]")
            count += 1
            position = skip(position)
            if text[position] == closing:
                return position + 1
            position = skip(position + 1)  # the comma

    try:
        value(skip(len("\ufeff") if text.startswith("\ufeff") else 0), "")
    except (ValueError, IndexError, RecursionError):
        return {}
    return lines


def locate(text: str, problems: list[Problem]) -> list[Problem]:
    """``problems`` with the line of their field in ``text``: the field's own line, or else the nearest
    enclosing object's (a missing field is reported where its object starts). Lines already known stay."""
    if not problems or all(line for line, _path, _message in problems):
        return problems
    lines = field_lines(text)
    located: list[Problem] = []
    for line, path, message in problems:
        step = _LAST.sub(lambda match: f"{match[1]}[{_last_index(lines, match[1])}]", path)  # a rule's [-1]
        while not line and step:
            line = lines.get(step, 0)
            parent = _PARENT.sub("", step)
            step = parent if parent != step else ""  # a top-level field has no parent but the file
        located.append((line, path, message))
    return located


def check_definition(document: Any) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A parsed document checked field by field: the values to create a study from, or every problem."""
    check = Checker()
    definition = _check_document(document, check)
    if check.problems:
        return None, check.problems
    return definition, []


def _check_document(document: Any, check: Checker) -> dict[str, Any]:
    top = check.mapping(document, "(file)")
    if top is None:
        return {}
    parts = definition_parts()
    check.unknown(top, "", {*IGNORED_TOP, "study", "areas", "criteria", "consensus_rules",
                            *(key for part in parts for key in part.keys)})  # fmt: skip
    if "format_version" in top and top["format_version"] != FORMAT_VERSION:
        check.add("format_version", _("Only format version %(n)d can be read.") % {"n": FORMAT_VERSION})
    if "study" not in top:
        check.add("study", _("This field is required."))
    study = _check_study(top.get("study", {}), check)
    areas = check_items(top.get("areas", []), "areas", check, _check_area)
    criteria = check_items(top.get("criteria", []), "criteria", check, _check_criterion)
    rules = top.get("consensus_rules", [])
    rule: dict[str, Any] | None = None
    if not isinstance(rules, list):
        check.add("consensus_rules", _("Expected a list."))
    elif rules:
        # The latest version is the one a new study starts from; it is checked in full when it is saved.
        last = len(rules) - 1
        rule = _check_rule(rules[last], f"consensus_rules[{last}]", check)
    return {"study": study, "areas": areas, "criteria": criteria, "rule": rule,
            "parts": {part.name: part.check(top, areas, check) for part in parts}}  # fmt: skip


def _check_study(value: Any, check: Checker) -> dict[str, Any]:
    found = check.mapping(value, "study")
    if found is None:
        return {}
    known = {*IGNORED_STUDY, *STUDY_TEXTS, *STUDY_CHOICES, *STUDY_INTEGERS, *STUDY_BOOLEANS, "languages",
             "default_language", "translations", "blocs", "sectors", "thresholds"}  # fmt: skip
    check.unknown(found, "study", known)
    clean: dict[str, Any] = {}
    for name, limit in STUDY_TEXTS.items():
        if name in found or name == "title":
            clean[name] = check.text(found.get(name), f"study.{name}", limit=limit, required=name == "title")
    for name, choices in STUDY_CHOICES.items():
        if name in found:
            clean[name] = check.choice(found[name], f"study.{name}", choices)
    for name, (low, high) in STUDY_INTEGERS.items():
        if name in found:
            clean[name] = check.integer(found[name], f"study.{name}", low=low, high=high)
    for name in STUDY_BOOLEANS:
        if name in found:
            clean[name] = check.boolean(found[name], f"study.{name}")
    languages = {code for code, _name in settings.LANGUAGES}
    if "languages" in found:
        clean["languages"] = check.names(found["languages"], "study.languages")
        for index, code in enumerate(clean["languages"]):
            if code not in languages:
                check.add(f"study.languages[{index}]", _("Unknown language; use one of: %(choices)s.")
                          % {"choices": ", ".join(sorted(languages))})  # fmt: skip
    if "default_language" in found:
        clean["default_language"] = check.choice(found["default_language"], "study.default_language", sorted(languages))
    for name in ("blocs", "sectors"):
        if name in found:
            clean[name] = check.names(found[name], f"study.{name}")
    if "translations" in found:
        clean["translations"] = check.translations(found["translations"], "study.translations", None)
    if "thresholds" in found and (thresholds := check.mapping(found["thresholds"], "study.thresholds")) is not None:
        check.unknown(thresholds, "study.thresholds", set(THRESHOLDS))
        for key, name in THRESHOLDS.items():
            if key in thresholds:
                number = check.number(thresholds[key], f"study.thresholds.{key}")
                if number is not None and not Decimal(0) <= number <= Decimal("99.9"):
                    check.add(f"study.thresholds.{key}", _("Use a number from 0 to 99.9."))
                elif number is not None:
                    clean[name] = number
    return {name: value for name, value in clean.items() if value is not None}


def check_items(value: Any, part: str, check: Checker, one: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        check.add(part, _("Expected a list."))
        return []
    if len(value) > MAX_ITEMS:
        check.add(part, _("At most %(n)d items.") % {"n": MAX_ITEMS})
        return []
    items = [one(item, f"{part}[{index}]", check) for index, item in enumerate(value)]
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        code = str(item.get("code", "")).casefold()
        if code and code in seen:
            check.add(f"{part}[{index}].code", _("The code is also used by %(part)s[%(index)d].")
                      % {"part": part, "index": seen[code]})  # fmt: skip
        seen.setdefault(code, index)
    return items


def _check_area(value: Any, path: str, check: Checker) -> dict[str, Any]:
    found = check.mapping(value, path)
    if found is None:
        return {}
    check.unknown(found, path, AREA_KEYS)
    item: dict[str, Any] = {
        "code": check.text(found.get("code"), f"{path}.code", limit=40, required=True),
        "title": check.text(found.get("title"), f"{path}.title", limit=200, required=True),
        "description": check.text(found.get("description"), f"{path}.description", limit=4000),
        "translations": check.translations(found.get("translations"), f"{path}.translations", {"title", "description"}),
    }
    if "order" in found:
        item["order"] = check.integer(found["order"], f"{path}.order", low=0, high=2_147_483_647)
    if "active" in found:
        item["is_active"] = check.boolean(found["active"], f"{path}.active")
    return {name: value for name, value in item.items() if value is not None}


def _check_criterion(value: Any, path: str, check: Checker) -> dict[str, Any]:
    found = check.mapping(value, path)
    if found is None:
        return {}
    check.unknown(found, path, CRITERION_KEYS)
    keys = {"title", "description", "label_min", "label_max"}
    item: dict[str, Any] = {
        "code": check.text(found.get("code"), f"{path}.code", limit=20, required=True),
        "kind": check.choice(found.get("kind"), f"{path}.kind", Criterion.Kind.values),
        "title": check.text(found.get("title"), f"{path}.title", limit=200, required=True),
        "description": check.text(found.get("description"), f"{path}.description", limit=4000),
        "label_min": check.text(found.get("label_min"), f"{path}.label_min", limit=200),
        "label_max": check.text(found.get("label_max"), f"{path}.label_max", limit=200),
        "translations": check.translations(found.get("translations"), f"{path}.translations", keys),
    }
    for name, default in (("scale_min", 1), ("scale_max", 9)):
        item[name] = check.integer(found.get(name, default), f"{path}.{name}", low=0, high=100)
    if item["scale_min"] is not None and item["scale_max"] is not None and item["scale_max"] <= item["scale_min"]:
        check.add(f"{path}.scale_max", _("The scale's top must be above its bottom."))
    if "allow_cannot_judge" in found:
        item["allow_cannot_judge"] = check.boolean(found["allow_cannot_judge"], f"{path}.allow_cannot_judge")
    if "active" in found:
        item["is_active"] = check.boolean(found["active"], f"{path}.active")
    if "order" in found:
        item["order"] = check.integer(found["order"], f"{path}.order", low=0, high=2_147_483_647)
    return {name: value for name, value in item.items() if value is not None}


def _check_rule(value: Any, path: str, check: Checker) -> dict[str, Any] | None:
    found = check.mapping(value, path)
    if found is None:
        return None
    check.unknown(found, path, RULE_KEYS)
    rule: dict[str, Any] = {}
    for name in RULE_DECIMALS:
        if name in found:
            rule[name] = check.number(found[name], f"{path}.{name}")
    if "band" in found:
        rule["band"] = check.text(found["band"], f"{path}.band", limit=10)
    if "require_rand_agreement" in found:
        name = "require_rand_agreement"
        rule[name] = check.boolean(found[name], f"{path}.{name}")
    for name in ("parts_by_kind", "parts_by_criterion"):
        if found.get(name) is not None:
            rule[name] = check.mapping(found[name], f"{path}.{name}")
    if "inclusion" in found:
        rule["inclusion"] = check.text(found["inclusion"], f"{path}.inclusion", limit=10)
    return rule
