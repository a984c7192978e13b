"""Small groups on every coordinator surface: no bloc below k, nor one derivable by subtraction.

Study (k = 5): bloc Atlantis of six experts, and Borealis and Cascadia of one expert each. Borealis and
Cascadia are below k; together they hold two ratings, which the panel row minus Atlantis would give, and
with it each lone expert the other's rating. So every bloc row of every item is suppressed, on the stored
results, the API's ``aggregates/``, the ``results`` export table (CSV and JSON, web page and API) and the
dashboard; the whole panel stays.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from aggregation.models import CrossBloc, ItemResult
from aggregation.services import round_aggregate
from elicitation.models import Round, Study
from tests.access.routes import all_routes
from tests.api.helpers import token_client
from tests.factories import make_round, make_study, mark_submitted
from tests.security.anonymity import BIG, LONE, _experts, _rate

pytestmark = pytest.mark.django_db

SMALL = "Borealis"
# Atlantis rates 3, 3, 3, 4, 4, 4 (median and mean 3.5); the lone experts rate 9 and 8.
VALUES = {BIG: [3, 3, 3, 4, 4, 4], SMALL: [9], LONE: [8]}


@pytest.fixture
def aggregated(coordinator_a) -> tuple[Study, Round]:
    study = make_study(
        coordinator=coordinator_a, title="Study with small blocs", blocs=[BIG, SMALL, LONE], min_group_size=5
    )
    experts = _experts(study, [BIG] * 6 + [SMALL, LONE], first_number=1)
    round_ = make_round(study, status=Round.Status.CLOSED)
    values = {bloc: iter(values) for bloc, values in VALUES.items()}
    by_expert = {expert.pk: next(values[expert.bloc]) for expert in experts}
    for item in round_.items.all():
        for expert in experts:
            _rate(round_, expert, (item.area_id, item.criterion_id), by_expert[expert.pk])
    mark_submitted(round_, experts)  # results count submitted answers (the default inclusion)
    assert round_aggregate(round_id=round_.pk).status == "done"
    return study, round_


def test_every_bloc_row_is_suppressed_when_the_small_blocs_pool_below_k(aggregated):
    _study, round_ = aggregated
    rows = ItemResult.objects.filter(round=round_)
    assert rows.filter(group="").exists()
    assert not rows.filter(group="", suppressed=True).exists()
    blocs = rows.exclude(group="")
    assert set(blocs.values_list("group", flat=True)) == {BIG, SMALL, LONE}
    assert not blocs.filter(suppressed=False).exists()
    assert not blocs.filter(median__isnull=False).exists()
    assert not blocs.filter(mean__isnull=False).exists()
    for crossing in CrossBloc.objects.filter(round=round_):
        assert crossing.group_medians == {}
        assert crossing.max_median_difference is None


def test_the_api_gives_no_number_of_a_suppressed_bloc(aggregated, coordinator_a):
    _study, round_ = aggregated
    api = token_client(coordinator_a)
    body = api.get(reverse("api-v1:aggregate-list"), {"round": str(round_.uuid), "limit": "1000"}).json()
    rows = body["results"]
    blocs = [row for row in rows if row["bloc"]]
    assert blocs
    assert all(row["suppressed"] for row in blocs)
    numbers = ("median", "mean", "q1", "q3", "iqr", "sd")
    assert all(row[name] is None for row in blocs for name in numbers)
    assert all(row["median"] is not None for row in rows if not row["bloc"])


def _result_rows(content: bytes, file_format: str) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    if file_format == "json":
        return [{key: "" if value is None else str(value) for key, value in row.items()} for row in json.loads(text)]
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_the_results_export_gives_no_number_of_a_suppressed_bloc(aggregated, coordinator_a, file_format):
    study, _round = aggregated
    client = Client()
    client.force_login(coordinator_a)
    page = client.get(
        reverse("export-download", kwargs={"study_uuid": study.uuid}), {"table": "results", "format": file_format}
    )
    api = token_client(coordinator_a).get(
        reverse("api-v1:study-table", kwargs={"uuid": study.uuid, "table": "results"}), {"file_format": file_format}
    )
    for response in (page, api):
        assert response.status_code == 200
        rows = _result_rows(b"".join(response.streaming_content), file_format)  # type: ignore[union-attr]
        blocs = [row for row in rows if row["group"]]
        assert blocs
        assert all(row["suppressed"] == "True" for row in blocs)
        assert all(row[name] == "" for row in blocs for name in ("n", "mean", "median", "q1", "q3", "sd"))
        assert all(row["median"] != "" for row in rows if not row["group"])


def test_the_dashboard_shows_no_figure_of_a_suppressed_bloc(aggregated, coordinator_a):
    """Every dashboard page, for the panel and for each bloc: a bloc's cells say "fewer than k", never a median."""
    study, _round = aggregated
    client = Client()
    client.force_login(coordinator_a)
    names = [route.name for route in all_routes() if route.name.startswith("dashboard:")]
    assert len(names) >= 7  # a new dashboard page is swept too
    for name in names:
        kwargs = {"study_uuid": study.uuid} | ({"chart": "map"} if name == "dashboard:chart-svg" else {})
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name
    for bloc in (BIG, SMALL, LONE):
        page = client.get(reverse("dashboard:consensus", kwargs={"study_uuid": study.uuid}), {"bloc": bloc})
        body = page.content.decode()
        assert page.status_code == 200
        assert "cell-median" not in body, bloc
        assert "Fewer than 5 experts" in body, bloc


