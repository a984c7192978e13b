"""The column reference of docs/exports.md, written from the tables themselves so it cannot drift.

Every table of every export (standard anonymity; strict anonymity only drops columns) with each column's
type, unit and meaning. The unit is the codebook description's "(unit: ...)" where it has one, else
:data:`UNITS` by column name; text, flags and days are "-". ``manage.py columns_doc`` rewrites the
section between the markers; ``tests/exports/test_columns_doc.py`` fails when it is out of date.
"""

from __future__ import annotations

import re
from pathlib import Path

from elicitation.models import Study
from exports.table_types import Column, Scope
from exports.tables import TABLE_NAMES, Table, build_table

BEGIN = "<!-- columns:begin (written by manage.py columns_doc) -->"
END = "<!-- columns:end -->"
UNIT_IN_TEXT = re.compile(r"\s*\(unit: ([^)]*(?:\([^)]*\)[^)]*)*)\)")
# Units of the numeric columns whose codebook description does not state one.
UNITS = {
    "round": "round number, from 1",
    "previous_round": "round number, from 1",
    "first_round": "round number, from 1",
    "value": "scale points (scale_min to scale_max of the criterion)",
    "confidence": "points, 1 (low) to 5 (high)",
    "experts": "count of experts",
    "rule_version": "version number, from 1",
    "during_round": "round number, from 1",
    "after_round": "round number, from 1",
    "plan_version": "version number, from 1",
    "version": "version number, from 1",
    "rank": "rank, 1 = the largest divide",
    "kruskal_h": "H statistic (chi-squared scale)",
    "mann_whitney_u": "U statistic (count of pairs)",
    "order": "position, from 0",
    "scale_min": "scale points",
    "scale_max": "scale points",
    "sequence": "position, from 1",
}


def unit_of(column: Column) -> str:
    found = UNIT_IN_TEXT.search(column.description)
    if found:
        return found.group(1)
    if column.type in {"int", "float"}:
        return UNITS[column.name]  # a KeyError here is a numeric column without a unit: give it one
    return {"date": "day (UTC)"}.get(column.type, "-")


def reference_tables() -> list[Table]:
    scope = Scope(study=Study(pk=0, title=""), round_ids=())  # columns only: nothing is read
    return [build_table(name, scope) for name in TABLE_NAMES]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def column_reference() -> str:
    lines = [BEGIN]
    for table in reference_tables():
        lines += ["", f"#### `{table.name}`: {_cell(table.title)}", "", _cell(table.description), ""]
        lines += ["| column | type | unit | meaning | codes |", "|---|---|---|---|---|"]
        for column in table.columns:
            meaning = UNIT_IN_TEXT.sub("", column.description)
            cells = [f"`{column.name}`", column.type, unit_of(column), meaning, column.codes]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", END]
    return "\n".join(lines)


def rewrite(path: Path) -> bool:
    """Put the current reference between the markers of ``path``; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    updated = text[:start] + column_reference() + text[end:]
    if updated == text:
        return False
    path.write_text(updated, encoding="utf-8")
    return True
