"""Stored aggregation results through the API: scoped to the caller's studies, suppressed rows without numbers."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aggregation.models import ItemResult
from aggregation.services import round_aggregate
from elicitation.models import Round, Study
from tests.api.helpers import token_client
from tests.factories import make_experts, make_round, rate_everything

pytestmark = pytest.mark.django_db

URL = "/api/v1/aggregates/"


def aggregated(study: Study) -> Round:
    round_ = make_round(study, status=Round.Status.CLOSED)
    rate_everything(round_)
    round_aggregate(round_id=round_.pk)
    return round_


def test_lists_the_stored_rows_of_the_callers_studies_only(study_a: Study, study_b: Study, coordinator_a: User) -> None:
    own, foreign = aggregated(study_a), aggregated(study_b)
    response = token_client(coordinator_a).get(URL, {"limit": 1000})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == ItemResult.objects.filter(round=own).count() > 0
    assert {row["round"] for row in body["results"]} == {str(own.uuid)}
    assert str(foreign.uuid) not in response.content.decode()


def test_filters_narrow_the_rows(study_a: Study, coordinator_a: User) -> None:
    round_ = aggregated(study_a)
    area, criterion = study_a.areas.earliest("order"), study_a.criteria.earliest("order")
    response = token_client(coordinator_a).get(
        URL, {"round": str(round_.uuid), "area": str(area.uuid), "criterion": str(criterion.uuid), "bloc": ""}
    )
    rows = response.json()["results"]
    assert rows
    assert {(row["area"], row["criterion"]) for row in rows} == {(str(area.uuid), str(criterion.uuid))}
    assert {row["bloc"] for row in rows} == {""}, "an empty bloc means the whole panel's rows"
    bloc = study_a.blocs[0]
    rows = token_client(coordinator_a).get(URL, {"bloc": bloc, "limit": 1000}).json()["results"]
    assert rows
    assert {row["bloc"] for row in rows} == {bloc}


def test_suppressed_rows_have_no_numbers(study_a: Study, coordinator_a: User) -> None:
    study_a.min_group_size = 5  # 8 experts in several blocs: every bloc is too small
    study_a.save(update_fields=["min_group_size"])
    aggregated(study_a)
    rows = token_client(coordinator_a).get(URL, {"limit": 1000}).json()["results"]
    suppressed = [row for row in rows if row["suppressed"]]
    assert suppressed
    for row in suppressed:
        assert row["bloc"]
        assert row["n"] is None
        assert row["median"] is None
        assert row["mean"] is None
        assert row["consensus"] is None
    panel = [row for row in rows if row["bloc"] == ""]
    assert panel
    assert all(row["n"] == 8 and row["median"] is not None for row in panel)


@pytest.mark.parametrize("name", ["round", "area", "criterion"])
def test_filtering_by_another_studys_object_answers_404(
    study_a: Study, study_b: Study, coordinator_a: User, name: str
) -> None:
    aggregated(study_a)
    foreign = {
        "round": make_round(study_b).uuid,
        "area": study_b.areas.earliest("order").uuid,
        "criterion": study_b.criteria.earliest("order").uuid,
    }
    client = token_client(coordinator_a)
    assert client.get(URL, {name: str(foreign[name])}).status_code == 404
    assert client.get(URL, {name: str(uuid.uuid4())}).status_code == 404


def test_bad_filters_answer_400(study_a: Study, coordinator_a: User) -> None:
    response = token_client(coordinator_a).get(URL, {"round": "not-a-uuid"})
    assert response.status_code == 400
    assert "round" in response.json()["field_errors"]


def test_query_count_does_not_grow_with_the_study(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    client.get(URL)  # the token's first use is recorded once
    counts = []
    for _ in range(2):
        make_experts(study_a, 12)
        aggregated(study_a)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"limit": 1000})
        assert response.status_code == 200
        counts.append((len(queries), response.json()["count"]))
    assert counts[0][1] < counts[1][1]
    assert counts[0][0] == counts[1][0] <= 4


def test_only_coordinators(study_a: Study, outsider: User) -> None:
    from rest_framework.test import APIClient

    aggregated(study_a)
    assert APIClient().get(URL).status_code == 401
    assert token_client(outsider).get(URL).json()["results"] == []


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "1001"}, {"offset": "-1"}, {"limit": "ten"}, {"round": ""}, {"study": "not-a-uuid"}],
)
def test_malformed_query_parameters_are_refused(study_a: Study, coordinator_a: User, query: dict[str, str]) -> None:
    aggregated(study_a)
    response = token_client(coordinator_a).get(URL, query)
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == set(query)


def test_a_repeated_parameter_is_refused(study_a: Study, coordinator_a: User) -> None:
    response = token_client(coordinator_a).get(URL + "?limit=5&limit=6")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"limit": ["Give this parameter once."]}


def test_divides_list_split_items_of_the_callers_studies_largest_first(
    study_a: Study, study_b: Study, coordinator_a: User
) -> None:
    from elicitation.models import Rating

    study_a.min_group_size = 3
    study_a.save(update_fields=["min_group_size"])
    make_experts(study_a, 12, blocs=["United States", "China"])
    own, foreign = aggregated(study_a), aggregated(study_b)
    first, second = list(own.items.select_related("area", "criterion")[:2])
    for item, (us, china) in ((first, (3, 8)), (second, (4, 7))):
        for rating in Rating.objects.filter(round=own, area=item.area, criterion=item.criterion).select_related(
            "expert"
        ):
            rating.value = us if rating.expert.bloc == "United States" else china
            rating.save(update_fields=["value"])
    round_aggregate(round_id=own.pk)
    response = token_client(coordinator_a).get("/api/v1/divides/", {"round": str(own.uuid), "verdict": "split"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["area_code"], row["criterion_code"]) for row in rows][:2] == [
        (first.area.code, first.criterion.code),
        (second.area.code, second.criterion.code),
    ]
    assert rows[0]["max_median_difference"] == 5.0
    assert rows[0]["group_medians"] == {"United States": 3.0, "China": 8.0}
    assert rows[0]["pairwise"][0]["p_holm"] <= 1
    assert str(foreign.uuid) not in token_client(coordinator_a).get("/api/v1/divides/").content.decode()
    bad = token_client(coordinator_a).get("/api/v1/divides/", {"verdict": "divided"})
    assert bad.status_code == 400
    assert "verdict" in bad.content.decode()


def test_verdicts_list_the_panel_and_each_bloc(study_a: Study, coordinator_a: User) -> None:
    study_a.min_group_size = 3
    study_a.save(update_fields=["min_group_size"])
    make_experts(study_a, 12, blocs=["United States", "China"])
    own = aggregated(study_a)
    panel = token_client(coordinator_a).get("/api/v1/verdicts/", {"round": str(own.uuid), "bloc": ""}).json()
    assert panel["count"] == study_a.areas.count()
    china = token_client(coordinator_a).get("/api/v1/verdicts/", {"bloc": "China"}).json()["results"]
    assert {row["bloc"] for row in china} == {"China"}
    assert len(china) == study_a.areas.count()


def test_rows_name_their_run_and_carry_the_results_tables_columns(study_a: Study, coordinator_a: User) -> None:
    from aggregation.models import AggregationRun
    from exports.results import RESULT_FIELDS

    round_ = aggregated(study_a)
    run = AggregationRun.objects.get(round=round_, is_current=True)
    rows = token_client(coordinator_a).get(URL, {"limit": 1000}).json()["results"]
    table_only = {"study", "round", "area", "criterion"}  # the same, named the API's way (UUIDs + *_code, round_number)
    assert set(RESULT_FIELDS) - table_only <= set(rows[0])
    for row in rows:
        assert row["run"] == str(run.uuid)
        assert row["snapshot_revision"] == run.snapshot_revision
        assert row["study"] == str(study_a.uuid)
        assert row["group"] == row["bloc"], "bloc is the deprecated alias of group"
        assert (row["state"], row["final"]) == ("final", True)


def test_rows_of_an_open_round_are_provisional_and_updating_while_a_newer_run_waits(
    study_a: Study, coordinator_a: User
) -> None:
    from django.utils import timezone

    from aggregation.models import AggregationRun

    round_ = make_round(study_a, status=Round.Status.OPEN)
    rate_everything(round_)
    round_aggregate(round_id=round_.pk)
    client = token_client(coordinator_a)
    states = {(row["state"], row["final"]) for row in client.get(URL, {"limit": 1000}).json()["results"]}
    assert states == {("provisional", False)}
    AggregationRun.objects.create(round=round_, requested_at=timezone.now())
    states = {(row["state"], row["final"]) for row in client.get(URL, {"limit": 1000}).json()["results"]}
    assert states == {("updating", False)}
    verdicts = client.get("/api/v1/verdicts/").json()["results"]
    assert verdicts
    assert {row["state"] for row in verdicts} == {"updating"}


def test_the_tables_vocabulary_filters_rows(study_a: Study, coordinator_a: User) -> None:
    first = aggregated(study_a)
    client = token_client(coordinator_a)
    area, criterion = study_a.areas.earliest("order"), study_a.criteria.earliest("order")
    by_code = client.get(
        URL, {"study": str(study_a.uuid), "rounds": "1", "area": area.code, "criterion": criterion.code}
    )
    by_uuid = client.get(URL, {"round": str(first.uuid), "area": str(area.uuid), "criterion": str(criterion.uuid)})
    assert by_code.status_code == by_uuid.status_code == 200
    assert by_code.json() == by_uuid.json()
    assert {row["area_code"] for row in by_code.json()["results"]} == {area.code}
    panel = client.get(URL, {"group": "", "limit": "1000"}).json()["results"]
    assert panel
    assert {row["group"] for row in panel} == {""}
    assert client.get(URL, {"group": "China", "bloc": "Europe"}).status_code == 400
    assert client.get(URL, {"rounds": 2}).json()["count"] == 0
    both = client.get(URL + "?rounds=1&rounds=2&limit=1000").json()
    assert both["count"] == ItemResult.objects.filter(round=first).count()
    assert client.get(URL, {"rounds": "first"}).status_code == 400
    divides = client.get("/api/v1/divides/", {"rounds": 1}).json()["results"]
    assert all(row["bloc_medians"] == row["group_medians"] for row in divides)
