"""Requesting aggregation: after commit, coalesced per round and interval through Redis, never raising."""

from __future__ import annotations

import json
import time

import pytest
import redis
from kombu.exceptions import OperationalError

from aggregation import jobs
from aggregation.jobs import coalescing_key, request_aggregation
from aggregation.models import AggregationRun, ItemResult
from aggregation.tasks import aggregate_round
from elicitation.models import Round, Study
from tests.factories import make_round, rate_everything


@pytest.fixture
def open_round(panel_study: Study) -> Round:
    round_ = make_round(panel_study, status=Round.Status.OPEN)
    rate_everything(round_)
    return round_


def queued_messages(client: redis.Redis) -> list[dict[str, object]]:
    """The task messages waiting in Redis (the default Celery queue)."""
    return [json.loads(raw)["headers"] for raw in client.lrange("celery", 0, -1)]


@pytest.mark.services
def test_many_requests_in_an_interval_send_one_job(open_round, redis_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(50):
            request_aggregation(round_id=open_round.pk)
    messages = queued_messages(redis_client)
    assert len(messages) == 1
    assert messages[0]["task"] == "aggregation.aggregate_round"
    assert messages[0]["eta"] is not None  # sent with the interval as countdown, to catch the whole burst
    run = AggregationRun.objects.get(round=open_round)
    assert run.status == AggregationRun.Status.QUEUED
    assert run.trigger == AggregationRun.Trigger.RATINGS
    assert run.dispatched_at is not None
    assert run.task_id == messages[0]["id"]
    assert redis_client.exists(f"cs:1:{coalescing_key(open_round.pk)}")  # the key lives in Redis


@pytest.mark.services
def test_a_new_interval_sends_a_new_job(open_round, panel_study, redis_client, django_capture_on_commit_callbacks):
    Study.objects.filter(pk=panel_study.pk).update(aggregation_interval_seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
        request_aggregation(round_id=open_round.pk)
    time.sleep(1.2)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
        request_aggregation(round_id=open_round.pk)
    assert len(queued_messages(redis_client)) == 2
    assert AggregationRun.objects.filter(round=open_round).count() == 2


@pytest.mark.services
def test_each_round_is_coalesced_on_its_own(panel_study, redis_client, django_capture_on_commit_callbacks):
    first = make_round(panel_study, status=Round.Status.CLOSED)
    second = make_round(panel_study, status=Round.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            request_aggregation(round_id=first.pk)
            request_aggregation(round_id=second.pk)
    assert len(queued_messages(redis_client)) == 2


@pytest.mark.services
def test_the_job_releases_the_interval_when_it_starts(open_round, redis_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    aggregate_round(open_round.pk)  # as a worker would run it
    # A rating saved after the job began reading must get a job of its own.
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    assert len(queued_messages(redis_client)) == 2


@pytest.mark.services
def test_immediate_requests_always_send(open_round, redis_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
        for _ in range(3):
            request_aggregation(round_id=open_round.pk, immediate=True)
    messages = queued_messages(redis_client)
    assert len(messages) == 4
    assert sum(1 for m in messages if m["eta"] is None) == 3  # the close's jobs run at once
    assert AggregationRun.objects.filter(round=open_round, trigger="close").count() == 3


@pytest.mark.services
def test_nothing_is_sent_before_the_transaction_commits(open_round, redis_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request_aggregation(round_id=open_round.pk, immediate=True)
        assert queued_messages(redis_client) == []
        assert not AggregationRun.objects.exists()
    assert len(callbacks) == 1


@pytest.mark.services
def test_a_broker_failure_is_logged_and_left_pending_for_the_sweep(
    open_round, redis_client, django_capture_on_commit_callbacks, monkeypatch, caplog, eager_celery
):
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(aggregate_round, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)  # does not raise into the caller
    run = AggregationRun.objects.get(round=open_round)
    assert run.status == AggregationRun.Status.QUEUED
    assert run.dispatched_at is None
    assert "not sent" in run.error
    assert "left pending for the sweep" in caplog.text
    assert not redis_client.exists(f"cs:1:{coalescing_key(open_round.pk)}")  # the next rating may try again
    assert jobs.stale_round_ids() == [open_round.pk]
    # The broker is back: the sweep sends it and the pending record is closed.
    monkeypatch.undo()
    assert jobs.sweep() == [open_round.pk]
    run.refresh_from_db()
    assert run.status == AggregationRun.Status.FAILED
    assert "superseded" in run.error
    done = AggregationRun.objects.get(round=open_round, trigger="sweep")
    assert done.status == AggregationRun.Status.DONE
    assert ItemResult.objects.filter(round=open_round).exists()


def test_a_request_for_a_missing_round_does_nothing(db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=987654)
    assert not AggregationRun.objects.exists()


def test_a_failing_computation_does_not_reach_the_caller(
    open_round, django_capture_on_commit_callbacks, monkeypatch, eager_celery
):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bad data")

    monkeypatch.setattr("aggregation.services._insert_rows", broken)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk, immediate=True)
    run = AggregationRun.objects.get(round=open_round)
    assert run.status == AggregationRun.Status.FAILED
    assert "bad data" in run.error


def test_a_cache_outage_is_logged_and_left_to_the_sweep(
    open_round, django_capture_on_commit_callbacks, monkeypatch, caplog
) -> None:
    def cache_down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(jobs.cache, "add", cache_down)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)  # the rating is saved; nothing raises
    assert "could not request aggregation" in caplog.text
    assert not AggregationRun.objects.exists()
    assert jobs.stale_round_ids() == [open_round.pk]  # ratings without results: the sweep will send it
