"""Webhooks (issue 20 item 9): signed deliveries to a real HTTP server, retries, SSRF refusal, the events."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from coopsurvey import jobs
from core import webhooks
from elicitation.models import AuditEvent, WebhookDelivery, WebhookEvent
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.webhooks import (
    webhook_delivery_redeliver,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
)
from exports.models import ExportJob
from exports.services import export_job_run
from tests.core.webhook_receiver import webhook_receiver
from tests.factories import make_round, open_round, rate_everything

pytestmark = pytest.mark.django_db

ALL_EVENTS = list(WebhookEvent.values)
CLOSED = [WebhookEvent.ROUND_CLOSED]


@pytest.fixture(autouse=True)
def _in_process(eager_celery: None, settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver listens on the loopback address
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The verification snippet of docs/webhooks.md, word for word."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, fields["v1"])


def later(hours: int = 2) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


def test_a_closed_round_is_posted_signed_with_the_event_and_public_ids(
    study_a, coordinator_a, django_capture_on_commit_callbacks
):
    round_ = make_round(study_a, status="open")
    with webhook_receiver() as receiver:
        endpoint, secret = webhook_endpoint_create(
            study=study_a, url=receiver.url, events=[WebhookEvent.ROUND_CLOSED], user=coordinator_a
        )
        with django_capture_on_commit_callbacks(execute=True):
            round_close(round=round_, user=coordinator_a)
    assert secret.startswith("whsec_")
    assert endpoint.secret == secret
    [got] = receiver.received
    assert verify(secret, got.headers["X-Coopsurvey-Signature"], got.body)
    assert not verify("whsec_another", got.headers["X-Coopsurvey-Signature"], got.body)
    assert not verify(secret, got.headers["X-Coopsurvey-Signature"], got.body.replace(b"closed", b"opened"))
    payload = json.loads(got.body)
    delivery = WebhookDelivery.objects.get()
    assert payload["type"] == "round.closed" == got.headers["X-Coopsurvey-Event"]
    assert payload["id"] == str(delivery.event_id)
    assert payload["study"] == str(study_a.uuid)
    assert payload["round"] == str(round_.uuid)
    assert payload["round_number"] == round_.number
    assert dt.datetime.fromisoformat(payload["occurred_at"]) <= timezone.now()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("done", 1, 200)
    assert str(round_.pk) not in {str(value) for value in payload.values()} - {str(round_.number)}


def test_a_500_is_retried_after_a_back_off_then_delivered(study_a, coordinator_a, django_capture_on_commit_callbacks):
    round_ = make_round(study_a, status="open")
    with webhook_receiver(answers=[500]) as receiver:
        webhook_endpoint_create(study=study_a, url=receiver.url, events=CLOSED, user=coordinator_a)
        with django_capture_on_commit_callbacks(execute=True):
            round_close(round=round_, user=None)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("queued", 1, 500)
        assert delivery.not_before is not None
        assert delivery.not_before > timezone.now(), "a back-off, not at once"
        assert jobs.sweep()["webhook"] == [], "not before its back-off"
        assert jobs.sweep(now=delivery.not_before + dt.timedelta(seconds=1))["webhook"] == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("done", 2, 200)
    first, second = receiver.received
    assert first.body == second.body, "the same event, the same bytes"
    assert first.headers["X-Coopsurvey-Delivery"] == second.headers["X-Coopsurvey-Delivery"]


def test_it_gives_up_after_the_kinds_attempts_with_the_reason(
    study_a, coordinator_a, django_capture_on_commit_callbacks
):
    round_ = make_round(study_a, status="open")
    attempts = jobs.KINDS["webhook"].max_attempts
    with webhook_receiver(answers=[503] * 20) as receiver:
        webhook_endpoint_create(study=study_a, url=receiver.url, events=CLOSED, user=coordinator_a)
        with django_capture_on_commit_callbacks(execute=True):
            round_close(round=round_, user=None)
        delivery = WebhookDelivery.objects.get()
        moment = timezone.now()
        for _ in range(attempts + 2):
            moment += dt.timedelta(hours=1)
            jobs.sweep(now=moment)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", attempts)
    assert "HTTP 503" in delivery.error
    assert f"gave up after {attempts} attempts" in delivery.error
    assert len(receiver.received) == attempts


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_private_loopback_and_link_local_addresses_are_refused_without_retries(
    host, study_a, coordinator_a, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    round_ = make_round(study_a, status="open")
    with webhook_receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://{host}:{port}/hooks/in"
        webhook_endpoint_create(study=study_a, url=url, events=CLOSED, user=coordinator_a)
        with django_capture_on_commit_callbacks(execute=True):
            round_close(round=round_, user=None)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "private or reserved address" in delivery.error
    assert receiver.received == [], "nothing reached the internal address"


def test_public_addresses_pass_the_check():
    with override_settings(WEBHOOK_ALLOW_PRIVATE=False):
        assert webhooks.public_address("93.184.215.14", 443) == "93.184.215.14"
        with pytest.raises(webhooks.Refused):
            webhooks.public_address("100.64.0.1", 443)  # carrier-grade NAT: not public either


def test_round_opened_fires_only_for_endpoints_that_subscribed_and_are_enabled(
    study_a, coordinator_a, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        opened, _ = webhook_endpoint_create(
            study=study_a, url=receiver.url, events=[WebhookEvent.ROUND_OPENED], user=coordinator_a
        )
        webhook_endpoint_create(study=study_a, url=receiver.url, events=[WebhookEvent.EXPORT_DONE], user=coordinator_a)
        disabled, _ = webhook_endpoint_create(study=study_a, url=receiver.url, events=ALL_EVENTS, user=coordinator_a)
        webhook_endpoint_set_active(endpoint=disabled, active=False, user=coordinator_a)
        with django_capture_on_commit_callbacks(execute=True):
            round_ = open_round(study_a, user=coordinator_a)
    [got] = receiver.received
    payload = json.loads(got.body)
    assert (payload["type"], payload["round"]) == ("round.opened", str(round_.uuid))
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [opened.pk]


def test_results_ready_fires_when_the_closed_rounds_results_are_stored(
    study_a, coordinator_a, django_capture_on_commit_callbacks
):
    round_ = make_round(study_a, status="open")
    rate_everything(round_)
    with webhook_receiver() as receiver:
        webhook_endpoint_create(
            study=study_a, url=receiver.url, events=[WebhookEvent.RESULTS_READY], user=coordinator_a
        )
        with django_capture_on_commit_callbacks(execute=True):
            round_close(round=round_, user=None)
    from aggregation.models import AggregationRun

    run = AggregationRun.objects.get(round=round_, is_current=True)
    assert run.is_published
    [got] = receiver.received
    payload = json.loads(got.body)
    assert (payload["type"], payload["round"], payload["run"]) == ("results.ready", str(round_.uuid), str(run.uuid))


def test_export_done_fires_when_the_file_is_written(
    study_a, coordinator_a, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    make_round(study_a, status="closed")
    job = ExportJob.objects.create(
        study=study_a, requested_by=coordinator_a, format=ExportJob.Format.CSV, table=ExportJob.Table.RATINGS
    )
    with webhook_receiver() as receiver:
        webhook_endpoint_create(study=study_a, url=receiver.url, events=[WebhookEvent.EXPORT_DONE], user=coordinator_a)
        with django_capture_on_commit_callbacks(execute=True):
            export_job_run(job_id=job.pk)
    [got] = receiver.received
    payload = json.loads(got.body)
    assert (payload["type"], payload["export"], payload["format"]) == ("export.done", str(job.uuid), "csv")


def test_redeliver_sends_the_same_event_again_and_is_audited(
    study_a, coordinator_a, django_capture_on_commit_callbacks
):
    round_ = make_round(study_a, status="open")
    with webhook_receiver() as receiver:
        webhook_endpoint_create(study=study_a, url=receiver.url, events=CLOSED, user=coordinator_a)
        with django_capture_on_commit_callbacks(execute=True):
            round_close(round=round_, user=None)
        first = WebhookDelivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            again = webhook_delivery_redeliver(delivery=first, user=coordinator_a)
    again.refresh_from_db()
    assert again.status == "done"
    assert again.event_id == first.event_id
    assert again.pk != first.pk
    assert json.loads(receiver.received[0].body) == json.loads(receiver.received[1].body)
    assert AuditEvent.objects.filter(action="webhook.redeliver", target=str(again.uuid)).exists()


def test_a_bad_url_or_no_event_is_refused_with_field_errors_and_nothing_written(study_a, coordinator_a):
    from core.errors import InvalidInput
    from elicitation.models import WebhookEndpoint

    with pytest.raises(InvalidInput) as refused:
        webhook_endpoint_create(study=study_a, url="ftp://example.org/", events=[], user=coordinator_a)
    assert set(refused.value.field_errors) == {"url", "events"}
    with pytest.raises(InvalidInput):
        webhook_endpoint_create(study=study_a, url="https://example.org/", events=["nope"], user=coordinator_a)
    assert not WebhookEndpoint.objects.exists()
