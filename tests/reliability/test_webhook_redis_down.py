"""A webhook event recorded while Redis is down is kept, and delivered by a real worker once the sweep sends it."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from coopsurvey import jobs as job_path
from elicitation.models import Round, WebhookDelivery, WebhookEvent
from elicitation.rounds.services.lifecycle import round_close
from elicitation.setup.services.webhooks import webhook_endpoint_create
from tests.core.webhook_receiver import webhook_receiver
from tests.factories import make_round
from tests.reliability.queue_faults import app_pointed_at, reset_connections, wait_for, worker_on

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_round_closed_while_redis_is_down_is_delivered_when_it_is_back(
    private_redis, study_a, coordinator_a, tmp_path, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the PostgreSQL test database")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with app_pointed_at(private_redis.url), webhook_receiver() as receiver:
        round_ = make_round(study_a, status=Round.Status.OPEN)
        webhook_endpoint_create(study=study_a, url=receiver.url, events=[WebhookEvent.ROUND_CLOSED], user=coordinator_a)
        private_redis.stop()
        round_close(round=round_, user=None)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.dispatched_at) == ("queued", None), "kept in the database, not lost"
        assert delivery.error.startswith("not sent:")

        private_redis.start()
        reset_connections()
        worker = worker_on(private_redis.url, tmp_path, WEBHOOK_ALLOW_PRIVATE="1")
        worker.start()
        try:
            assert delivery.pk in job_path.sweep()["webhook"]
            done = WebhookDelivery.objects.filter(pk=delivery.pk, status="done")
            wait_for(done.exists, timeout=90, what="the worker to deliver the webhook")
        finally:
            worker.stop()
    [got] = receiver.received
    assert json.loads(got.body)["round"] == str(round_.uuid)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status) == (1, 200)
