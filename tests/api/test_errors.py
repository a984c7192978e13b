"""Errors under /api/ are JSON in the API's one shape, even for a path no route matches."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/areas/not-a-uuid/", "/api/v1/nothing-here/", "/api/v2/"])
def test_an_unmatched_api_path_is_a_json_404(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "field_errors": {}}


def test_an_unmatched_page_is_still_html() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("shape", ["one long field", "many fields"])
def test_a_form_body_past_djangos_limits_is_a_json_400(study_a, coordinator_a, shape: str) -> None:
    """The negative schemathesis run posted a 2.8 MB form to /api/v1/areas/: past DATA_UPLOAD_MAX_MEMORY_SIZE
    (2.5 MB) but under MAX_REQUEST_BYTES, so Django refused it while DRF read the body, with its HTML 400 page
    where the schema promises JSON. Too many fields (DATA_UPLOAD_MAX_NUMBER_FIELDS) took the same way."""
    from tests.api.helpers import token_client

    client = token_client(coordinator_a)
    if shape == "one long field":
        body = {"study": str(study_a.uuid), "title": "x", "description": "\x0b" * 2_700_000}
    else:
        body = {f"field{number}": "x" for number in range(1_100)}
    response = client.post("/api/v1/areas/", body)  # form-encoded, as the run sent it
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["field_errors"] == {}
    assert response.json()["detail"]
    assert not study_a.areas.filter(title="x").exists()
