"""The export pages: coordinators of the study only, every export audited, fixed query counts."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from elicitation.models import AuditEvent, Study
from exports.models import ExportJob
from exports.services import export_job_create
from tests.conftest import client_for
from tests.factories import make_experts, make_round, rate_everything

pytestmark = pytest.mark.django_db


URLS = ["/studies/{study}/exports/", "/studies/{study}/exports/download/?table=ratings&format=csv"]


@pytest.mark.parametrize("url", URLS)
def test_only_the_studys_coordinators_reach_its_exports(
    url: str, study_a: Study, coordinator_a: User, coordinator_b: User, outsider: User, client: Client
) -> None:
    address = url.format(study=study_a.uuid)
    assert client_for(coordinator_a).get(address).status_code == 200
    assert client_for(coordinator_b).get(address).status_code == 404
    assert client_for(outsider).get(address).status_code == 404
    anonymous = client.get(address)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]


def test_the_page_offers_every_table_and_format(study_a: Study, coordinator_a: User) -> None:
    make_round(study_a)
    html = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/").content.decode()
    for text in [
        "ratings",
        "rationales_moderated",
        "panel",
        "aggregates",
        "results",
        "xlsx",
        "parquet",
        "bundle",
        "Round 1",
    ]:
        assert f'value="{text}"' in html or text in html
    assert "<script>" not in html


def test_streamed_downloads_are_audited(study_a: Study, coordinator_a: User) -> None:
    response = client_for(coordinator_a).get(
        f"/studies/{study_a.uuid}/exports/download/", {"table": "rationales", "format": "json"}
    )
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    event = AuditEvent.objects.get(action="export.download")
    assert event.study == study_a
    assert event.actor_user == coordinator_a
    assert event.detail["table"] == "rationales"
    assert event.detail["format"] == "json"
    assert event.created_at is not None


@pytest.mark.parametrize(
    "params",
    [
        {"table": "nonsense", "format": "csv"},
        {"table": "ratings", "format": "xlsx"},
        {"table": "ratings", "format": "csv", "rounds": "9"},
    ],
)
def test_bad_download_requests_answer_400_and_audit_nothing(
    study_a: Study, coordinator_a: User, params: dict[str, str]
) -> None:
    make_round(study_a)
    response = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/download/", params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not AuditEvent.objects.filter(action="export.download").exists()


def test_a_job_is_created_run_downloaded_and_audited(
    study_a: Study, coordinator_a: User, coordinator_b: User, django_capture_on_commit_callbacks: object
) -> None:
    rate_everything(make_round(study_a, status="closed"))
    before = AuditEvent.objects.filter(study=study_a).count()  # the round's own events, from building the study
    client = client_for(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(f"/studies/{study_a.uuid}/exports/jobs/", {"format": "xlsx", "table": "all"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE
    assert job.rows_written >= 8 * 24
    status = client.get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/status/").json()
    assert status == {"status": "done", "progress": 100, "rows_written": job.rows_written, "error": ""}
    page = client.get(f"/studies/{study_a.uuid}/exports/").content.decode()
    assert f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/" in page
    download = client.get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(download.streaming_content)[:2] == b"PK"  # type: ignore[attr-defined]
    assert [e.action for e in AuditEvent.objects.filter(study=study_a).order_by("id")][before:] == [
        "export.job_create",
        "export.job_download",
    ]
    other = client_for(coordinator_b)
    assert other.get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/").status_code == 404
    assert other.get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/status/").status_code == 404


def test_another_studys_job_is_not_found_under_this_study(
    study_a: Study, study_b: Study, coordinator_a: User, coordinator_b: User
) -> None:
    job = export_job_create(user=coordinator_b, study=study_b, fmt="xlsx")
    study_b.members.add(coordinator_a)  # even a coordinator of both studies must use the right URL
    response = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"format": "csv", "table": "all"}, "table"),
        ({"format": "bundle", "table": "ratings"}, "table"),
        ({"format": "pdf", "table": "all"}, "format"),
    ],
)
def test_impossible_jobs_answer_400_with_a_field_error(
    study_a: Study, coordinator_a: User, data: dict[str, str], field: str
) -> None:
    response = client_for(coordinator_a).post(f"/studies/{study_a.uuid}/exports/jobs/", data)
    assert response.status_code == 400
    assert f'id="job-{field}-error"' in response.content.decode()
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.exists()


def test_prepare_a_file_offers_a_combination_it_accepts(study_a: Study, coordinator_a: User) -> None:
    """Issue 20: the form's defaults (CSV, all tables) were a combination it then refused."""
    client = client_for(coordinator_a)
    page = client.get(f"/studies/{study_a.uuid}/exports/").content.decode()
    chosen = {}
    for field in ("format", "table"):
        select = re.search(rf'<select name="{field}" id="job-id_{field}".*?</select>', page, re.S)
        assert select is not None
        selected = re.search(r'<option value="([^"]+)" selected>', select.group(0))
        chosen[field] = selected.group(1) if selected else re.findall(r'<option value="([^"]+)"', select.group(0))[0]
    response = client.post(f"/studies/{study_a.uuid}/exports/jobs/", chosen)
    assert response.status_code == 302, chosen
    assert ExportJob.objects.get().format == chosen["format"]


