"""Study templates shipped with the app as JSON data files, one per template.

A template gives a study its question, introduction, information sheet (``consent_text``),
blocs, sectors, languages, areas, criteria and a first consensus rule. Texts are English
with Simplified Chinese in ``translations``: for areas and criteria in the shape of
``LocalizedText.translations`` (criteria also translate ``label_min`` and ``label_max``);
at the top level the template's own title and description plus the study's texts
(``question``, ``introduction``, ``consent_text``, …) and group names as ``"bloc:<name>"``
and ``"sector:<name>"``, the shape of ``Study.translations``. docs/study-setup.md says
how each template follows its source paper and which items are the project's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class StudyTemplate:
    key: str
    title: str
    description: str
    data: dict[str, Any]

    def localized(self, language: str | None) -> dict[str, str]:
        text = self.data.get("translations", {}).get(language or "", {})
        return {"title": text.get("title") or self.title, "description": text.get("description") or self.description}


def load_template(path: Path) -> StudyTemplate:
    """One template file, refused loudly when a study built from it would be broken."""
    data = json.loads(path.read_text(encoding="utf-8"))
    key = data["key"]
    if key != path.stem:
        raise ValueError(f"template {path.name} declares key {key!r}; the key must match the file name")
    if problems := _structure_problems(data):
        raise ValueError(f"template {path.name}: " + "; ".join(problems))
    return StudyTemplate(key=key, title=data["title"], description=data.get("description", ""), data=data)


def _structure_problems(data: dict[str, Any]) -> list[str]:
    # Imported here: the template files are read while Django's apps may still be loading.
    from elicitation.models import Criterion

    problems: list[str] = []
    for part in ("areas", "criteria"):
        codes = [item.get("code", "") for item in data.get(part, [])]
        if duplicated := sorted({code for code in codes if codes.count(code) > 1}):
            problems.append(f"{part} codes used twice: {', '.join(duplicated)}")
        if any(not code or not item.get("title") for code, item in zip(codes, data.get(part, []), strict=True)):
            problems.append(f"every item of {part} needs a code and a title")
    for criterion in data.get("criteria", []):
        if criterion.get("kind") not in Criterion.Kind.values:
            problems.append(f"criterion {criterion.get('code')!r} has unknown kind {criterion.get('kind')!r}")
    return problems


@cache
def available_templates() -> dict[str, StudyTemplate]:
    """Every template file in this package, by key, in file-name order."""
    found: dict[str, StudyTemplate] = {}
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        template = load_template(path)
        found[template.key] = template
    return found


def get_template(key: str) -> StudyTemplate | None:
    return available_templates().get(key)
