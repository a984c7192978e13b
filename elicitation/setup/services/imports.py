"""CSV imports of the panel and of areas and criteria: all or nothing, every problem reported.

A problem is (line, column, message): the line of the file (the header is line 1; 1 or more,
always) and the column's header name ("" when the problem is the whole row or file).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ImportFailed, InvalidInput
from elicitation.models import Area, Criterion, Expert, Study
from elicitation.models.panel import email_key
from elicitation.setup.services import items, panel

MAX_IMPORT_BYTES = 1_000_000
MAX_EXPERT_ROWS = 2_000
MAX_ITEM_ROWS = 200
MAX_CELL_CHARS = 4_000
MAX_PROBLEMS = 200  # report this many; a file with more is probably the wrong file
# The widest header a real file has: the panel's fixed columns plus one expertise column per area,
# or the items' columns plus their translations. A wider one is refused before any column is checked.
MAX_COLUMNS = 300
EXPERT_COLUMNS = ("email", "name", "bloc", "sector", "language")
EXPERT_OPTIONAL = ("time_zone",)
EXPERTISE_PREFIX = "expertise_"
ITEM_COLUMNS = ("type", "code", "title")
ITEM_OPTIONAL = (
    "description",
    "order",
    "kind",
    "scale_min",
    "scale_max",
    "label_min",
    "label_max",
    "cannot_judge",
    "active",
)
DELIMITERS = (",", ";", "\t")
TRUE_WORDS = {"1", "yes", "true", "y"}
FALSE_WORDS = {"0", "no", "false", "n", ""}

Problem = tuple[int, str, str]


@dataclass
class CsvTable:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line, {column: cell})
    problems: list[Problem] = dataclasses.field(default_factory=list)  # of the header and of rows left out of ``rows``


def decode_csv(data: bytes) -> str:
    """The file's text: UTF-8 with or without a byte-order mark; anything else refused clearly."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFailed(
            _("The file is too large."),
            # Line 1: every problem names a line, even one about the whole file.
            problems=[(1, "", _("The file is larger than %(n)d bytes; split it.") % {"n": MAX_IMPORT_BYTES})],
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFailed(
            _("The file is not UTF-8."),
            problems=[(1, "", _("The file is UTF-16; save it as “CSV UTF-8” and upload it again."))],
        )
    if (at := data.find(b"\x00")) >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise ImportFailed(
            _("The file contains NUL bytes."),
            problems=[(line, "", _("This line contains a NUL byte: this is not a text CSV file."))],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFailed(
            _("The file is not UTF-8."),
            problems=[
                (
                    line,
                    "",
                    _("This line is not valid UTF-8 (perhaps Windows-1252 or GBK); save the file as “CSV UTF-8”."),
                )
            ],
        ) from None
    if not text.strip():
        raise ImportFailed(_("The file is empty."), problems=[(1, "", _("The file is empty."))])
    return text


def guess_delimiter(text: str) -> str:
    """Comma, or the semicolon or tab that spreadsheets in many locales use, judged by the header line."""
    first = text.split("\n", 1)[0]
    counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def read_csv(data: bytes, *, required: tuple[str, ...], allowed: Callable[[str], bool], max_rows: int) -> CsvTable:
    """Parse a CSV upload into rows keyed by lower-case header names; raise ImportFailed with every problem."""
    table = read_csv_rows(data, required=required, allowed=allowed, max_rows=max_rows)
    if table.problems:
        raise ImportFailed(_("Nothing was imported."), problems=table.problems[:MAX_PROBLEMS])
    return table


def read_csv_rows(data: bytes, *, required: tuple[str, ...], allowed: Callable[[str], bool], max_rows: int) -> CsvTable:
    """The readable rows of a CSV upload, with the problems of the header and of every other row.

    An importer checks the readable rows too and reports all problems at once: one ragged row must
    not hide the rest. Raises ImportFailed only when no row can be read against the header (a file
    that is not text CSV, an unreadable or too wide header, a missing required column).
    """
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=guess_delimiter(text), strict=True)
    problems: list[Problem] = []
    try:
        header = [name.strip().casefold() for name in next(reader)]
    except (csv.Error, StopIteration) as exc:
        raise ImportFailed(_("The header cannot be read."), problems=[(1, "", str(exc))]) from None
    while header and not header[-1]:  # spreadsheets often save empty trailing columns
        header.pop()
    if len(header) > MAX_COLUMNS:
        message = _("The header has %(got)d columns; at most %(n)d.") % {"got": len(header), "n": MAX_COLUMNS}
        raise ImportFailed(_("Nothing was imported."), problems=[(1, "", message)])
    seen: set[str] = set()  # one pass: the header is checked in time linear in its width
    kept: list[int] = []  # the columns rows are read from: named, known, first of their name
    for index, name in enumerate(header):
        if not name:
            problems.append((1, f"#{index + 1}", _("This column has no name.")))
        elif name in seen:
            problems.append((1, name, _("This column appears twice.")))
        elif name not in required and not allowed(name):
            problems.append((1, name, _("Unknown column.")))
        else:
            kept.append(index)
        seen.add(name)
    missing = [(1, name, _("This column is missing.")) for name in required if name not in seen]
    if missing:
        raise ImportFailed(_("Nothing was imported."), problems=(problems + missing)[:MAX_PROBLEMS])
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((reader.line_num, "", _("This line cannot be read as CSV: %(e)s") % {"e": exc}))
            line = reader.line_num
            continue  # the reader starts afresh on the next line
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= max_rows:
            problems.append((start, "", _("Too many rows: at most %(n)d.") % {"n": max_rows}))
            break
        while len(cells) > len(header) and not cells[-1].strip():
            cells.pop()
        if len(cells) != len(header):
            problems.append(
                (
                    start,
                    "",
                    _("This row has %(got)d fields; the header has %(want)d.")
                    % {"got": len(cells), "want": len(header)},
                )
            )
            continue
        row = {header[index]: cells[index] for index in kept}
        long = [name for name, cell in row.items() if len(cell) > MAX_CELL_CHARS]
        problems += [(start, name, _("At most %(n)d characters.") % {"n": MAX_CELL_CHARS}) for name in long]
        rows.append((start, row))
    if not rows and not problems:
        raise ImportFailed(_("Nothing was imported."), problems=[(2, "", _("The file has a header but no rows."))])
    return CsvTable(header=header, rows=rows, problems=problems)


