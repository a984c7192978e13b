"""EXCALIBUR case files: ``.dtt`` (assessments) and ``.rls`` (realizations), read and written as text.

EXCALIBUR (Cooke & Solomatine 1992, *EXCALIBUR: Integrated System for Processing Expert Judgements*, Delft
University of Technology) and ANDURYL (Leontaris & Morales-Napoles 2018, SoftwareX 7:313; Rongen et al.
2020, SoftwareX 12:100497) exchange cases in these two fixed-column text files; the TU Delft expert
judgement data base (Cooke & Goossens 2008, Reliab. Eng. Syst. Saf. 93:657) is published in them.

``.dtt``: a header ``* CLASS ASCII OUTPUT FILE. NQ=   3   QU=   5  50  95`` (the number of quantiles and
their levels in percent), then one line per expert and item::

        1       01    1  log reduction UNI  1.00000E+0000  3.00000E+0000  5.00000E+0000

expert number (columns 1-5), expert id (6-14, at most 8 characters), item number (15-20), item id (at most
14 characters), background scale ``uni`` or ``log`` (any case), then the quantile values.

``.rls``: one line per item: item number, item id, realization, scale, and optionally a free text (the
question or its unit) after the scale::

        1  log reduction  4.90000E+0000 UNI

A value between -1000 and -990 means "none": an unanswered question in ``.dtt`` (written as -999.5), a
target item without realization in ``.rls``. Values are written like EXCALIBUR's own files, to six
significant digits (``1.00000E+0000``), so a value with more digits is rounded on export. These functions
take and return ``str``; :func:`decode_case_file` decodes a file's bytes (UTF-8, else Windows-1252, the
encoding of the published files).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ._inputs import FloatArray
from .cooke import Background

MISSING = -999.5
MAX_EXPERT_ID = 8
MAX_ITEM_ID = 14
_SCALES: dict[str, Background] = {"uni": "uniform", "log": "log"}
_HEADER = re.compile(r"NQ=\s*(\d+)\s+QU=\s*([\d.\s]+)$", re.IGNORECASE)
# The scale code: in a .dtt between the item id and the first value, in a .rls right after the realization.
_DTT_SCALE = re.compile(r"\s(uni|log)\s+[-+]?[\d.]", re.IGNORECASE)
_RLS_SCALE = re.compile(r"\d\s+(uni|log)(?=\s|$)", re.IGNORECASE)


@dataclass(frozen=True)
class ExcaliburCase:
    """One case: experts' quantiles per item, the realizations (NaN for targets) and each item's scale."""

    quantiles: list[float]  # levels in (0, 1)
    experts: list[str]
    items: list[str]
    background: list[Background]  # "uniform" or "log" per item
    assessments: FloatArray  # experts x items x quantiles, NaN = not answered
    realizations: FloatArray  # items, NaN = target item
    questions: list[str]  # per item, free text of the .rls ("" when none)


class ExcaliburFormatError(ValueError):
    """A case file that cannot be read; the message names the file and line, the attributes also the column.

    ``line`` and ``column`` count from 1; 0 means the whole file (or the whole line)."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.file, self.line, self.column = file, line, column