@pytest.fixture
def small_panel(coordinator_a) -> tuple[Study, Round]:
    """Three experts (k = 5) rated every item of a closed round: the whole panel is below k."""
    study = make_study(coordinator=coordinator_a, title="Study with a small panel", blocs=[BIG], min_group_size=5)
    experts = _experts(study, [BIG] * 3, first_number=1)
    round_ = make_round(study, status=Round.Status.CLOSED)
    for item in round_.items.all():
        for expert, value in zip(experts, [2, 5, 9], strict=True):
            _rate(round_, expert, (item.area_id, item.criterion_id), value)
    mark_submitted(round_, experts)
    assert round_aggregate(round_id=round_.pk).status == "done"
    return study, round_


def test_a_panel_below_k_has_no_statistic_on_any_surface(small_panel, coordinator_a):
    from aggregation.models import CriterionAgreement

    study, round_ = small_panel
    rows = ItemResult.objects.filter(round=round_)
    assert rows.exists()
    assert not rows.filter(suppressed=False).exists()
    assert not rows.filter(median__isnull=False).exists()
    for agreement in CriterionAgreement.objects.filter(round=round_):
        assert agreement.kendall_w is None
        assert agreement.alpha_ordinal is None
    api = token_client(coordinator_a)
    body = api.get(reverse("api-v1:aggregate-list"), {"round": str(round_.uuid), "limit": "1000"}).json()
    assert body["results"]
    assert all(row["suppressed"] and row["mean"] is None and row["n"] is None for row in body["results"])
    client = Client()
    client.force_login(coordinator_a)
    for table in ("results", "aggregates"):
        page = client.get(
            reverse("export-download", kwargs={"study_uuid": study.uuid}), {"table": table, "format": "csv"}
        )
        exported = _result_rows(b"".join(page.streaming_content), "csv")  # type: ignore[attr-defined]
        assert exported, table
        assert all(row["suppressed"] == "True" for row in exported), table
        assert all(row[name] == "" for row in exported for name in ("n", "mean", "median", "sd")), table
    names = [route.name for route in all_routes() if route.name.startswith("dashboard:")]
    for name in names:
        kwargs = {"study_uuid": study.uuid} | ({"chart": "map"} if name == "dashboard:chart-svg" else {})
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        assert "cell-median" not in response.content.decode(), name
