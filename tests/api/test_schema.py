"""The OpenAPI schema: generated without warnings, every path answered, docs served with local assets only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from api.errors import exception_handler
from core.errors import IllegalTransition, ImportFailed, InvalidInput, RoundNotOpen
from elicitation.models import PilotResponse, SavedTemplate, Study
from exports.models import ExportJob
from tests.access.routes import email_sending
from tests.api.helpers import token_client
from tests.factories import make_round

ROOT = Path(__file__).resolve().parents[2]


def test_schema_generation_has_no_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stderr


@pytest.mark.django_db
def test_the_schema_is_served_and_every_path_answers_without_a_server_error(
    study_a: Study, coordinator_a: User
) -> None:
    round_ = make_round(study_a, status="closed")
    job = ExportJob.objects.create(study=study_a, format="xlsx", table="all")
    client = token_client(coordinator_a)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    values = {
        "studies": study_a.uuid,
        "areas": study_a.areas.first().uuid,  # type: ignore[union-attr]
        "criteria": study_a.criteria.first().uuid,  # type: ignore[union-attr]
        "experts": study_a.experts.first().uuid,  # type: ignore[union-attr]
        "rounds": round_.uuid,
        "exports": job.uuid,
        "email-jobs": email_sending(study=study_a, round_=round_, coordinator=coordinator_a),
        # Issue 20: the caller's template, a pilot run of the round.
        "templates": SavedTemplate.objects.create(owner=coordinator_a, title="Kept", definition={}).uuid,
        "pilot-runs": PilotResponse.objects.create(round=round_, tester=coordinator_a, language="en").uuid,
    }
    exercised = 0
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        resource = path.split("/")[3]
        url = path.replace("{uuid}", str(values.get(resource, ""))).replace("{table}", "ratings")
        answer = client.get(url)
        assert answer.status_code < 500, (path, answer.status_code)
        # The expert's own answers refuse a coordinator's token (tested in test_me_ratings, test_me_submit).
        allowed = {401} if path.startswith("/api/v1/me/") else {200, 409}
        assert answer.status_code in allowed, (path, answer.status_code)
        exercised += 1
    assert exercised == len([p for p, ops in schema["paths"].items() if "get" in ops]) >= 14


@pytest.mark.django_db
def test_the_docs_page_loads_with_no_external_url(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html.replace("<script src", "")  # no inline script: the CSP forbids it
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert scripts
    for url in assets:
        assert not url.startswith(("http:", "https:", "//")), url
    for url in scripts:
        assert client.get(url).status_code == 200, url
    assert "cdn" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp


def _handled(exc: Exception) -> Response:
    request = APIRequestFactory().get("/")
    response = exception_handler(exc, {"request": request, "view": None})
    assert response is not None
    return response


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (InvalidInput("Bad value.", field_errors={"value": ["Out of range."]}), 400),
        (IllegalTransition("Closed rounds stay closed."), 409),
        (RoundNotOpen("Not open."), 409),
    ],
)
def test_service_errors_become_json_with_field_errors(exc: Exception, status: int) -> None:
    response = _handled(exc)
    assert response.status_code == status
    assert set(response.data) == {"detail", "field_errors"}
    assert response.data["detail"] == str(exc)


def test_import_failures_list_their_problems() -> None:
    response = _handled(ImportFailed("Bad file.", problems=[(3, "email", "Not an address.")]))
    assert response.status_code == 400
    assert response.data["problems"] == [{"line": 3, "column": "email", "message": "Not an address."}]
