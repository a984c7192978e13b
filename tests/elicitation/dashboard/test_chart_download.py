"""Each chart downloads as an SVG file: the same drawing as on the page, named after the study and round."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.urls import reverse

from tests.elicitation.dashboard.results import study_with_results

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def rounds_a(study_a):
    return study_with_results(study_a)


def _download(client, study, name, query="round=2"):
    return client.get(reverse("dashboard:chart-svg", args=[study.uuid, name]) + f"?{query}")


def test_the_map_downloads_as_an_svg_attachment(client, coordinator_a, study_a, rounds_a):
    client.force_login(coordinator_a)
    response = _download(client, study_a, "map")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="study-a-round-2-map.svg"'
    root: Any = ET.fromstring(response.content)  # noqa: S314 - our own output, parsed to check it is well-formed
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Benefit and risk of each area, round 2"
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "point"]) == 4


def test_the_download_is_the_chart_on_the_page(client, coordinator_a, study_a, rounds_a):
    client.force_login(coordinator_a)
    page = client.get(reverse("dashboard:map", args=[study_a.uuid]) + "?round=2").content.decode()
    svg = _download(client, study_a, "map").content.decode()
    assert svg.split("\n", 1)[1] in page


@pytest.mark.parametrize("metric", ["iqr", "cns"])
def test_convergence_charts_download_per_area(client, coordinator_a, study_a, rounds_a, metric):
    client.force_login(coordinator_a)
    response = _download(client, study_a, f"{metric}-protocols", "round=1")
    assert response.status_code == 200
    assert f"round-1-{metric}-protocols.svg" in response["Content-Disposition"]
    root = ET.fromstring(response.content)  # noqa: S314
    assert root.get("id") == f"chart-{metric}-protocols"


@pytest.mark.parametrize("name", ["nothing", "iqr-atlantis"])
def test_an_unknown_chart_is_404(client, coordinator_a, study_a, rounds_a, name):
    client.force_login(coordinator_a)
    assert _download(client, study_a, name).status_code == 404


def test_another_coordinator_cannot_download(client, coordinator_b, study_a, rounds_a):
    client.force_login(coordinator_b)
    assert _download(client, study_a, "map").status_code == 404


def test_the_divided_items_plot_downloads_and_appears_on_its_page(client, coordinator_a, study_a, rounds_a):
    client.force_login(coordinator_a)
    response = _download(client, study_a, "divided")
    assert response.status_code == 200
    root: Any = ET.fromstring(response.content)  # noqa: S314
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "dot-row"]
    assert len(rows) == 4
    # Only the blocs with a median are drawn: Europe and Other are below k.
    assert {g.get("data-group") for g in root.iter(f"{SVG}g") if g.get("class") == "dot"} == {"United States", "China"}
    page = client.get(reverse("dashboard:divided", args=[study_a.uuid])).content.decode()
    assert 'id="chart-divided"' in page


def test_participation_downloads_as_bars_per_round(client, coordinator_a, study_a, rounds_a):
    client.force_login(coordinator_a)
    response = _download(client, study_a, "participation")
    assert response.status_code == 200
    root: Any = ET.fromstring(response.content)  # noqa: S314
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]) == 8  # two rounds, four stages
    assert "4 (50% of those invited)" in [t.text for t in root.iter(f"{SVG}text")]
