"""Coordinators' writes through the API: studies, items, rule, panel, rounds, planning; by public ids only.

Each refuses unknown keys (400 naming them, nothing written), another coordinator's objects (404), and
answers with the object as GET gives it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from elicitation.models import Area, AuditEvent, ConsensusRule, Criterion, Expert, Round, Study
from elicitation.rounds.services.lifecycle import round_close
from tests.api.helpers import token_client
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Study.objects.count(),
        Area.objects.count(),
        Criterion.objects.count(),
        Expert.objects.count(),
        Round.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_study_is_created_with_its_uuid_in_the_body(coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    response = client.post("/api/v1/studies/", {"title": "Chips", "template": "ai_safety_cooperation"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    study = Study.objects.get(uuid=body["uuid"])
    assert study.coordinators.filter(pk=coordinator_a.pk).exists()
    assert body["consensus_rules"], "the template's rule comes with it"
    assert client.get(f"/api/v1/studies/{body['uuid']}/").json() == body


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/studies/", {"title": "Chips", "titel": "typo"}),
        ("/api/v1/areas/", {"code": "x", "title": "X", "colour": "red"}),
        ("/api/v1/criteria/", {"code": "x", "title": "X", "kind": "benefit", "scale": 9}),
        ("/api/v1/experts/", {"email": "n@example.org", "bloc": "China", "country": "CN"}),
        ("/api/v1/rounds/", {"dead_line": "2030-01-01T00:00:00Z"}),
    ],
)
def test_unknown_keys_are_refused_and_nothing_is_written(
    study_a: Study, coordinator_a: User, path: str, body: dict[str, Any]
) -> None:
    if path != "/api/v1/studies/":
        body = {"study": str(study_a.uuid), **body}
    client = token_client(coordinator_a)
    before = counts()
    response = client.post(path, body, format="json")
    assert response.status_code == 400
    unknown = (set(body) - {"study", "title", "code", "kind", "email", "bloc"}).pop()
    assert response.json()["field_errors"] == {unknown: ["Unknown field."]}
    assert counts() == before


def test_nested_unknown_keys_are_refused_with_their_path(study_a: Study, coordinator_a: User) -> None:
    body = {"study": str(study_a.uuid), "items": [{"area": "A1", "criterion": "B", "weight": 2}]}
    response = token_client(coordinator_a).post("/api/v1/rounds/", body, format="json")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"items.0.weight": ["Unknown field."]}


def test_settings_change_only_the_keys_given_and_refuse_broken_promises(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    response = client.patch(f"/api/v1/studies/{study_a.uuid}/", {"min_group_size": 4}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["min_group_size"] == 4
    assert response.json()["title"] == study_a.title
    refused = client.patch(f"/api/v1/studies/{study_a.uuid}/", {"min_group_size": 1}, format="json")
    assert refused.status_code == 400
    assert "min_group_size" in refused.json()["field_errors"]
    study_a.refresh_from_db()
    assert study_a.min_group_size == 4


def test_another_coordinators_study_is_a_404_for_every_write(
    study_a: Study, study_b: Study, coordinator_b: User
) -> None:
    client = token_client(coordinator_b)
    before = counts()
    area = study_a.areas.earliest("order")
    criterion = study_a.criteria.earliest("order")
    expert = study_a.experts.earliest("number")
    requests = [
        client.patch(f"/api/v1/studies/{study_a.uuid}/", {"title": "x"}, format="json"),
        client.put(f"/api/v1/studies/{study_a.uuid}/rule/", {"max_iqr": "1"}, format="json"),
        client.post("/api/v1/areas/", {"study": str(study_a.uuid), "code": "x", "title": "X"}, format="json"),
        client.patch(f"/api/v1/areas/{area.uuid}/", {"title": "x"}, format="json"),
        client.patch(f"/api/v1/criteria/{criterion.uuid}/", {"title": "x"}, format="json"),
        client.patch(f"/api/v1/experts/{expert.uuid}/", {"name": "x"}, format="json"),
        client.post("/api/v1/rounds/", {"study": str(study_a.uuid)}, format="json"),
    ]
    assert [response.status_code for response in requests] == [404] * len(requests)
    assert counts() == before


def test_items_and_panel_members_are_added_and_edited(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    area = client.post(
        "/api/v1/areas/",
        {
            "study": str(study_a.uuid),
            "code": "chips",
            "title": "Chip registries",
            "translations": {"zh-hans": {"title": "芯片登记"}},
        },
        format="json",
    )
    assert area.status_code == 201, area.json()
    assert area.json()["order"] > max(a.order for a in study_a.areas.exclude(code="chips"))
    edited = client.patch(f"/api/v1/areas/{area.json()['uuid']}/", {"is_active": False}, format="json")
    assert edited.json()["is_active"] is False
    taken = client.post(
        "/api/v1/areas/", {"study": str(study_a.uuid), "code": "CHIPS", "title": "Again"}, format="json"
    )
    assert taken.status_code == 400
    assert "code" in taken.json()["field_errors"]
    criterion = client.post(
        "/api/v1/criteria/",
        {"study": str(study_a.uuid), "code": "cost", "title": "Cost", "kind": "risk", "scale_min": 0, "scale_max": 10},
        format="json",
    )
    assert criterion.status_code == 201, criterion.json()
    assert (criterion.json()["scale_min"], criterion.json()["scale_max"]) == (0, 10)
    expert = client.post(
        "/api/v1/experts/",
        {"study": str(study_a.uuid), "email": "new@example.org", "bloc": "china", "expertise": {"chips": 4}},
        format="json",
    )
    assert expert.status_code == 201, expert.json()
    assert expert.json()["bloc"] == "China"
    assert Expert.objects.get(uuid=expert.json()["uuid"]).expertise == {"chips": 4}
    again = client.post(
        "/api/v1/experts/", {"study": str(study_a.uuid), "email": "NEW@example.org", "bloc": "China"}, format="json"
    )
    assert again.status_code == 400
    assert "email" in again.json()["field_errors"]


def test_the_rule_is_set_before_round_one_and_versioned_with_a_reason_after(
    study_a: Study, coordinator_a: User
) -> None:
    client = token_client(coordinator_a)
    url = f"/api/v1/studies/{study_a.uuid}/rule/"
    draft = client.put(url, {"max_iqr": "1.5", "band": "high", "min_percent_in_band": "70"}, format="json")
    assert draft.status_code == 200, draft.json()
    assert draft.json()["version"] == 1
    assert draft.json()["max_iqr"] == "1.50"
    round_ = make_round(study_a)
    deadline = (timezone.now() + timedelta(days=3)).isoformat()
    assert client.post(f"/api/v1/rounds/{round_.uuid}/open/", {"deadline": deadline}, format="json").status_code == 200
    refused = client.put(url, {"max_iqr": "2"}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()["field_errors"]
    changed = client.put(url, {"max_iqr": "2", "reason": "The scale was misread."}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["version"] == 2
    assert ConsensusRule.objects.filter(study=study_a).count() == 2
    empty = client.put(url, {}, format="json")
    assert empty.status_code == 400


def test_a_round_is_created_with_items_named_by_code(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    area, criterion = study_a.areas.earliest("order"), study_a.criteria.earliest("order")
    unknown = client.post(
        "/api/v1/rounds/",
        {"study": str(study_a.uuid), "items": [{"area": "nope", "criterion": criterion.code}]},
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json()["field_errors"] == {"items.0.area": ["No area of this study has this code."]}
    body = {"study": str(study_a.uuid), "items": [{"area": area.code.upper(), "criterion": str(criterion.uuid)}]}
    created = client.post("/api/v1/rounds/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["items"] == [{"area": area.code, "criterion": criterion.code}]
    assert created.json()["status"] == "draft"
    second = client.post("/api/v1/rounds/", {"study": str(study_a.uuid)}, format="json")
    assert second.status_code == 409, "a draft round is still unfinished"


def test_the_next_round_is_planned_from_a_closed_round_by_code(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    open_round = make_round(study_a, status=Round.Status.OPEN)
    item = {"area": study_a.areas.earliest("order").code, "criterion": study_a.criteria.earliest("order").code}
    url = f"/api/v1/rounds/{open_round.uuid}/plan-next/"
    assert client.post(url, {"items": [item]}, format="json").status_code == 409
    closed = round_close(round=open_round, user=coordinator_a)
    url = f"/api/v1/rounds/{closed.uuid}/plan-next/"
    planned = client.post(url, {"items": [item]}, format="json")
    assert planned.status_code == 201, planned.json()
    assert planned.json()["items"] == [item]
    other = {"area": study_a.areas.order_by("-order").first().code, "criterion": item["criterion"]}  # type: ignore[union-attr]
    replanned = client.post(url, {"items": [other]}, format="json")
    assert replanned.status_code == 201
    assert replanned.json()["uuid"] == planned.json()["uuid"], "the draft's items are replaced, no second draft"
    assert replanned.json()["items"] == [other]
    assert client.post(url, {"items": []}, format="json").status_code == 400
    assert client.post(f"/api/v1/rounds/{uuid.uuid4()}/plan-next/", {"items": [item]}, format="json").status_code == 404


def test_values_of_the_wrong_json_type_are_refused_not_converted(study_a: Study, coordinator_a: User) -> None:
    client = token_client(coordinator_a)
    before = counts()
    for path, body, field in (
        ("/api/v1/tokens/", {"name": 9007199254740992.0}, "name"),
        ("/api/v1/areas/", {"study": str(study_a.uuid), "code": "x", "title": "X", "order": "3"}, "order"),
        ("/api/v1/areas/", {"study": str(study_a.uuid), "code": "x", "title": "X", "is_active": 1}, "is_active"),
        ("/api/v1/studies/", {"title": True}, "title"),
    ):
        response = client.post(path, body, format="json")
        assert response.status_code == 400, (path, body)
        assert list(response.json()["field_errors"]) == [field]
    assert counts() == before
    rule = client.put(f"/api/v1/studies/{study_a.uuid}/rule/", {"max_iqr": 1.5}, format="json")
    assert rule.status_code == 200, "a rule's part is a JSON number or its text"
    assert rule.json()["max_iqr"] == "1.50"
