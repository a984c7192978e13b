"""A whole study driven through the API alone, as a client written from the OpenAPI schema would.

Create a token and a study, its areas, criteria, rule and panel; create, open and invite a round (the
invitations go out through the durable job path, and the experts read their links from the emails);
each expert consents, rates every item, gives reasons, may suggest an area, and submits; the coordinator
closes the round, reads results that name their run and say they are final, and takes the steps between
rounds: moderates the reasons, rewords an area, plans the next round by item codes, adds the suggested area,
writes the round's message and previews its email, opens it and extends its deadline. Only public ids are
used, and no page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from elicitation.models import AreaRevision, AuditEvent, Participation, Rating, Round
from tests.factories import make_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/e/([A-Za-z0-9_-]{20,})/")
BLOCS = ["North", "South"]
VALUES = {"benefit": [8, 8, 9, 8, 7, 8], "risk": [2, 3, 2, 2, 3, 2]}


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any, eager_celery: None) -> Callable[..., Any]:
    """Run a request and then what it queued for after its commit (emails, aggregation), as a worker would."""

    def call(request: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return request(*args, **kwargs)

    return call


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return dict(response.json())


def test_a_client_drives_a_whole_study_through_the_api(run_on_commit: Callable[..., Any]) -> None:
    user = make_user("carol")
    # A token from the signed-in session; its secret is in the answer's body, once.
    session = APIClient()
    session.force_login(user)
    token = ok(session.post("/api/v1/tokens/", {"name": "analysis scripts"}, format="json"), 201)
    assert token["secret"].startswith(token["prefix"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token['secret']}")

    study = ok(api.post("/api/v1/studies/", {"title": "Compute governance"}, format="json"), 201)
    study_id = study["uuid"]
    assert study["title"] == "Compute governance"
    ok(api.patch(f"/api/v1/studies/{study_id}/", {"languages": ["en"], "blocs": BLOCS}, format="json"))
    for code, title in (("registries", "Chip registries"), ("evals", "Shared evaluations")):
        ok(api.post("/api/v1/areas/", {"study": study_id, "code": code, "title": title}, format="json"), 201)
    for code, kind in (("benefit", "benefit"), ("risk", "risk")):
        body = {"study": study_id, "code": code, "title": code.title(), "kind": kind, "scale_min": 1, "scale_max": 9}
        ok(api.post("/api/v1/criteria/", body, format="json"), 201)
    rule = ok(api.put(f"/api/v1/studies/{study_id}/rule/", {"max_iqr": "2"}, format="json"))
    assert rule["version"] == 1
    for number in range(6):
        body = {"study": study_id, "email": f"e{number}@example.org", "bloc": BLOCS[number % 2], "language": "en"}
        ok(api.post("/api/v1/experts/", body, format="json"), 201)

    round_ = ok(api.post("/api/v1/rounds/", {"study": study_id}, format="json"), 201)
    assert round_["number"] == 1
    assert len(round_["items"]) == 4
    deadline = (timezone.now() + timedelta(days=7)).isoformat()
    ok(api.post(f"/api/v1/rounds/{round_['uuid']}/open/", {"deadline": deadline}, format="json"))

    sending = ok(run_on_commit(api.post, f"/api/v1/rounds/{round_['uuid']}/invitations/", {}, format="json"), 202)
    assert sending["messages"] == 6
    progress = ok(api.get(f"/api/v1/email-jobs/{sending['job']}/"))
    assert (progress["status"], progress["sent"], progress["kind"]) == ("done", 6, "invitation")
    links = {message.to[0]: LINK.search(str(message.body)).group(1) for message in mail.outbox}  # type: ignore[union-attr]
    assert len(links) == 6

    for index, secret in enumerate(sorted(links.values())):
        expert = APIClient()
        expert.credentials(HTTP_AUTHORIZATION=f"Invitation {secret}")
        assert ok(expert.get("/api/v1/me/consent/"))["consented_on"] is None
        ok(expert.post("/api/v1/me/consent/", {"consent": True}, format="json"))
        form = ok(expert.get("/api/v1/me/ratings/"))
        refused = expert.post("/api/v1/me/submit/", {}, format="json")
        assert refused.status_code == 400
        assert "items.registries.benefit" in refused.json()["field_errors"]
        answers = [
            {"area": item["area"], "criterion": item["criterion"], "value": VALUES[item["criterion_code"]][index]}
            for item in form["items"]
        ]
        ok(run_on_commit(expert.put, "/api/v1/me/ratings/", {"answers": answers}, format="json"))
        area = next(item["area"] for item in form["items"] if item["area_code"] == "registries")
        reason = {"area": area, "confidence": 4, "rationale": f"Reason {index}: registries exist for chips."}
        ok(run_on_commit(expert.put, "/api/v1/me/reasons/", {"reasons": [reason]}, format="json"))
        if index == 0:
            ok(expert.post("/api/v1/me/suggestions/", {"text": "Joint red-teaming"}, format="json"), 201)
        submitted = ok(run_on_commit(expert.post, "/api/v1/me/submit/", {}, format="json"))
        assert submitted["submitted_on"] == timezone.now().date().isoformat()

    rows = ok(api.get("/api/v1/participation/", {"study": study_id}))["results"]
    assert len(rows) == 6
    assert all(row["submitted_on"] for row in rows)

    ok(run_on_commit(api.post, f"/api/v1/rounds/{round_['uuid']}/close/"))
    results = ok(api.get("/api/v1/aggregates/", {"study": study_id, "rounds": 1, "group": ""}))["results"]
    assert len(results) == 4
    assert {(row["state"], row["final"]) for row in results} == {("final", True)}
    assert len({row["run"] for row in results}) == 1
    assert all(row["plan_version"] == 1 and row["snapshot_revision"] for row in results)
    assert {row["area_code"] for row in results} == {"registries", "evals"}
    assert all(row["consensus"] is True for row in results), results

    # Between rounds: moderate the reasons before they are shown as feedback.
    rationales = ok(api.get(f"/api/v1/rounds/{round_['uuid']}/rationales/"))["results"]
    assert len(rationales) == 6
    assert {row["area_code"] for row in rationales} == {"registries"}
    hidden = ok(api.post(f"/api/v1/rationales/{rationales[0]['uuid']}/hide/", {"reason": "off topic"}, format="json"))
    assert hidden["hidden"] is True

    # Reword an area experts have seen, plan the next round, and add the area an expert suggested.
    registries = next(row["area"] for row in rationales)
    body = {"title": "National chip registries", "description": "Who holds which accelerators."}
    ok(api.post(f"/api/v1/areas/{registries}/reword/", body, format="json"))
    plan = {"items": [{"area": "evals", "criterion": "risk"}, {"area": "registries", "criterion": "benefit"}]}
    following = ok(api.post(f"/api/v1/rounds/{round_['uuid']}/plan-next/", plan, format="json"), 201)
    assert (following["number"], following["status"]) == (2, "draft")
    assert sorted(following["items"], key=str) == sorted(plan["items"], key=str)
    (suggestion,) = ok(api.get(f"/api/v1/studies/{study_id}/suggestions/"))["results"]
    assert (suggestion["text"], suggestion["areas"]) == ("Joint red-teaming", [])
    added = {"title": suggestion["text"], "suggestions": [suggestion["uuid"]]}
    area = ok(api.post(f"/api/v1/studies/{study_id}/add-area/", added, format="json"), 201)
    assert ok(api.get(f"/api/v1/studies/{study_id}/suggestions/"))["results"][0]["areas"] == [area["code"]]
    following = ok(api.get(f"/api/v1/rounds/{following['uuid']}/"))
    assert {item["area"] for item in following["items"]} == {"evals", "registries", area["code"]}

    # The round's message, and exactly what experts will receive; then open it and extend its deadline.
    message = {"messages": {"en": "One area was reworded and one added, as you suggested."}}
    ok(api.put(f"/api/v1/rounds/{following['uuid']}/messages/", message, format="json"))
    preview = ok(api.get(f"/api/v1/rounds/{following['uuid']}/email-preview/", {"language": "en"}))
    assert message["messages"]["en"] in preview["text"]
    assert "National chip registries" in preview["text"]  # what changed since round 1
    first_deadline = ok(api.post(f"/api/v1/rounds/{following['uuid']}/open/", {"deadline": deadline}, format="json"))[
        "deadline"
    ]
    extended = (timezone.now() + timedelta(days=14)).isoformat()
    opened = ok(api.post(f"/api/v1/rounds/{following['uuid']}/deadline/", {"deadline": extended}, format="json"))
    assert opened["status"] == "open"
    assert opened["deadline"] > first_deadline
    first_round_rows = ok(api.get("/api/v1/participation/", {"study": study_id, "rounds": "1"}))["results"]
    assert len(first_round_rows) == 6

    # Everything was written, by the API's callers, through the services that audit.
    assert Rating.objects.filter(round__uuid=round_["uuid"]).count() == 24
    assert Participation.objects.filter(round__uuid=round_["uuid"], submitted_at__isnull=False).count() == 6
    assert Round.objects.filter(study__uuid=study_id).count() == 2
    assert AreaRevision.objects.filter(area__uuid=registries, new_title="National chip registries").count() == 1
    actions = set(AuditEvent.objects.filter(study__uuid=study_id).values_list("action", flat=True))
    assert {"study.created", "area.created", "criterion.created", "expert.added", "round.create"} <= actions
    assert {"round.open", "invitations.send", "expert.consented", "round.submitted", "round.close"} <= actions
    assert {"answers.area_saved", "suggestion.added", "rationale.hide", "area.reword", "area.add"} <= actions
    assert {"round.messages", "round.deadline"} <= actions
