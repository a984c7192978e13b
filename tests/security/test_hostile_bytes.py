"""Hostile bytes get a 400 that says why, and write nothing; never a 500 nor a worker tied up.

The issue's measurements, each replayed here at its size: a panel CSV whose header has 138,887
columns (under 1 MB) ran into gunicorn's 30 s timeout, the duplicate-header check being quadratic;
20,000 columns took 8.5 s; 50,000 nested JSON lists sent to ``me/ratings`` gave a 500. How fast
the refusals are is measured in bench/hostile_input.py (docs/benchmarks.md), not timed here.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from api.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from core.errors import ImportFailed
from elicitation.models import AuditEvent, Expert, Rating, Round
from elicitation.setup.services.imports import EXPERT_COLUMNS, MAX_COLUMNS, MAX_IMPORT_BYTES, read_csv
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round
from tests.security.hostile import nested_json, wide_panel_csv

pytestmark = pytest.mark.django_db


def stored() -> tuple[int, int, int]:
    return Expert.objects.count(), Rating.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize("columns", [138_887, 20_000])
def test_a_panel_csv_with_a_huge_header_is_refused_in_the_api_with_the_reason(study_a, coordinator_a, columns):
    data = wide_panel_csv(columns)
    assert len(data) < MAX_IMPORT_BYTES  # under the size limit: only the width can stop it
    client = APIClient()
    client.force_login(coordinator_a)
    before = stored()
    upload = SimpleUploadedFile("panel.csv", data, content_type="text/csv")
    response = client.post(f"/api/v1/studies/{study_a.uuid}/experts/import/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"line": 1, "column": "", "message": f"The header has {columns} columns; at most {MAX_COLUMNS}."}
    ]
    assert stored() == before


def test_a_panel_csv_with_a_huge_header_is_refused_on_the_import_page(study_a, coordinator_a):
    client = Client()
    client.force_login(coordinator_a)
    before = stored()
    upload = SimpleUploadedFile("panel.csv", wide_panel_csv(138_887), content_type="text/csv")
    response = client.post(f"/studies/{study_a.uuid}/panel/import/", {"file": upload})
    assert response.status_code == 400
    assert f"The header has 138887 columns; at most {MAX_COLUMNS}." in response.content.decode()
    assert stored() == before


def test_a_header_at_the_cap_is_checked_column_by_column_and_a_late_duplicate_found():
    data = wide_panel_csv(MAX_COLUMNS)
    header, row = data.decode().splitlines()
    header = header.rsplit(",", 1)[0] + ",email"  # the last column repeats the first
    every_column_known = read_csv(data, required=EXPERT_COLUMNS, allowed=lambda name: True, max_rows=10)
    assert len(every_column_known.header) == MAX_COLUMNS
    with pytest.raises(ImportFailed) as caught:
        read_csv(f"{header}\n{row}\n".encode(), required=EXPERT_COLUMNS, allowed=lambda name: True, max_rows=10)
    assert caught.value.problems == [(1, "email", "This column appears twice.")]


@pytest.fixture
def expert_api(study_a) -> APIClient:
    make_round(study_a, status=Round.Status.OPEN, deadline=timezone.now() + dt.timedelta(days=3))
    expert = study_a.experts.earliest("number")
    expert.consented_at = timezone.now()
    expert.save(update_fields=["consented_at"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert)}")
    return client


@pytest.mark.parametrize("depth", [50_000, MAX_JSON_DEPTH + 1])
def test_deeply_nested_json_to_my_ratings_is_a_400_with_the_reason(expert_api, depth):
    before = stored()
    response = expert_api.generic("PUT", "/api/v1/me/ratings/", nested_json(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == f"The JSON body is nested too deeply: at most {MAX_JSON_DEPTH} levels."
    assert stored() == before


def test_an_ordinary_body_nested_within_the_limit_still_reaches_the_serializer(expert_api):
    body = {"answers": [{"area": "x", "criterion": "y", "value": [[[[1]]]]}]}  # 6 levels: allowed, but invalid
    response = expert_api.put("/api/v1/me/ratings/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field_errors"]  # the serializer's own errors, not the parser's


def test_the_depth_check_counts_lists_and_objects():
    assert not json_depth_exceeds({"a": [{"b": 1}]}, 3)
    assert json_depth_exceeds({"a": [{"b": [1]}]}, 3)
    assert not json_depth_exceeds("[[[[", 1)  # a string is not nesting
    assert json_depth_exceeds([[]], 1)