def test_a_job_that_is_not_ready_is_not_downloaded(study_a: Study, coordinator_a: User) -> None:
    job = export_job_create(user=coordinator_a, study=study_a, fmt="xlsx")  # queued: on_commit never ran
    response = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/")
    assert response.status_code == 302
    page = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/").content.decode()
    assert "django_htmx/htmx-2.min.js" in page  # served by the app, not a CDN
    status_url = f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/status/"
    assert f'hx-get="{status_url}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    assert "<progress" in page


def test_the_pages_poll_of_an_unfinished_job_gets_its_progress_bar_again(study_a: Study, coordinator_a: User) -> None:
    job = export_job_create(user=coordinator_a, study=study_a, fmt="xlsx")  # queued: on_commit never ran
    client = client_for(coordinator_a)
    url = f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/status/"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<span id="export-job-{job.uuid}" hx-get="{url}" hx-trigger="every 2s"')
    assert '<progress max="100" value="0"' in html
    assert "Queued" in html
    assert "<html" not in html
    assert client.get(url).json()["status"] == "queued"  # a program still gets JSON


@pytest.mark.parametrize("status", [ExportJob.Status.DONE, ExportJob.Status.FAILED])
def test_the_pages_poll_of_a_finished_job_reloads_the_page(study_a: Study, coordinator_a: User, status: str) -> None:
    job = export_job_create(user=coordinator_a, study=study_a, fmt="xlsx")
    ExportJob.objects.filter(pk=job.pk).update(status=status)
    url = f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/status/"
    response = client_for(coordinator_a).get(url, headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Refresh"]) == (200, "true")
    page = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/").content.decode()
    assert "hx-get=" not in page
    assert "htmx-2.min.js" not in page


def test_the_page_query_count_does_not_grow_with_the_study(study_a: Study, coordinator_a: User) -> None:
    client = client_for(coordinator_a)
    make_round(study_a, status="closed")  # closed, so that the next round can be planned
    export_job_create(user=coordinator_a, study=study_a, fmt="xlsx")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/studies/{study_a.uuid}/exports/").status_code == 200
        return len(queries)

    before = count()
    make_experts(study_a, 10)
    make_round(study_a)
    for _ in range(3):
        export_job_create(user=coordinator_a, study=study_a, fmt="bundle")
    assert count() == before


@pytest.mark.services
def test_a_real_worker_builds_the_file(celery_worker_process: object, coordinator_a: User, study_a: Study) -> None:
    rate_everything(make_round(study_a, status="closed"))
    job = export_job_create(user=coordinator_a, study=study_a, fmt="parquet", table="ratings")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in {ExportJob.Status.DONE, ExportJob.Status.FAILED}:
            break
        time.sleep(0.3)
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.rows_written == 8 * 24


def test_a_failing_job_is_recorded_as_failed(
    study_a: Study, coordinator_a: User, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: object
) -> None:
    from exports import services

    def broken(*args: object, **kwargs: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_xlsx", broken)
    client = client_for(coordinator_a)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(f"/studies/{study_a.uuid}/exports/jobs/", {"format": "xlsx", "table": "all"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "The export failed; try again."
    assert "The export failed" in client.get(f"/studies/{study_a.uuid}/exports/").content.decode()
