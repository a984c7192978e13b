"""Every format read back (pandas, openpyxl, pyarrow) and compared with the database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from aggregation.services import round_aggregate
from elicitation.models import Study
from exports.models import ExportJob
from exports.services import export_job_create
from tests.exports.expected import expected_ratings, expected_rationales, normalise

pytestmark = pytest.mark.django_db

RATING_COLUMNS = ["study", "round", "area", "criterion", "pseudonym", "bloc", "sector", "value", "cannot_judge",
                  "submitted", "confidence", "day"]  # fmt: skip
RATING_KEYS = ["round", "pseudonym", "area", "criterion"]


def download(client: Client, study: Study, **params: str) -> bytes:
    response = client.get(f"/studies/{study.uuid}/exports/download/", params)
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    assert response["Cache-Control"] == "no-store"
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def assert_same_ratings(frame: pd.DataFrame, study: Study) -> None:
    expected = expected_ratings(study)
    pd.testing.assert_frame_equal(
        normalise(frame, RATING_COLUMNS, RATING_KEYS), normalise(expected, RATING_COLUMNS, RATING_KEYS)
    )


def job_file(user: User, study: Study, fmt: str, table: str, django_capture_on_commit_callbacks: object) -> Path:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        job = export_job_create(user=user, study=study, fmt=fmt, table=table)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.progress_percent == 100
    return Path(settings.EXPORTS_ROOT) / job.file_name


def test_ratings_csv_equals_the_database(rated_study: Study, coordinator_client: Client) -> None:
    data = download(coordinator_client, rated_study, table="ratings", format="csv")
    frame = read_csv(data).replace({"": None})
    assert list(frame.columns) == RATING_COLUMNS
    expected = expected_ratings(rated_study)
    assert len(frame) == len(expected) == 2 * 8 * 24
    pd.testing.assert_frame_equal(
        normalise(frame, RATING_COLUMNS, RATING_KEYS), normalise(expected, RATING_COLUMNS, RATING_KEYS)
    )


def test_csv_is_rfc_4180_with_an_optional_bom(rated_study: Study, coordinator_client: Client) -> None:
    plain = download(coordinator_client, rated_study, table="rationales", format="csv")
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert plain.endswith(b"\r\n")
    assert b'"Because ""trust"", mostly,\nand verification' in plain  # quotes doubled, line break quoted
    with_bom = download(coordinator_client, rated_study, table="rationales", format="csv", bom="on")
    assert with_bom == b"\xef\xbb\xbf" + plain
    plain.decode("utf-8")


def test_rationales_csv_flags_hidden_ones_and_the_moderated_variant_leaves_them_out(
    rated_study: Study, coordinator_client: Client
) -> None:
    texts = ["rationale", "rationale_language", "translation", "translation_language"]
    columns = ["study", "round", "area", "pseudonym", *texts]
    keys = ["round", "area", "pseudonym"]
    everything = read_csv(download(coordinator_client, rated_study, table="rationales", format="csv"))
    assert list(everything.columns) == [*columns[:4], "bloc", "sector", "confidence", *texts, "hidden", "day"]
    assert "'=1+1 因为信任" in set(everything["translation"])  # a translation is neutralised like the original
    assert set(everything["translation_language"]) == {"", "zh-hans"}
    expected = expected_rationales(rated_study, include_hidden=True)
    pd.testing.assert_frame_equal(
        normalise(everything, [*columns, "hidden"], keys), normalise(expected, [*columns, "hidden"], keys)
    )
    assert (everything["hidden"] == "True").sum() > 0
    moderated = read_csv(download(coordinator_client, rated_study, table="rationales_moderated", format="csv"))
    assert "hidden" not in moderated.columns
    expected_moderated = expected_rationales(rated_study, include_hidden=False)
    pd.testing.assert_frame_equal(normalise(moderated, columns, keys), normalise(expected_moderated, columns, keys))
    assert len(moderated) == len(everything) - (everything["hidden"] == "True").sum()


def test_ratings_json_equals_the_database(rated_study: Study, coordinator_client: Client) -> None:
    data = download(coordinator_client, rated_study, table="ratings", format="json")
    records = json.loads(data)
    frame = pd.DataFrame.from_records(records)
    assert list(frame.columns) == RATING_COLUMNS
    assert_same_ratings(frame, rated_study)
    assert pd.read_json(io.BytesIO(data), orient="records").shape == frame.shape


def test_a_round_selection_limits_every_table(rated_study: Study, coordinator_client: Client) -> None:
    frame = read_csv(download(coordinator_client, rated_study, table="ratings", format="csv", rounds="2"))
    assert set(frame["round"]) == {"2"}
    for round_ in rated_study.rounds.all():  # aggregates are the stored runs' rows
        round_aggregate(round_id=round_.pk)
    aggregates = read_csv(download(coordinator_client, rated_study, table="aggregates", format="csv", rounds="1"))
    assert set(aggregates["round"]) == {"1"}
    assert len(aggregates) == 24


def test_xlsx_has_a_sheet_per_table_and_a_codebook(
    rated_study: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    path = job_file(coordinator_a, rated_study, "xlsx", "all", django_capture_on_commit_callbacks)
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == [
        "ratings",
        "rationales",
        "rationales_moderated",
        "panel",
        "aggregates",
        "results",
        "divides",
        "verdicts",
        "agreement",
        "stability",
        "areas",
        "criteria",
        "round_items",
        "wording_changes",
        "suggestions",
        "participation",
        "participation_experts",
        "audit",
        "plan_versions",
        "deviations",
        "dissent",
        "change_reasons",
        "quantity_questions",
        "quantity_answers",
        "quantity_pooled",
        "quantity_performance",
        "codebook",
    ]
    rows = list(workbook["ratings"].iter_rows(values_only=True))
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    assert_same_ratings(frame, rated_study)
    codebook = list(workbook["codebook"].iter_rows(values_only=True))
    assert codebook[0] == ("table", "column", "type", "description", "codes")
    described = {(row[0], row[1]) for row in codebook[1:]}
    for sheet in workbook.sheetnames[:-1]:
        header = next(workbook[sheet].iter_rows(values_only=True))
        assert {(sheet, column) for column in header} <= described, sheet
    # No cell is a formula: every hostile text arrives as text with an apostrophe.
    rationales = [row[7] for row in list(workbook["rationales"].iter_rows(values_only=True))[1:]]
    assert '\'=HYPERLINK("http://x.example","click")' in rationales
    workbook.close()
    raw = openpyxl.load_workbook(path)
    for sheet in raw.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)


def test_parquet_has_typed_columns_equal_to_the_database(
    rated_study: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    path = job_file(coordinator_a, rated_study, "parquet", "ratings", django_capture_on_commit_callbacks)
    table = pq.read_table(path)
    assert table.column_names == RATING_COLUMNS
    assert str(table.schema.field("value").type) == "int64"
    assert str(table.schema.field("cannot_judge").type) == "bool"
    assert str(table.schema.field("day").type) == "date32[day]"
    assert table.schema.field("pseudonym").metadata[b"description"].startswith(b"The expert's stable pseudonym")
    frame = table.to_pandas()
    assert_same_ratings(frame, rated_study)


def test_parquet_of_an_empty_table_is_readable(
    study_a: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    path = job_file(coordinator_a, study_a, "parquet", "ratings", django_capture_on_commit_callbacks)
    assert pq.read_table(path).num_rows == 0


def test_aggregates_csv_matches_the_summary_of_the_ratings(rated_study: Study, coordinator_client: Client) -> None:
    for round_ in rated_study.rounds.all():
        round_aggregate(round_id=round_.pk)
    frame = pd.read_csv(io.BytesIO(download(coordinator_client, rated_study, table="aggregates", format="csv")))
    everything = expected_ratings(rated_study)
    assert not everything["submitted"].all()  # one expert's saved round-2 answers are not submitted
    ratings = everything[everything["submitted"]]  # results count submitted answers only (the default)
    valued = ratings[~ratings["cannot_judge"]]
    for (round_number, area, criterion), group in valued.groupby(["round", "area", "criterion"]):
        row = frame[(frame["round"] == round_number) & (frame["area"] == area) & (frame["criterion"] == criterion)]
        assert len(row) == 1
        values = group["value"].astype(float)
        assert row["n"].item() == len(values)
        assert row["mean"].item() == pytest.approx(values.mean())
        assert row["sd"].item() == pytest.approx(values.std(ddof=1))
        assert row["min"].item() == values.min()
        assert row["quantile_method"].item() == "weibull"
    cannot = ratings[ratings["cannot_judge"]].groupby(["round", "area", "criterion"]).size()
    assert frame["n_cannot_judge"].sum() == cannot.sum() > 0


def test_xlsx_continues_a_table_on_a_new_sheet_beyond_the_row_limit(
    rated_study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exports import writers
    from exports.tables import build_table, scope_for

    monkeypatch.setattr(writers, "XLSX_MAX_DATA_ROWS", 100)
    path = tmp_path / "split.xlsx"
    written = writers.write_xlsx(path, [build_table("ratings", scope_for(rated_study))])
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["ratings", "ratings (2)", "ratings (3)", "ratings (4)", "codebook"]
    rows = [row for name in workbook.sheetnames[:-1] for row in list(workbook[name].iter_rows(values_only=True))[1:]]
    assert len(rows) == written == 2 * 8 * 24
