"""Every route of the app, found from the URL configuration, with URLs filled in for study A."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Django's admin has routes without names (its redirects to a change page, its catch-all 404);
# they are checked like every other, under a name made from their pattern.
UNNAMED_ALLOWED_UNDER = "admin/"


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]


def all_routes() -> list[Route]:
    """Every named route once (by name); an unnamed route is an error, so none can hide."""
    found: dict[str, Route] = {}
    for pattern, name, kwargs in _walk(get_resolver().url_patterns, "", None):
        if not name and pattern.startswith(UNNAMED_ALLOWED_UNDER):
            name = unnamed_route_name(pattern)
        if not name:
            raise AssertionError(f"the route {pattern!r} has no name; name it so it can be checked")
        found.setdefault(name, Route(name=name, pattern=pattern, kwargs=kwargs))
    return sorted(found.values(), key=lambda route: route.pattern)


def unnamed_route_name(pattern: str) -> str:
    return f"unnamed {pattern}"


def unnamed_route_url(route: Route, values: dict[str, Any]) -> str:
    """The URL of an unnamed admin route: its pattern with the values put in."""
    if route.pattern.endswith("(?P<url>.*)$"):  # the admin's catch-all
        return "/" + route.pattern.replace("(?P<url>.*)$", str(values["url"]))
    path = route.pattern
    for name in route.kwargs:
        path = path.replace(f"<path:{name}>", str(values[name]))
    return "/" + path


def _walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            kwargs = tuple(entry.pattern.regex.groupindex)
            yield prefix + str(entry.pattern), name, kwargs


@dataclass(frozen=True)
class RouteValues:
    """Objects of study A to fill every route's URL with, and the API detail routes' ``uuid`` per route."""

    values: dict[str, Any]
    per_route: dict[str, Any]
    response: Any
    job: Any


def route_values(*, study: Any, round_: Any, expert: Any, coordinator: Any) -> RouteValues:
    """Create what the routes point at (a rationale, an API token, an export job) and every URL keyword's value."""
    from django.contrib.contenttypes.models import ContentType

    from api.services import api_token_create
    from elicitation.models import AreaResponse, PilotResponse, SavedTemplate
    from exports.models import ExportJob

    area, criterion = study.areas.earliest("order"), study.criteria.earliest("order")
    question = _quantity_question(study, area)
    response = AreaResponse.objects.create(round=round_, expert=expert, area=area, rationale="Because.")
    token, _secret = api_token_create(user=coordinator, name="laptop")
    sending = email_sending(study=study, round_=round_, coordinator=coordinator)
    member = _teammate(study)
    endpoint, delivery = _webhook(study)
    job = ExportJob.objects.create(
        study=study, requested_by=coordinator, format=ExportJob.Format.CSV, table=ExportJob.Table.RATINGS
    )
    template = SavedTemplate.objects.create(owner=coordinator, title="Kept", definition={"study": {"title": "Kept"}})
    pilot = PilotResponse.objects.create(round=round_, tester=coordinator, language="en")
    values = {
        "template_uuid": template.uuid,
        "pilot_uuid": pilot.uuid,  # a pilot run of the round (issue 20)
        "token_uuid": token.uuid,
        "endpoint_uuid": endpoint.uuid,  # a webhook endpoint of study A (issue 20 item 9)
        "delivery_uuid": delivery.uuid,  # a failed delivery to it, which a coordinator may send again
        "member_uuid": member.uuid,  # an observer of study A, whose role a coordinator may change
        "job_uuid": job.uuid,
        "table": "ratings",
        "response_id": response.pk,
        "study_uuid": study.uuid,
        "area_uuid": area.uuid,
        "criterion_uuid": criterion.uuid,
        "expert_uuid": expert.uuid,
        "round_uuid": round_.uuid,
        "round_number": round_.number,
        "round_id": round_.pk,
        "chart": "map",  # the dashboard's chart downloads
        # Django's admin: the coordinator's user (and its content type), the auth app.
        "object_id": coordinator.pk,
        "id": coordinator.pk,
        "content_type_id": ContentType.objects.get_for_model(coordinator).pk,
        "app_label": "auth",
        "url": "no-such-page/",  # the admin's catch-all
        "question_uuid": question.uuid,  # a quantity question (issue 19)
        "kind": "dtt",  # an EXCALIBUR case file
        "quantity_table": "pooled",  # a table of the quantity results
        "provider_id": "uni",  # an OpenID Connect provider (none is configured here: tests/core/ has one)
    }
    # API detail routes all call their key "uuid"; each names a different kind of object.
    per_route = {
        "api-v1:study-detail": study.uuid,
        "api-v1:study-table": study.uuid,
        "api-v1:area-detail": area.uuid,
        "api-v1:criterion-detail": criterion.uuid,
        "api-v1:expert-detail": expert.uuid,
        "api-v1:round-detail": round_.uuid,
        "api-v1:export-detail": job.uuid,
        "api-v1:export-download": job.uuid,
        "api-v1:round-open": round_.uuid,
        "api-v1:round-close": round_.uuid,
        "api-v1:study-experts-import": study.uuid,
        "api-v1:study-rule": study.uuid,
        "api-v1:round-plan-next": round_.uuid,
        "api-v1:round-invitations": round_.uuid,
        "api-v1:round-reminders": round_.uuid,
        "api-v1:email-job-detail": sending,
        "api-v1:study-results-summary": study.uuid,
        "api-v1:token-revoke": token.uuid,
        # Study reuse, scheduling and pilot runs (issue 20).
        "api-v1:study-duplicate": study.uuid,
        "api-v1:study-save-template": study.uuid,
        "api-v1:study-definition": study.uuid,
        "api-v1:template-detail": template.uuid,
        "api-v1:template-start": template.uuid,
        "api-v1:round-schedule": round_.uuid,
        "api-v1:round-pilot-runs": round_.uuid,
        "api-v1:pilot-run-detail": pilot.uuid,
        # Between rounds (issue 20 item 10).
        "api-v1:study-add-area": study.uuid,
        "api-v1:study-suggestions": study.uuid,
        "api-v1:area-reword": area.uuid,
        "api-v1:expert-erase": expert.uuid,
        "api-v1:round-rationales": round_.uuid,
        "api-v1:rationale-hide": response.uuid,
        "api-v1:rationale-unhide": response.uuid,
        "api-v1:rationale-translation": response.uuid,
        "api-v1:round-messages": round_.uuid,
        "api-v1:round-email-preview": round_.uuid,
        "api-v1:round-deadline": round_.uuid,
    }
    return RouteValues(values=values, per_route=per_route, response=response, job=job)