def decode_case_file(data: bytes) -> str:
    """A case file's text: UTF-8 when it is valid UTF-8, else Windows-1252 (EXCALIBUR's own files)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_excalibur(dtt: str, rls: str) -> ExcaliburCase:
    """Parse a ``.dtt`` and its ``.rls`` into a case (formats in the module docstring).

    Items are matched by number; an item the ``.rls`` leaves out is a target. The scale is the ``.dtt``'s.
    Raises :class:`ExcaliburFormatError` naming the file and line of what it cannot read.
    """
    quantiles, experts, items, background, assessments = _read_dtt(dtt)
    realizations = np.full(len(items), np.nan)
    questions = [""] * len(items)
    for line_number, number, item, value, question in _read_rls(rls):
        if not 1 <= number <= len(items):
            raise ExcaliburFormatError(
                f".rls line {line_number}: item {number} is not in the .dtt", file=".rls", line=line_number, column=1
            )
        if item != items[number - 1]:
            raise ExcaliburFormatError(
                f".rls line {line_number}: item {number} is {item!r} but {items[number - 1]!r} in the .dtt",
                file=".rls",
                line=line_number,
                column=1,
            )
        realizations[number - 1] = value
        questions[number - 1] = question
    return ExcaliburCase(quantiles, experts, items, background, assessments, realizations, questions)


def write_dtt(case: ExcaliburCase) -> str:
    """The case's assessments as ``.dtt`` text (EXCALIBUR's layout; NaN written as -999.5)."""
    _check_writable(case)
    levels = "  ".join(f"{round(100 * level):2d}" for level in case.quantiles)
    lines = [f"* CLASS ASCII OUTPUT FILE. NQ= {len(case.quantiles):3d}   QU=  {levels}"]
    for expert_number, expert in enumerate(case.experts, start=1):
        for item_number, item in enumerate(case.items, start=1):
            values = " ".join(_number(value) for value in case.assessments[expert_number - 1, item_number - 1])
            scale = _scale_code(case.background[item_number - 1])
            lines.append(f"{expert_number:5d} {expert:>8s} {item_number:4d} {item:>14s} {scale} {values} ")
    return "\n".join(lines) + "\n"


def write_rls(case: ExcaliburCase) -> str:
    """The case's realizations as ``.rls`` text, every item listed (targets written as -999.5)."""
    _check_writable(case)
    lines = []
    for number, item in enumerate(case.items, start=1):
        value = _number(case.realizations[number - 1])
        scale = _scale_code(case.background[number - 1])
        lines.append(f"{number:5d} {item:>14s} {value} {scale} {case.questions[number - 1]}".rstrip() + " ")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """EXCALIBUR's number format: sign or space, 6 significant digits, a signed 4-digit exponent."""
    if np.isnan(value):
        value = MISSING
    mantissa, exponent = f"{value:.5E}".split("E")
    return f"{'' if value < 0 else ' '}{mantissa}E{int(exponent):+05d}"


def _scale_code(background: str) -> str:
    return "log" if background == "log" else "uni"


def _check_writable(case: ExcaliburCase) -> None:
    for expert in case.experts:
        if not expert.strip() or len(expert) > MAX_EXPERT_ID or "\n" in expert:
            raise ValueError(f"expert id {expert!r} must be 1-{MAX_EXPERT_ID} characters on one line")
    for item in case.items:
        if not item.strip() or len(item) > MAX_ITEM_ID or "\n" in item:
            raise ValueError(f"item id {item!r} must be 1-{MAX_ITEM_ID} characters on one line")
    shape = (len(case.experts), len(case.items), len(case.quantiles))
    if case.assessments.shape != shape:
        raise ValueError(f"assessments must be experts x items x quantiles {shape}, got {case.assessments.shape}")
    if len(case.realizations) != len(case.items) or len(case.background) != len(case.items):
        raise ValueError("realizations and background must have one entry per item")
    if any(not float(100 * level).is_integer() or not 0 < level < 1 for level in case.quantiles):
        raise ValueError(f"EXCALIBUR files take whole-percent quantile levels, got {case.quantiles}")
    values = np.concatenate([case.assessments.ravel(), np.asarray(case.realizations, dtype=np.float64)])
    if ((values >= -1000) & (values <= -990)).any():
        raise ValueError("values between -1000 and -990 mean 'none' in EXCALIBUR files and cannot be written")


def _missing_to_nan(values: FloatArray) -> FloatArray:
    return np.where((values >= -1000) & (values <= -990), np.nan, values)


def _scale_columns(lines: list[tuple[int, str]], pattern: re.Pattern[str], start: int, name: str) -> list[int]:
    """Where each line's scale code starts. An id or a free text may hold a look-alike ('type 2 log'), so a
    line with several candidates takes the column most lines have theirs at."""
    found = [[match.start(1) for match in pattern.finditer(line, start)] for _, line in lines]
    usual = Counter(column for columns in found for column in columns).most_common(1)
    for (line_number, _), columns in zip(lines, found, strict=True):
        if not columns:
            message = f"{name} line {line_number}: no scale ('uni' or 'log') after the item id"
            raise ExcaliburFormatError(message, file=name, line=line_number)
    return [usual[0][0] if usual[0][0] in columns else columns[0] for columns in found]


