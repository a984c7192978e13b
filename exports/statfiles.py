"""Stata (.dta) and SPSS (.sav) files of one table, with variable and value labels from the codebook.

Each column's codebook description becomes its variable label (cut to Stata's 80 and SPSS's 256
characters). Value labels: a bool column is 0/1 labelled False/True; a coded text column (area and
criterion codes, groups, blocs, sectors, classes, steps, statuses) is stored as integers 1, 2, …
labelled with its codes in order of first appearance, as Stata's ``encode`` would; empty text is a
missing value. Dates are Stata ``%td`` dates and SPSS DATE variables. Other text stays text (Stata
strL beyond 2,045 characters). Both formats hold the whole table in memory while the file is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from exports.table_types import Table

CODED = {
    "area",
    "criterion",
    "group",
    "bloc",
    "sector",
    "rand_class",
    "quantile_method",
    "status",
    "step",
    "grouping",
    "kind",
    "actor",
    "action",
}
BOOL_LABELS = {0: "False", 1: "True"}
STATA_LABEL_CHARS = 80
SPSS_LABEL_CHARS = 256
STATA_STR_MAX = 2045


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def labelled_frame(table: Table) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[int, str]]]:
    """The table as a frame of Stata/SPSS-ready columns, its variable labels and its value labels."""
    names = table.column_names
    raw = pd.DataFrame.from_records(list(table.rows()), columns=names)
    frame = pd.DataFrame(index=raw.index)
    value_labels: dict[str, dict[int, str]] = {}
    for column in table.columns:
        values = raw[column.name]
        if column.type == "bool":
            frame[column.name] = values.map({True: 1.0, False: 0.0}).astype("float64")
            value_labels[column.name] = dict(BOOL_LABELS)
        elif column.type in {"int", "float"}:
            frame[column.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif column.type == "date":
            frame[column.name] = pd.to_datetime(values, errors="coerce")
        elif column.name in CODED:
            text = values.fillna("").astype(str)
            codes = [c for c in dict.fromkeys(text) if c != ""]
            numbers = {code: float(i) for i, code in enumerate(codes, start=1)}
            frame[column.name] = text.map(numbers).astype("float64")
            value_labels[column.name] = {int(n): code for code, n in numbers.items()}
        else:
            frame[column.name] = values.fillna("").astype(str)
    for name in frame.columns:  # whole numbers without gaps stay integers
        series = frame[name]
        if series.dtype == "float64" and series.notna().all() and np.all(np.mod(series, 1) == 0):
            frame[name] = series.astype("int64")
    labels = {c.name: c.description for c in table.columns}
    return frame, labels, value_labels


def write_stata(path: Path, table: Table, *, progress: Callable[[int], None] | None = None) -> int:
    frame, labels, value_labels = labelled_frame(table)
    long_text = [
        c for c in frame.columns if frame[c].dtype == object and frame[c].str.len().max(skipna=True) > STATA_STR_MAX
    ]
    dates = {c: "td" for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])}
    frame.to_stata(
        path,
        write_index=False,
        version=118,
        convert_dates=cast(Any, dates),
        convert_strl=long_text,
        data_label=_cut(table.title, STATA_LABEL_CHARS),
        variable_labels={n: _cut(text, STATA_LABEL_CHARS) for n, text in labels.items()},
        value_labels=cast(Any, value_labels),
    )
    if progress:
        progress(len(frame))
    return len(frame)


def write_spss(path: Path, table: Table, *, progress: Callable[[int], None] | None = None) -> int:
    import pyreadstat

    frame, labels, value_labels = labelled_frame(table)
    frame_out: Any = frame
    pyreadstat.write_sav(
        frame_out,
        str(path),
        file_label=_cut(table.title, SPSS_LABEL_CHARS),
        column_labels={n: _cut(text, SPSS_LABEL_CHARS) for n, text in labels.items()},
        variable_value_labels={n: {float(k): v for k, v in m.items()} for n, m in value_labels.items()},
    )
    if progress:
        progress(len(frame))
    return len(frame)
