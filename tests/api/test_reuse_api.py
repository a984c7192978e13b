"""Study reuse, scheduling and pilot runs through the API (issue 20): the same services as the pages, the
same refusals, only the caller's own studies and templates."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from elicitation.models import AuditEvent, PilotResponse, Round, SavedTemplate, Study
from elicitation.rounds.services.scheduling import rounds_open_scheduled
from tests.api.helpers import token_client
from tests.factories import make_round

pytestmark = pytest.mark.django_db

BROKEN = b'{\n  "study": {\n    "title": "Broken",\n  }\n}\n'


def _later(days: float) -> str:
    return (timezone.now() + dt.timedelta(days=days)).isoformat()


# Duplicate, templates, definition, import ------------------------------------------------------


def test_a_duplicate_answers_201_with_the_new_study_and_its_address(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    response = client.post(
        f"/api/v1/studies/{study_a.uuid}/duplicate/", {"title": "Second wave", "with_panel": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    copy = Study.objects.get(uuid=response.json()["uuid"])
    assert response["Location"] == f"/api/v1/studies/{copy.uuid}/"
    assert response.json()["title"] == "Second wave"
    assert response.json()["expert_count"] == study_a.experts.count()
    assert list(copy.areas.values_list("code", flat=True)) == list(study_a.areas.values_list("code", flat=True))
    assert not copy.rounds.exists()
    assert AuditEvent.objects.filter(action="study.duplicated", study=copy).exists()


def test_a_duplicate_refuses_unknown_keys_and_an_empty_title_and_writes_nothing(
    study_a: Study, coordinator_a: User
) -> None:
    client, count = token_client(coordinator_a), Study.objects.count()
    response = client.post(
        f"/api/v1/studies/{study_a.uuid}/duplicate/", {"title": "Copy", "with_panels": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"with_panels": ["Unknown field."]}
    response = client.post(f"/api/v1/studies/{study_a.uuid}/duplicate/", {"title": " "}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["field_errors"]
    assert Study.objects.count() == count


def test_another_coordinators_study_and_an_analyst_get_404(
    study_a: Study, coordinator_b: User, analyst_a: User
) -> None:
    for user in (coordinator_b, analyst_a):
        client = token_client(user)
        base = f"/api/v1/studies/{study_a.uuid}"
        assert client.post(f"{base}/duplicate/", {"title": "X"}, format="json").status_code == 404
        assert client.get(f"{base}/definition/").status_code == 404
        assert client.post(f"{base}/save-template/", {"title": "X"}, format="json").status_code == 404


def test_templates_are_saved_listed_started_and_deleted_by_their_owner_only(
    study_a: Study, coordinator_a: User, coordinator_b: User
) -> None:
    client = token_client(coordinator_a)
    response = client.post(
        f"/api/v1/studies/{study_a.uuid}/save-template/",
        {"title": "Our standard", "description": "Four areas."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    template = SavedTemplate.objects.get(uuid=response.json()["uuid"])
    assert response["Location"] == f"/api/v1/templates/{template.uuid}/"
    assert [row["title"] for row in client.get("/api/v1/templates/").json()] == ["Our standard"]

    other = token_client(coordinator_b)
    assert other.get("/api/v1/templates/").json() == []
    assert other.get(f"/api/v1/templates/{template.uuid}/").status_code == 404
    assert other.post(f"/api/v1/templates/{template.uuid}/start/", {"title": "Mine"}, format="json").status_code == 404
    assert other.delete(f"/api/v1/templates/{template.uuid}/").status_code == 404

    response = client.post(f"/api/v1/templates/{template.uuid}/start/", {"title": "Third wave"}, format="json")
    assert response.status_code == 201, response.json()
    started = Study.objects.get(uuid=response.json()["uuid"])
    assert started.title == "Third wave"
    assert list(started.coordinators.all()) == [coordinator_a]
    assert client.delete(f"/api/v1/templates/{template.uuid}/").status_code == 204
    assert not SavedTemplate.objects.exists()
    assert Study.objects.filter(pk=started.pk).exists()
    assert AuditEvent.objects.filter(action="template.deleted", target=str(template.uuid)).exists()


def test_the_downloaded_definition_imports_as_a_json_body_or_a_file(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    response = client.get(f"/api/v1/studies/{study_a.uuid}/definition/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    data = response.content
    for expert in study_a.experts.all():
        assert expert.email.encode() not in data
    assert json.loads(data)["format_version"] == 1

    as_body = client.post("/api/v1/studies/import/?title=From+the+body", data, content_type="application/json")
    assert as_body.status_code == 201, as_body.json()
    as_file = client.post(
        "/api/v1/studies/import/",
        {"file": SimpleUploadedFile("study.json", data), "title": "From a file"},
        format="multipart",
    )
    assert as_file.status_code == 201, as_file.json()
    for body, title in ((as_body, "From the body"), (as_file, "From a file")):
        study = Study.objects.get(uuid=body.json()["uuid"])
        assert study.title == title
        assert list(study.criteria.values_list("code", flat=True)) == list(
            study_a.criteria.values_list("code", flat=True)
        )
    untitled = client.post("/api/v1/studies/import/", data, content_type="application/json")
    assert untitled.json()["title"] == study_a.title


def test_a_bad_definition_answers_400_with_its_line_or_field_path_and_nothing_is_created(coordinator_a: User) -> None:
    client, count = token_client(coordinator_a), Study.objects.count()
    response = client.post("/api/v1/studies/import/", BROKEN, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["problems"][0]["line"] == 4
    assert "line 4, column 3" in response.json()["problems"][0]["message"]

    document = {"study": {"title": "X", "mode": "weekly"}, "criteria": [{"code": "B1", "title": "B"}]}
    for send in (
        lambda: client.post("/api/v1/studies/import/", document, format="json"),
        lambda: client.post(
            "/api/v1/studies/import/",
            {"file": SimpleUploadedFile("s.json", json.dumps(document).encode())},
            format="multipart",
        ),
    ):
        response = send()
        assert response.status_code == 400
        paths = {problem["column"] for problem in response.json()["problems"]}
        assert "study.mode" in paths
        assert any(path.startswith("criteria[0]") for path in paths)
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/v1/studies/import/", deep, content_type="application/json")
    assert response.status_code == 400
    assert Study.objects.count() == count


def test_a_definition_with_a_true_value_or_an_unknown_area_answers_400_by_field_path(coordinator_a: User) -> None:
    client, count = token_client(coordinator_a), Study.objects.count()
    document: dict[str, Any] = {
        "study": {"title": "Q"},
        "areas": [{"code": "verification", "title": "Verification"}],
        "quantity_format": {"format": "quantiles", "quantiles": [0.5, 0.1]},
        "quantity_questions": [
            {"code": "s1", "area": "elsewhere", "title": "Seed", "seed": True, "realization": 3},
            {"code": "t1", "area": "verification", "title": "Target", "scale": "log"},
        ],
    }
    response = client.post("/api/v1/studies/import/", document, format="json")
    assert response.status_code == 400
    paths = {problem["column"] for problem in response.json()["problems"]}
    assert paths == {"quantity_questions[0].area", "quantity_questions[0].realization"}
    del document["quantity_questions"][0]  # well formed now: the quantity services refuse the rest
    response = client.post("/api/v1/studies/import/", document, format="json")
    assert response.status_code == 400
    paths = {problem["column"] for problem in response.json()["problems"]}
    assert paths == {"quantity_format.quantiles", "quantity_questions[0].lower_bound"}
    assert Study.objects.count() == count


def test_an_import_form_with_an_unknown_field_is_refused(coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    response = client.post(
        "/api/v1/studies/import/",
        {"file": SimpleUploadedFile("s.json", b"{}"), "titel": "Typo"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"titel": ["Unknown field."]}


# Scheduling ------------------------------------------------------------------------------------


def test_a_round_is_scheduled_opens_by_itself_and_a_schedule_can_be_cancelled(
    study_a: Study, coordinator_a: User
) -> None:
    draft = make_round(study_a)
    client = token_client(coordinator_a)
    url = f"/api/v1/rounds/{draft.uuid}/schedule/"
    response = client.put(url, {"opens_at": _later(1), "deadline": _later(8)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["scheduled_open_at"] is not None
    assert response.json()["status"] == "draft"
    response = client.delete(url)
    assert response.status_code == 200
    assert response.json()["scheduled_open_at"] is None
    assert client.delete(url).status_code == 409  # nothing left to cancel

    client.put(url, {"opens_at": _later(1), "deadline": _later(8)}, format="json")
    assert rounds_open_scheduled(now=timezone.now() + dt.timedelta(days=2)) == [draft.pk]
    draft.refresh_from_db()
    assert draft.status == Round.Status.OPEN
    assert client.put(url, {"opens_at": _later(1), "deadline": _later(8)}, format="json").status_code == 409
    events = AuditEvent.objects.filter(study=study_a, action__startswith="round.sched").order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["round.scheduled", "round.schedule_cancelled", "round.scheduled"]


def test_a_schedule_in_the_past_or_with_an_unknown_key_is_refused(study_a: Study, coordinator_a: User) -> None:
    draft = make_round(study_a)
    client = token_client(coordinator_a)
    url = f"/api/v1/rounds/{draft.uuid}/schedule/"
    response = client.put(url, {"opens_at": _later(-1), "deadline": _later(-2)}, format="json")
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {"opens_at", "deadline"}
    response = client.put(url, {"opens_at": _later(1), "deadline": _later(8), "remind": True}, format="json")
    assert response.json()["field_errors"] == {"remind": ["Unknown field."]}
    draft.refresh_from_db()
    assert draft.scheduled_open_at is None


# Pilot runs --------------------------------------------------------------------------------------


def test_pilot_runs_are_listed_apart_and_deleted_by_the_studys_coordinators_only(
    study_a: Study, coordinator_a: User, coordinator_b: User, analyst_a: User
) -> None:
    round_ = make_round(study_a)
    item = round_.items.select_related("area", "criterion").earliest("id")
    run = PilotResponse.objects.create(
        round=round_,
        tester=coordinator_a,
        tester_label="Colleague",
        language="zh-hans",
        answers=[{"area": item.area.code, "criterion": item.criterion.code, "value": 7, "cannot_judge": False}],
    )
    client = token_client(coordinator_a)
    rows = client.get(f"/api/v1/rounds/{round_.uuid}/pilot-runs/").json()
    assert [row["uuid"] for row in rows] == [str(run.uuid)]
    assert rows[0]["round"] == str(round_.uuid)
    assert rows[0]["answers"][0]["value"] == 7
    for user in (coordinator_b, analyst_a):
        other = token_client(user)
        assert other.get(f"/api/v1/rounds/{round_.uuid}/pilot-runs/").status_code == 404
        assert other.get(f"/api/v1/pilot-runs/{run.uuid}/").status_code == 404
        assert other.delete(f"/api/v1/pilot-runs/{run.uuid}/").status_code == 404
    assert client.delete(f"/api/v1/pilot-runs/{run.uuid}/").status_code == 204
    assert not PilotResponse.objects.exists()
    assert AuditEvent.objects.filter(action="pilot.deleted", target=str(run.uuid)).exists()
