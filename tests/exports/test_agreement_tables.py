"""The agreement and stability exports: the stored rows of each round's shown run, in every format, read
without recomputing anything and in a number of queries that does not grow with the rounds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from aggregation.models import CriterionAgreement, ItemResult
from aggregation.services import round_aggregate
from elicitation.models import Study
from tests.exports.test_formats import download, job_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def aggregated(rated_study: Study) -> Study:
    for round_ in rated_study.rounds.all():
        round_aggregate(round_id=round_.pk)
    return rated_study


def csv_rows(client: Client, study: Study, table: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(download(client, study, table=table, format="csv").decode())))


def number(cell: str) -> float | None:
    return float(cell) if cell else None


def test_agreement_holds_each_rounds_stored_w_and_alpha(aggregated: Study, coordinator_client: Client) -> None:
    rows = csv_rows(coordinator_client, aggregated, "agreement")
    stored = CriterionAgreement.objects.filter(round__study=aggregated).select_related("round", "criterion")
    expected = {(str(r.round.number), r.criterion.code): r for r in stored}
    assert len(rows) == len(expected) == 12  # 2 rounds x 6 criteria
    for row in rows:
        record = expected[(row["round"], row["criterion"])]
        assert number(row["kendall_w"]) == record.kendall_w
        assert number(row["alpha_ordinal"]) == record.alpha_ordinal
        assert int(row["kendall_raters"]) == record.kendall_raters
        assert int(row["n_areas"]) == 4


def test_stability_holds_every_round_after_the_first_with_its_previous_round(
    aggregated: Study, coordinator_client: Client
) -> None:
    rows = csv_rows(coordinator_client, aggregated, "stability")
    later = ItemResult.objects.filter(round__study=aggregated, round__number=2)
    assert len(rows) == later.count() > 0
    assert {row["round"] for row in rows} == {"2"}
    assert {row["previous_round"] for row in rows} == {"1"}
    panel = next(r for r in rows if r["group"] == "" and r["suppressed"] == "False")
    stored = later.get(group="", area__code=panel["area"], criterion__code=panel["criterion"])
    assert int(panel["stability_pairs"]) == stored.stability_pairs > 0
    assert float(panel["changed_share"]) == stored.changed_share
    for row in rows:
        if row["suppressed"] == "True":
            assert row["stability_pairs"] == row["wilcoxon_p"] == ""


@pytest.mark.parametrize("table", ["agreement", "stability"])
def test_each_format_holds_the_same_rows(
    table: str,
    aggregated: Study,
    coordinator_client: Client,
    coordinator_a: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    expected = pd.read_csv(io.BytesIO(download(coordinator_client, aggregated, table=table, format="csv")))
    as_json = pd.DataFrame(json.loads(download(coordinator_client, aggregated, table=table, format="json")))
    files: dict[str, Path] = {
        fmt: job_file(coordinator_a, aggregated, fmt, table, django_capture_on_commit_callbacks)
        for fmt in ("parquet", "dta", "sav")
    }
    frames = {
        "json": as_json,
        "parquet": pq.read_table(files["parquet"]).to_pandas(),
        "dta": pd.read_stata(files["dta"], convert_categoricals=False),
        "sav": pyreadstat.read_sav(str(files["sav"]))[0],
    }
    figure = "kendall_w" if table == "agreement" else "changed_share"
    for fmt, frame in frames.items():
        assert list(frame.columns) == list(expected.columns), fmt
        assert len(frame) == len(expected), fmt
        assert frame[figure].astype(float).tolist() == pytest.approx(
            expected[figure].astype(float).tolist(), nan_ok=True
        ), fmt


@pytest.mark.parametrize("table", ["agreement", "stability"])
def test_the_download_runs_as_many_queries_for_one_round_as_for_two(
    table: str, aggregated: Study, coordinator_client: Client
) -> None:
    def queries(rounds: list[str]) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = coordinator_client.get(
                f"/studies/{aggregated.uuid}/exports/download/", {"table": table, "format": "csv", "rounds": rounds}
            )
            lines = b"".join(response.streaming_content).count(b"\n")  # type: ignore[attr-defined]
        return len(captured), lines

    (one, one_lines), (both, both_lines) = queries(["1"]), queries(["1", "2"])
    assert one == both
    assert both_lines > one_lines
