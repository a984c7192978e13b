"""The webhooks pages: add an endpoint (its secret shown once), disable, delete, the delivery log, send again."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from elicitation.models import AuditEvent, WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_process(eager_celery: None) -> None:
    """Deliveries queued by a page run in-process (they fail fast: example.org is not reached in tests)."""


def _deliveries(endpoint: WebhookEndpoint, count: int, status: str = "failed") -> None:
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=uuid.uuid4(),
            event="round.closed",
            payload={"type": "round.closed"},
            status=status,
        )
        for _ in range(count)
    )


def test_adding_an_endpoint_shows_its_secret_once(coordinator_client, study_a):
    url = reverse("study-webhooks", args=[study_a.uuid])
    data = {"url": "https://hooks.example.org/in", "events": ["round.closed", "results.ready"]}
    response = coordinator_client.post(url, data)
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get(study=study_a)
    assert endpoint.events == ["results.ready", "round.closed"]
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="webhook.create", target=str(endpoint.uuid)).exists()
    again = coordinator_client.get(url).content.decode()
    assert "https://hooks.example.org/in" in again
    assert endpoint.secret not in again, "shown only once"


def test_bad_input_is_a_400_with_field_errors_and_nothing_written(coordinator_client, study_a):
    response = coordinator_client.post(reverse("study-webhooks", args=[study_a.uuid]), {"url": "not a url"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"url", "events"}
    assert not WebhookEndpoint.objects.exists()


def test_disable_enable_and_delete(coordinator_client, study_a, coordinator_a):
    endpoint = WebhookEndpoint.objects.create(study=study_a, url="https://h.example.org/", secret="s", events=["x"])
    active = reverse("study-webhook-active", args=[study_a.uuid, endpoint.uuid])
    assert coordinator_client.post(active, {}).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    coordinator_client.post(active, {"active": "on"})
    endpoint.refresh_from_db()
    assert endpoint.is_active
    coordinator_client.post(reverse("study-webhook-delete", args=[study_a.uuid, endpoint.uuid]))
    assert not WebhookEndpoint.objects.exists()
    actions = set(AuditEvent.objects.filter(target=str(endpoint.uuid)).values_list("action", flat=True))
    assert actions == {"webhook.disable", "webhook.enable", "webhook.delete"}


def test_the_log_shows_status_attempts_and_errors_and_sends_again(coordinator_client, study_a):
    endpoint = WebhookEndpoint.objects.create(
        study=study_a, url="https://h.example.org/", secret="s", events=[WebhookEvent.ROUND_CLOSED]
    )
    failed = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event="round.closed",
        payload={"type": "round.closed"},
        status="failed",
        attempts=6,
        response_status=502,
        error="RuntimeError: the endpoint answered HTTP 502 (gave up after 6 attempts)",
    )
    page = coordinator_client.get(reverse("study-webhook-deliveries", args=[study_a.uuid, endpoint.uuid]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "502" in text
    assert "gave up after 6 attempts" in text
    assert str(failed.event_id) in text
    redeliver = reverse("study-webhook-redeliver", args=[study_a.uuid, endpoint.uuid, failed.uuid])
    assert coordinator_client.post(redeliver).status_code == 302
    again = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert again.event_id == failed.event_id


def test_a_running_delivery_is_not_sent_twice(coordinator_client, study_a):
    endpoint = WebhookEndpoint.objects.create(study=study_a, url="https://h.example.org/", secret="s", events=["x"])
    _deliveries(endpoint, 1, status="running")
    running = WebhookDelivery.objects.get()
    coordinator_client.post(reverse("study-webhook-redeliver", args=[study_a.uuid, endpoint.uuid, running.uuid]))
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("count", [1, 30])
def test_pages_take_a_fixed_number_of_queries(coordinator_client, study_a, count):
    """The same number of queries whatever the number of endpoints and deliveries (counted once, then held)."""
    for number in range(count):
        endpoint = WebhookEndpoint.objects.create(
            study=study_a, url=f"https://h{number}.example.org/", secret="s", events=["round.closed"]
        )
        _deliveries(endpoint, count)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as listing:
        assert coordinator_client.get(reverse("study-webhooks", args=[study_a.uuid])).status_code == 200
    with CaptureQueriesContext(connection) as log:
        page = reverse("study-webhook-deliveries", args=[study_a.uuid, endpoint.uuid])
        assert coordinator_client.get(page).status_code == 200
    assert (len(listing), len(log)) == QUERIES


QUERIES = (4, 5)  # session, user, membership, the rows (and the endpoint), whatever the counts