def _read_dtt(text: str) -> tuple[list[float], list[str], list[str], list[Background], FloatArray]:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ExcaliburFormatError(".dtt: the file is empty", file=".dtt")
    header = _HEADER.search(lines[0][1].strip())
    if not header:
        message = ".dtt line 1: expected '* CLASS ASCII OUTPUT FILE. NQ= <n> QU= <percents>'"
        raise ExcaliburFormatError(message, file=".dtt", line=lines[0][0], column=1)
    percents = [float(token) for token in header.group(2).split()]
    if len(percents) != int(header.group(1)):
        message = f".dtt line 1: NQ= {header.group(1)} but {len(percents)} quantile levels"
        raise ExcaliburFormatError(message, file=".dtt", line=lines[0][0], column=lines[0][1].find("NQ=") + 1)
    body = lines[1:]
    experts: dict[int, str] = {}
    items: dict[int, tuple[str, Background]] = {}
    answers: dict[tuple[int, int], list[float]] = {}
    for (line_number, line), column in zip(body, _scale_columns(body, _DTT_SCALE, 19, ".dtt"), strict=True):
        place = 1
        try:
            expert_number = int(line[:5])
            place = 15
            item_number = int(line[14:20])
            place = column + 4
            values = [float(token) for token in line[column + 3 :].split()[: len(percents)]]
        except ValueError as error:
            message = f".dtt line {line_number}: {error}"
            raise ExcaliburFormatError(message, file=".dtt", line=line_number, column=place) from error
        scale = line[column : column + 3].lower()
        if scale not in _SCALES or len(values) != len(percents):
            message = f".dtt line {line_number}: expected a scale and {len(percents)} values"
            raise ExcaliburFormatError(message, file=".dtt", line=line_number, column=column + 1)
        expert, item = line[5:14].strip(), line[20:column].strip()
        if experts.setdefault(expert_number, expert) != expert:
            raise ExcaliburFormatError(
                f".dtt line {line_number}: expert {expert_number} is also {experts[expert_number]!r}",
                file=".dtt",
                line=line_number,
                column=6,
            )
        if items.setdefault(item_number, (item, _SCALES[scale]))[0] != item:
            message = f".dtt line {line_number}: item {item_number} is also {items[item_number][0]!r}"
            raise ExcaliburFormatError(message, file=".dtt", line=line_number, column=21)
        answers[(expert_number, item_number)] = values
    if sorted(experts) != list(range(1, len(experts) + 1)) or sorted(items) != list(range(1, len(items) + 1)):
        raise ExcaliburFormatError(".dtt: experts and items must be numbered 1, 2, ... without gaps", file=".dtt")
    assessments = np.full((len(experts), len(items), len(percents)), np.nan)
    for (expert_number, item_number), values in answers.items():
        assessments[expert_number - 1, item_number - 1] = values
    quantiles = [percent / 100 for percent in percents]
    ordered_items = [items[number] for number in sorted(items)]
    return (
        quantiles,
        [experts[number] for number in sorted(experts)],
        [item for item, _ in ordered_items],
        [scale for _, scale in ordered_items],
        _missing_to_nan(assessments),
    )


def _read_rls(text: str) -> list[tuple[int, int, str, float, str]]:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ExcaliburFormatError(".rls: the file is empty", file=".rls")
    rows = []
    for (line_number, line), column in zip(lines, _scale_columns(lines, _RLS_SCALE, 5, ".rls"), strict=True):
        before = line[:column].rstrip()
        head, _, value_text = before.rpartition(" ")
        number_text, _, item = head.strip().partition(" ")
        try:
            number, value = int(number_text), float(value_text)
        except ValueError as error:
            place = len(before) - len(value_text) + 1 if number_text.strip().isdigit() else line.find(number_text) + 1
            message = f".rls line {line_number}: {error}"
            raise ExcaliburFormatError(message, file=".rls", line=line_number, column=place) from error
        value = float(_missing_to_nan(np.array([value]))[0])
        rows.append((line_number, number, item.strip(), value, line[column + 3 :].strip()))
    return rows