def email_sending(*, study: Any, round_: Any, coordinator: Any) -> Any:
    """The id of a sending of invitations in study A, as the API answers it (its audit event names it)."""
    import uuid

    from core.audit import audit

    batch = uuid.uuid4()
    audit(
        action="invitations.send",
        study=study,
        user=coordinator,
        target=f"round {round_.number}",
        round_id=round_.pk,
        experts=0,
        batch=str(batch),
    )
    return batch


def _teammate(study: Any) -> Any:
    """An observer of study A (issue 20): the member the team's routes point at."""
    from django.contrib.auth import get_user_model

    from elicitation.models import StudyMember

    user = get_user_model().objects.create_user(username="teammate", password="pw-for-tests-123")
    return StudyMember.objects.create(study=study, user=user, role=StudyMember.Role.OBSERVER)


def _webhook(study: Any) -> tuple[Any, Any]:
    """A webhook endpoint of study A and one failed delivery to it."""
    import uuid

    from elicitation.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    endpoint = WebhookEndpoint.objects.create(
        study=study, url="https://hooks.example.org/in", secret="whsec_test", events=[WebhookEvent.ROUND_CLOSED]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event=WebhookEvent.ROUND_CLOSED,
        payload={"type": "round.closed"},
        status=WebhookDelivery.Status.FAILED,
        attempts=6,
    )
    return endpoint, delivery


def _quantity_question(study: Any, area: Any) -> Any:
    """A seed quantity question of study A (issue 19), with the study's format."""
    from quantities.models import QuantityFormat, QuantityQuestion

    QuantityFormat.objects.get_or_create(study=study)
    return QuantityQuestion.objects.create(
        study=study, area=area, code="seed1", title="Papers in 2025", is_seed=True, lower_bound=0
    )
