"""Exports by role (docs/roles.md): analysts download results and exports, but the unmoderated rationales
(hidden ones flagged) stay with the coordinators, whatever the way in: the page, a job's file or the API."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from elicitation.models import AuditEvent, Study
from exports.models import ExportJob
from tests.api.helpers import token_client
from tests.conftest import client_for
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def download(study: Study, table: str) -> str:
    return f"/studies/{study.uuid}/exports/download/?table={table}&format=csv"


def test_an_analyst_downloads_the_moderated_tables_but_not_the_hidden_rationales(
    study_a: Study, analyst_a: User, coordinator_a: User
) -> None:
    make_round(study_a)
    client = client_for(analyst_a)
    for table in ("ratings", "rationales_moderated", "results", "participation"):
        response = client.get(download(study_a, table))
        assert response.status_code == 200, table
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    before = AuditEvent.objects.filter(action="export.download").count()
    refused = client.get(download(study_a, "rationales"))
    assert refused.status_code == 400
    assert 'value="rationales"' not in refused.content.decode()  # not offered either
    assert AuditEvent.objects.filter(action="export.download").count() == before
    assert client_for(coordinator_a).get(download(study_a, "rationales")).status_code == 200


def test_an_analysts_export_page_offers_only_what_they_may_have(study_a: Study, analyst_a: User) -> None:
    page = client_for(analyst_a).get(f"/studies/{study_a.uuid}/exports/").content.decode()
    assert 'value="rationales_moderated"' in page
    assert 'value="rationales"' not in page
    assert re.search(r'<option value="bundle"[^>]* selected', page)  # a default the service accepts


def test_an_observer_reaches_no_export(study_a: Study, observer_a: User) -> None:
    client = client_for(observer_a)
    assert client.get(f"/studies/{study_a.uuid}/exports/").status_code == 404
    assert client.get(download(study_a, "ratings")).status_code == 404
    assert (
        client.post(f"/studies/{study_a.uuid}/exports/jobs/", {"format": "csv", "table": "ratings"}).status_code == 404
    )
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize(
    ("fmt", "table", "allowed"),
    [("csv", "ratings", True), ("bundle", "all", True), ("xlsx", "all", False), ("csv", "rationales", False)],
)
def test_an_analyst_queues_files_without_hidden_rationales(
    study_a: Study, analyst_a: User, fmt: str, table: str, allowed: bool
) -> None:
    response = client_for(analyst_a).post(f"/studies/{study_a.uuid}/exports/jobs/", {"format": fmt, "table": table})
    assert response.status_code == (302 if allowed else 400)
    assert ExportJob.objects.filter(study=study_a, table=table, format=fmt).exists() == allowed


def test_an_analyst_cannot_fetch_a_coordinators_file_of_hidden_rationales(
    study_a: Study, analyst_a: User, coordinator_a: User, settings, tmp_path
) -> None:
    settings.EXPORTS_ROOT = str(tmp_path)
    (tmp_path / "r.csv").write_text("a\n1\n")
    job = ExportJob.objects.create(
        study=study_a,
        requested_by=coordinator_a,
        format="csv",
        table="rationales",
        status=ExportJob.Status.DONE,
        file_name="r.csv",
    )
    page = client_for(analyst_a).get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/")
    assert page.status_code == 404  # not theirs to see: not listed either (tests/access/test_authorization_matrix.py)
    assert not AuditEvent.objects.filter(action="export.job_download").exists()
    api = token_client(analyst_a).get(f"/api/v1/exports/{job.uuid}/download/", HTTP_ACCEPT="text/csv")
    assert api.status_code == 404
    assert not AuditEvent.objects.filter(action="export.job_download").exists()
    own = client_for(coordinator_a).get(f"/studies/{study_a.uuid}/exports/jobs/{job.uuid}/")
    assert own.status_code == 200