def _field_problems(line: int, errors: dict[str, list[str]], column_of: Callable[[str], str]) -> list[Problem]:
    return [(line, column_of(field), message) for field, messages in errors.items() for message in messages]


# Experts --------------------------------------------------------------------------------------


@transaction.atomic
def experts_import(*, study: Study, user: User | None, data: bytes) -> list[Expert]:
    """Add every expert in the CSV, or none: columns email, name, bloc, sector, language, expertise_<area>."""
    study = panel.lock_study(study)
    area_codes = {code.casefold(): code for code in study.areas.values_list("code", flat=True)}

    def allowed(name: str) -> bool:
        if name.startswith(EXPERTISE_PREFIX):
            return name.removeprefix(EXPERTISE_PREFIX) in area_codes
        return name in EXPERT_OPTIONAL

    table = read_csv_rows(data, required=EXPERT_COLUMNS, allowed=allowed, max_rows=MAX_EXPERT_ROWS)
    existing = set(study.experts.values_list("email_key", flat=True))
    seen: dict[str, int] = {}
    problems: list[Problem] = list(table.problems)
    clean_rows: list[dict[str, Any]] = []
    for line, row in table.rows:
        raw: dict[str, Any] = {name: row.get(name, "") for name in (*EXPERT_COLUMNS, *EXPERT_OPTIONAL)}
        raw["expertise"] = {
            area_codes[name.removeprefix(EXPERTISE_PREFIX)]: cell
            for name, cell in row.items()
            if name.startswith(EXPERTISE_PREFIX)
        }
        values, errors = panel.clean_expert(study, raw)
        problems += _field_problems(line, errors, lambda field: field.casefold())
        if "email" not in errors:
            key = email_key(values["email"])
            if key in existing:
                problems.append((line, "email", _("This email address is already in the panel.")))
            elif key in seen:
                problems.append((line, "email", _("This email address is also on line %(n)d.") % {"n": seen[key]}))
            else:
                seen[key] = line
        clean_rows.append(values)
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise ImportFailed(_("Nothing was imported."), problems=problems[:MAX_PROBLEMS])
    first = panel.next_expert_number(study)
    experts = [
        Expert(study=study, number=first + i, email_key=email_key(v["email"]), **v) for i, v in enumerate(clean_rows)
    ]
    Expert.objects.bulk_create(experts)
    audit(action="panel.imported", study=study, user=user, target=str(study.uuid), count=len(experts))
    return experts


