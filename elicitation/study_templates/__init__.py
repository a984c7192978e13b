"""Study templates shipped with the app as JSON data files, one per template.

A template gives a study its question, introduction, information sheet (``consent_text``),
blocs, sectors, languages, areas, criteria and a first consensus rule. Texts are English
with Simplified Chinese in ``translations``: for areas and criteria in the shape of
``LocalizedText.translations`` (criteria also translate ``label_min`` and ``label_max``);
at the top level the template's own title and description plus the study's texts
(``question``, ``introduction``, ``consent_text``, …) and group names as ``"bloc:<name>"``
and ``"sector:<name>"``, the shape of ``Study.translations``.
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


@cache
def available_templates() -> dict[str, StudyTemplate]:
    """Every template file in this package, by key, in file-name order."""
    found: dict[str, StudyTemplate] = {}
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        key = data["key"]
        if key != path.stem:
            raise ValueError(f"template {path.name} declares key {key!r}; the key must match the file name")
        found[key] = StudyTemplate(key=key, title=data["title"], description=data.get("description", ""), data=data)
    return found


def get_template(key: str) -> StudyTemplate | None:
    return available_templates().get(key)
