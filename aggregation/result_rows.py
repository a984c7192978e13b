"""Append a run's result rows: the four tables of ``analysis.compute.RoundResults``, one statement each.

On PostgreSQL each table is written with one ``COPY ... FROM STDIN`` of plain Python tuples (no model
objects, no per-value field preparation); elsewhere (the demo's SQLite) with ``bulk_create``. Both store the
same values: NaN as NULL, JSON columns as JSON, an absent label as "". The caller runs this in the
transaction that marks the run done and decides whether it becomes current, so readers never see a run
with part of its rows. Rows are only ever added; the tables' constraints (one row per run and key, the
checks, the deferred foreign keys) hold for COPY as for INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import JSONField, Model

from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from aggregation.ratings_reader import uses_byte_columns
from analysis.compute import RoundResults

ITEM_FIELDS = [
    "n", "n_cannot_judge", "suppressed", "mean", "sd", "median", "q1", "q3", "iqr", "cv", "pct_low", "pct_mid",
    "pct_high", "cns", "vde_a", "bimodality", "p30", "p70", "ipr", "ipras", "rand_class", "ipras_disagreement",
    "classic_disagreement", "consensus", "consensus_band", "stability_pairs", "delta_cv", "wilcoxon_statistic",
    "wilcoxon_p", "changed_share",
]  # fmt: skip
CRITERION_FIELDS = [
    "n_areas", "kendall_w", "kendall_chi2", "kendall_df", "kendall_p", "kendall_raters", "alpha_ordinal",
    "alpha_interval",
]  # fmt: skip
CROSS_BLOC_FIELDS = [
    "panel_consensus", "consensus_in_every_bloc", "blocs_compared", "blocs_without_consensus", "blocs_suppressed",
    "bloc_ends", "group_medians", "max_median_difference", "kruskal_h", "kruskal_p", "pairwise", "bloc_a",
    "bloc_b", "mann_whitney_u", "mann_whitney_p", "mann_whitney_p_holm", "split_reason", "verdict",
]  # fmt: skip
VERDICT_FIELDS = ["group", "verdict", "min_benefit_median", "max_risk_median", "benefits_agreed", "risks_agreed"]
VERDICT_FIELDS += ["detail"]
LABELS = frozenset({"rand_class", "consensus_band", "split_reason"})  # text columns: "" where nothing applies


def write_rows(run: AggregationRun, results: RoundResults) -> None:
    """Append every result row of ``run`` (call inside the transaction that settles the run)."""
    for model, names, rows in result_tables(results):
        columns = ["run", "round", *names]
        full_rows = ((run.pk, run.round_id, *row) for row in rows)
        if uses_byte_columns():
            copy_rows(model, columns, full_rows)
        else:
            model._default_manager.bulk_create(
                (model(**{_attribute(model, name): value for name, value in zip(columns, row, strict=True)})
                 for row in full_rows),
                batch_size=2000,
            )  # fmt: skip


def result_tables(results: RoundResults) -> Iterator[tuple[type[Model], list[str], list[tuple[Any, ...]]]]:
    """(model, field names, rows of plain Python values) of each of the four tables."""
    items = results.items
    counts = [
        [] if suppressed else results.distributions.get((area, criterion, group), [])
        for area, criterion, group, suppressed in zip(
            _plain(items["area"]), _plain(items["criterion"]), items["group"], items["suppressed"], strict=True
        )
    ]  # a suppressed row keeps no distribution, as it keeps no statistic
    item_rows = _rows(items, ["area", "criterion", "group", *ITEM_FIELDS])
    yield (
        ItemResult,
        ["area", "criterion", "group", *ITEM_FIELDS, "value_counts"],
        [(*row, found) for row, found in zip(item_rows, counts, strict=True)],
    )
    for model, frame, names in (
        (CriterionAgreement, results.criteria, ["criterion", *CRITERION_FIELDS]),
        (CrossBloc, results.cross_bloc, ["area", "criterion", *CROSS_BLOC_FIELDS]),
        (AreaVerdict, results.verdicts, ["area", *VERDICT_FIELDS]),
    ):
        yield model, names, _rows(frame, names)


def copy_rows(model: type[Model], names: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """One ``COPY table (columns) FROM STDIN`` of ``rows`` (JSON columns as Python lists and dicts)."""
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(quote(str(getattr(field, "column", ""))) for field in fields)
    as_json = [position for position, field in enumerate(fields) if isinstance(field, JSONField)]
    if as_json:  # JSON columns as text, one column at a time (not a test per value of every row)
        by_column = [list(values) for values in zip(*rows, strict=True)] or [[] for _ in names]
        for position in as_json:
            by_column[position] = [dumps(value) for value in by_column[position]]
        rows = zip(*by_column, strict=True)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _json_encoder() -> Callable[[Any], str]:
    """``json.dumps`` with its defaults, its C encoder made once: ``JSONEncoder.encode`` builds a new one on
    every call, which was half the cost of a run's few thousand small JSON values."""
    encoder = json.JSONEncoder()
    if c_make_encoder is None:  # an interpreter without the C accelerator
        return encoder.encode
    make = c_make_encoder(None, encoder.default, encode_basestring_ascii, None, ": ", ", ", False, False, True)
    return lambda value: "".join(make(value, 0))


dumps = _json_encoder()


def _attribute(model: type[Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "attname", name))


def _rows(frame: pd.DataFrame, names: list[str]) -> list[tuple[Any, ...]]:
    """The frame's columns as tuples of Python values: NaN -> None, a missing label -> ""."""
    columns = []
    for name in names:
        values = _plain(frame[name])
        if name in LABELS:
            values = ["" if value is None else value for value in values]
        columns.append(values)
    return list(zip(*columns, strict=True)) if columns else []


def _plain(column: pd.Series) -> list[Any]:
    """Python values of a column (numpy scalars unwrapped), NaN as None."""
    values = column.tolist()
    if column.dtype.kind == "f":
        return [None if value != value else value for value in values]
    if column.dtype.kind in "biu" or set(map(type, values)) <= _PLAIN_TYPES:
        return values  # already Python values without NaN: no call per value
    return [plain_value(value) for value in values]


_PLAIN_TYPES = frozenset({bool, int, str, type(None), list, dict})  # as the database takes them (no float: NaN)


def plain_value(value: Any) -> Any:
    """A value as the database takes it: numpy scalars unwrapped, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