# Areas and criteria ---------------------------------------------------------------------------


def _translation_columns() -> list[tuple[str, str, str]]:
    """(column, language, key) for title_<lang>, description_<lang>, label_min_<lang>, label_max_<lang>."""
    from django.conf import settings

    return [(f"{key}_{code}", code, key) for code, _name in settings.LANGUAGES for key in sorted(items.TRANSLATED_KEYS)]


def _flag(cell: str, default: bool) -> bool | None:
    word = cell.strip().casefold()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _int_or_none(cell: str, default: int | None) -> int | str | None:
    cell = cell.strip()
    if not cell:
        return default
    try:
        return int(cell)
    except ValueError:
        return "bad"


def _item_values(
    row: dict[str, str], translation_columns: list[tuple[str, str, str]]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    translations: dict[str, dict[str, str]] = {}
    for column, language, key in translation_columns:
        if row.get(column, "").strip():
            translations.setdefault(language, {})[key] = row[column]
    values: dict[str, Any] = {
        "code": row["code"].strip(),
        "title": row["title"].strip(),
        "description": row.get("description", "").strip(),
        "translations": translations,
    }
    for name, default in (("order", None), ("scale_min", 1), ("scale_max", 9)):
        number = _int_or_none(row.get(name, ""), default)
        if number == "bad":
            errors[name] = [_("Enter a whole number.")]
        values[name] = number
    for name, field, default in (("active", "is_active", True), ("cannot_judge", "allow_cannot_judge", True)):
        flag = _flag(row.get(name, ""), default)
        if flag is None:
            errors[name] = [_("Use yes or no.")]
        values[field] = flag
    values["kind"] = row.get("kind", "").strip().casefold()
    values["label_min"] = row.get("label_min", "").strip()
    values["label_max"] = row.get("label_max", "").strip()
    return values, errors


@transaction.atomic
def items_import(*, study: Study, user: User | None, data: bytes) -> tuple[list[Area], list[Criterion]]:
    """Add every area and criterion in the CSV, or none. Column ``type`` is ``area`` or ``criterion``."""
    study = panel.lock_study(study)
    translation_columns = _translation_columns()
    optional = set(ITEM_OPTIONAL) | {column for column, _l, _k in translation_columns}
    table = read_csv_rows(data, required=ITEM_COLUMNS, allowed=optional.__contains__, max_rows=MAX_ITEM_ROWS)
    problems: list[Problem] = list(table.problems)
    plan: list[tuple[int, str, dict[str, Any]]] = []
    codes_in_file: dict[tuple[str, str], int] = {}
    for line, row in table.rows:
        kind = row["type"].strip().casefold()
        values, errors = _item_values(row, translation_columns)
        if kind not in {"area", "criterion"}:
            problems.append((line, "type", _("Use “area” or “criterion”.")))
            continue
        if kind == "area":
            values = {name: values[name] for name in items.AREA_FIELDS}
            values["translations"] = {
                language: {key: text for key, text in texts.items() if key in {"title", "description"}}
                for language, texts in values["translations"].items()
            }
        elif values["kind"] not in Criterion.Kind.values:
            errors.setdefault("kind", []).append(_("Use “benefit”, “risk” or “mitigability”."))
        code_key = (kind, values["code"].casefold())
        if code_key in codes_in_file:
            errors.setdefault("code", []).append(_("This code is also on line %(n)d.") % {"n": codes_in_file[code_key]})
        codes_in_file.setdefault(code_key, line)
        problems += _field_problems(line, errors, _column_name)
        if not errors:
            plan.append((line, kind, values))
    areas: list[Area] = []
    criteria: list[Criterion] = []
    for line, kind, values in plan:
        try:
            # A savepoint per row, so the services' checks run on every row and report every problem;
            # raising below rolls the whole import back.
            with transaction.atomic():
                if kind == "area":
                    areas.append(items.area_create(study=study, user=user, **values))
                else:
                    criteria.append(items.criterion_create(study=study, user=user, **values))
        except InvalidInput as exc:
            problems += _field_problems(line, exc.field_errors, _column_name)
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise ImportFailed(_("Nothing was imported."), problems=problems[:MAX_PROBLEMS])
    audit(action="items.imported", study=study, user=user, areas=len(areas), criteria=len(criteria))
    return areas, criteria


def _column_name(field: str) -> str:
    return {"is_active": "active", "allow_cannot_judge": "cannot_judge"}.get(field, field)
