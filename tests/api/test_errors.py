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
