"""The results export: the stored ItemResult rows of each round's latest done run, every column."""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.test import Client

from aggregation.models import AggregationRun, ItemResult
from aggregation.selectors import shown_runs
from aggregation.services import round_aggregate
from elicitation.models import Study
from elicitation.rounds.services.lifecycle import round_close
from exports.codebook import codebook_rows
from exports.results import RESULT_FIELDS
from exports.tables import build_table, scope_for
from tests.api.helpers import token_client
from tests.exports.test_formats import download, job_file
from tests.factories import make_experts, make_round, make_study, make_user, rate_everything

pytestmark = pytest.mark.django_db

STATISTICS = RESULT_FIELDS[RESULT_FIELDS.index("n") : RESULT_FIELDS.index("rule_version")]
NUMBERS = [name for name in STATISTICS if name != "suppressed"]


@pytest.fixture
def coordinator() -> User:
    return make_user()


@pytest.fixture
def aggregated_study(coordinator: User) -> Study:
    """Bloc B has 2 experts, below k = 3, so suppressed; round 1 aggregated twice, round 2 never (one failed run)."""
    study = make_study(coordinator=coordinator, blocs=["A", "B"], min_group_size=3)
    make_experts(study, 6, blocs=["A"])
    make_experts(study, 2, blocs=["B"])
    first = make_round(study, status="closed")
    rate_everything(first, [7, 8, None, 6, 9, 5, 3])
    round_aggregate(round_id=first.pk)
    round_aggregate(round_id=first.pk)  # the newer snapshot is current; the first run keeps its rows
    second = make_round(study, status="open")
    rate_everything(second, [7, 7, 8, 6, None, 9])
    AggregationRun.objects.create(
        round=second, status=AggregationRun.Status.FAILED, requested_at=dt.datetime.now(dt.UTC)
    )
    return study


def expected_rows(study: Study) -> list[dict[str, Any]]:
    rows = []
    shown = ItemResult.objects.filter(run_id__in=shown_runs(study.rounds.all()))
    for result in shown.select_related("round", "area", "criterion", "run"):
        row: dict[str, Any] = {
            "study": str(study.uuid),
            "round": result.round.number,
            "area": result.area.code,
            "criterion": result.criterion.code,
            "group": result.group,
        }
        for name in STATISTICS:
            value = getattr(result, name)
            row[name] = None if result.suppressed and name != "suppressed" else value
        row["rand_class"] = row["rand_class"] or None
        row["rule_version"] = result.run.rule_version
        row["plan_version"] = result.run.plan_version
        row["plan_sha256"] = result.run.plan_sha256
        row["quantile_method"] = result.run.quantile_method
        row["code_version"] = result.run.code_version
        assert result.run.finished_at is not None
        row["finished_at"] = result.run.finished_at.astimezone(dt.UTC).isoformat()
        rows.append(row)
    return rows


def same(exported: Any, expected: Any) -> bool:
    if expected is None:
        return exported is None or exported == "" or (isinstance(exported, float) and math.isnan(exported))
    if isinstance(expected, bool) or isinstance(exported, bool):
        return exported is expected or exported == str(expected)
    if isinstance(expected, int) and not isinstance(exported, str):
        return type(exported) is int and exported == expected
    if isinstance(expected, float):
        return math.isclose(float(exported), expected, rel_tol=1e-12, abs_tol=1e-12)
    return str(exported) == str(expected)


def assert_matches(records: Sequence[Mapping[Any, Any]], study: Study) -> None:
    expected = expected_rows(study)
    assert all(list(record) == RESULT_FIELDS for record in records)
    assert len(records) == len(expected)
    key = ("round", "area", "criterion", "group")
    by_key = {tuple(str(row[k]) for k in key): row for row in expected}
    for record in records:
        want = by_key[tuple(str(record[k]) for k in key)]
        for name in RESULT_FIELDS:
            assert same(record[name], want[name]), (name, record[name], want[name])


