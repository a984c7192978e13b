"""Exports through the API: streamed tables and export jobs, scoped to the caller's studies."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from django.contrib.auth.models import User

from aggregation.services import round_aggregate
from elicitation.models import AuditEvent, Study
from exports.models import ExportJob
from tests.api.helpers import token_client
from tests.factories import make_round, rate_everything

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_tasks(settings: object, tmp_path: Path, eager_celery: None) -> None:
    settings.EXPORTS_ROOT = tmp_path / "exports"  # type: ignore[attr-defined]


def streamed(response: object) -> bytes:
    return b"".join(getattr(response, "streaming_content"))  # noqa: B009 - test client responses are untyped


@pytest.fixture
def rated(study_a: Study) -> Study:
    rate_everything(make_round(study_a, status="closed"))
    return study_a


def test_a_table_streams_as_csv_for_any_accept_header(rated: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    response = client.get(f"/api/v1/studies/{rated.uuid}/tables/ratings/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    frame = pd.read_csv(io.BytesIO(streamed(response)))
    assert len(frame) == 8 * 24
    assert "email" not in frame.columns
    assert AuditEvent.objects.filter(action="export.download", study=rated).count() == 1


def test_a_table_streams_as_json_with_a_round_selection(rated: Study, coordinator_a: User) -> None:
    second = make_round(rated, status="open")
    rate_everything(second)
    for round_ in rated.rounds.all():  # aggregates are the stored runs' rows
        round_aggregate(round_id=round_.pk)
    response = token_client(coordinator_a).get(
        f"/api/v1/studies/{rated.uuid}/tables/aggregates/", {"file_format": "json", "rounds": "2"}
    )
    rows = pd.DataFrame.from_records(json.loads(streamed(response)))
    assert set(rows["round"]) == {2}


def test_another_studys_table_answers_404(
    rated: Study, study_b: Study, coordinator_a: User, coordinator_b: User
) -> None:
    assert token_client(coordinator_b).get(f"/api/v1/studies/{rated.uuid}/tables/ratings/").status_code == 404
    assert not AuditEvent.objects.filter(action="export.download").exists()


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("nonsense", {}, "table"),
        ("ratings", {"file_format": "xml"}, "file_format"),
        ("ratings", {"rounds": "7"}, "rounds"),
    ],
)
def test_bad_table_requests_answer_400_with_field_errors(
    rated: Study, coordinator_a: User, path: str, params: dict[str, str], field: str
) -> None:
    response = token_client(coordinator_a).get(f"/api/v1/studies/{rated.uuid}/tables/{path}/", params)
    assert response.status_code == 400
    assert field in response.json()["field_errors"]


def test_an_export_job_is_created_polled_and_downloaded(
    rated: Study, coordinator_a: User, django_capture_on_commit_callbacks: object
) -> None:
    client = token_client(coordinator_a)
    before = AuditEvent.objects.filter(study=rated).count()  # the rounds' own events, from building the study
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            "/api/v1/exports/", {"study": str(rated.uuid), "format": "parquet", "table": "ratings"}, format="json"
        )
    assert response.status_code == 201, response.json()
    job_uuid = response.json()["uuid"]
    assert response["Location"] == f"/api/v1/exports/{job_uuid}/"
    detail = client.get(f"/api/v1/exports/{job_uuid}/").json()
    assert detail["status"] == "done"
    assert detail["progress"] == 100
    assert detail["download_url"].endswith(f"/api/v1/exports/{job_uuid}/download/")
    download = client.get(f"/api/v1/exports/{job_uuid}/download/")
    assert download.status_code == 200
    assert streamed(download)[:4] == b"PAR1"
    listed = client.get("/api/v1/exports/", {"study": str(rated.uuid)}).json()
    assert [j["uuid"] for j in listed["results"]] == [job_uuid]
    actions = list(AuditEvent.objects.filter(study=rated).values_list("action", flat=True).order_by("id"))
    assert actions[before:] == ["export.job_create", "export.job_download"]


def test_a_job_for_another_study_answers_404_and_writes_nothing(
    rated: Study, study_b: Study, coordinator_b: User
) -> None:
    response = token_client(coordinator_b).post(
        "/api/v1/exports/", {"study": str(rated.uuid), "format": "xlsx"}, format="json"
    )
    assert response.status_code == 404
    assert not ExportJob.objects.exists()


def test_another_studys_jobs_are_invisible(
    rated: Study, study_b: Study, coordinator_a: User, coordinator_b: User
) -> None:
    job = ExportJob.objects.create(study=rated, format="xlsx", table="all")
    other = token_client(coordinator_b)
    assert other.get(f"/api/v1/exports/{job.uuid}/").status_code == 404
    assert other.get(f"/api/v1/exports/{job.uuid}/download/").status_code == 404
    assert other.get("/api/v1/exports/").json()["results"] == []
    assert other.get("/api/v1/exports/", {"study": str(rated.uuid)}).status_code == 404


def test_a_job_not_ready_answers_409(rated: Study, coordinator_a: User) -> None:
    job = ExportJob.objects.create(study=rated, format="xlsx", table="all")
    response = token_client(coordinator_a).get(f"/api/v1/exports/{job.uuid}/download/")
    assert response.status_code == 409
    assert response.json() == {"detail": "This export is not ready.", "field_errors": {}}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"format": "xlsx"}, {"study"}),
        ({"study": "x", "format": "pdf"}, {"study", "format"}),
        ({"format": "csv", "table": "all"}, {"table"}),
        ({"format": "bundle", "table": "panel"}, {"table"}),
        ({"format": "csv", "table": "ratings", "rounds": [9]}, {"rounds"}),
        ({"format": "csv", "table": "ratings", "rounds": [0]}, {"rounds.0"}),
        ({"table": "ratings"}, {"file_format"}),
        ({"file_format": "csv", "format": "xlsx", "table": "ratings"}, {"format"}),
        ({"file_format": "csv", "table": "ratings", "tabel": "panel"}, {"tabel"}),
    ],
)
def test_invalid_jobs_answer_400_with_field_errors(
    rated: Study, coordinator_a: User, payload: dict[str, object], fields: set[str]
) -> None:
    payload = {"study": str(rated.uuid), **payload} if "study" not in payload and fields != {"study"} else payload
    response = token_client(coordinator_a).post("/api/v1/exports/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "field_errors"}
    assert set(body["field_errors"]) == fields
    assert not ExportJob.objects.exists()


def test_the_job_list_query_count_does_not_grow(rated: Study, coordinator_a: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = token_client(coordinator_a)
    ExportJob.objects.create(study=rated, format="xlsx", table="all", status="running", rows_total=10)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/exports/").status_code == 200
        return len(queries)

    count()
    before = count()
    for _ in range(5):
        ExportJob.objects.create(study=rated, format="bundle", table="all", status="running", rows_total=10)
        ExportJob.objects.create(study=rated, format="xlsx", table="all", status="done")
    assert count() == before


def test_a_session_post_without_csrf_is_refused(rated: Study, coordinator_a: User) -> None:
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(coordinator_a)
    response = client.post("/api/v1/exports/", {"study": str(rated.uuid), "format": "xlsx"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ExportJob.objects.exists()


def test_strict_studies_stream_ratings_without_pseudonyms(rated: Study, coordinator_a: User) -> None:
    rated.anonymity = Study.Anonymity.STRICT
    rated.save()
    response = token_client(coordinator_a).get(f"/api/v1/studies/{rated.uuid}/tables/ratings/")
    frame = pd.read_csv(io.BytesIO(streamed(response)))
    assert list(frame.columns) == ["study", "round", "area", "criterion", "value", "cannot_judge", "submitted"]


def test_file_format_is_the_jobs_name_and_format_its_deprecated_alias(rated: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    for key in ("file_format", "format"):
        response = client.post(
            "/api/v1/exports/", {"study": str(rated.uuid), key: "csv", "table": "ratings"}, format="json"
        )
        assert response.status_code in (201, 202), response.json()
        assert (response.json()["file_format"], response.json()["format"]) == ("csv", "csv")
    same = client.post(
        "/api/v1/exports/",
        {"study": str(rated.uuid), "file_format": "xlsx", "format": "xlsx", "table": "ratings"},
        format="json",
    )
    assert same.status_code in (201, 202)
    assert ExportJob.objects.filter(study=rated).count() == 3