def test_results_csv_holds_every_row_of_the_current_run_only(aggregated_study: Study, coordinator: User) -> None:
    client = Client()
    client.force_login(coordinator)
    data = download(client, aggregated_study, table="results", format="csv")
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert_matches(frame.to_dict(orient="records"), aggregated_study)
    current = AggregationRun.objects.get(round__study=aggregated_study, is_current=True)
    kept = ItemResult.objects.filter(round__study=aggregated_study).exclude(run=current).count()
    assert len(frame) == ItemResult.objects.filter(run=current).count() == kept, "the earlier run's rows stay, unread"
    assert set(frame["round"]) == {"1"}, "round 2 has no done run, so no rows"
    assert set(frame["group"]) == {"", "A", "B"}
    suppressed = frame[frame["suppressed"] == "True"]
    assert "B" in set(suppressed["group"]), "bloc B is below k"
    assert "" not in set(suppressed["group"]), "the whole panel is never suppressed here"
    assert (suppressed[NUMBERS] == "").all().all(), "a suppressed row has empty numbers"
    assert (suppressed[["rule_version", "quantile_method", "finished_at"]] != "").all().all()
    shown = frame[frame["suppressed"] == "False"]
    assert (shown["median"] != "").all()
    assert (shown["n"] != "").all()


def test_results_parquet_has_typed_columns_equal_to_the_stored_rows(
    aggregated_study: Study, coordinator: User, django_capture_on_commit_callbacks: object
) -> None:
    path = job_file(coordinator, aggregated_study, "parquet", "results", django_capture_on_commit_callbacks)
    table = pq.read_table(path)
    types = {field.name: str(field.type) for field in table.schema}
    assert types["n"] == "int64"
    assert types["median"] == "double"
    assert types["suppressed"] == "bool"
    assert types["consensus"] == "bool"
    assert types["finished_at"] == "string"
    records = table.to_pylist()  # Python values: an empty int cell is None, not a float NaN
    assert_matches(records, aggregated_study)
    assert all(isinstance(r["n"], int) for r in records if not r["suppressed"])
    suppressed = [r for r in records if r["suppressed"]]
    assert suppressed
    assert all(r[name] is None for r in suppressed for name in NUMBERS)


def test_a_round_without_a_done_run_exports_no_rows(coordinator: User) -> None:
    study = make_study(coordinator=coordinator)
    make_experts(study, 5)
    rate_everything(make_round(study, status="closed"))
    table = build_table("results", scope_for(study))
    assert list(table.rows()) == []
    assert table.count() == 0


def test_every_results_column_is_in_the_codebook(aggregated_study: Study) -> None:
    table = build_table("results", scope_for(aggregated_study))
    described = {column: description for name, column, _, description, _ in codebook_rows([table]) if column}
    assert set(RESULT_FIELDS) <= set(described)
    assert all(described[name] for name in RESULT_FIELDS)


def test_the_api_streams_the_results_table(aggregated_study: Study, coordinator: User) -> None:
    response = token_client(coordinator).get(
        f"/api/v1/studies/{aggregated_study.uuid}/tables/results/", {"file_format": "csv"}
    )
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(b"".join(response.streaming_content)), dtype=str, keep_default_na=False)  # type: ignore[attr-defined]
    assert_matches(frame.to_dict(orient="records"), aggregated_study)


def test_the_results_rows_are_one_query_whatever_the_number_of_rounds(aggregated_study: Study) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    round_close(
        round=aggregated_study.rounds.get(number=2), user=None, reason="test"
    )  # a study plans one round at a time
    third = make_round(aggregated_study, status="draft")
    rate_everything(third)
    round_aggregate(round_id=third.pk)
    table = build_table("results", scope_for(aggregated_study))
    with CaptureQueriesContext(connection) as queries:
        rows = list(table.rows())
    assert {row[1] for row in rows} == {1, 3}
    reads = [q["sql"] for q in queries.captured_queries if "FROM" in q["sql"].upper()]
    assert len(reads) == 1, reads
