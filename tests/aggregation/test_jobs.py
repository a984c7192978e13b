"""Requesting aggregation: after commit, coalesced per round in the database, sent by the sweep, never raising."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from kombu.exceptions import OperationalError

from aggregation import jobs
from aggregation.jobs import coalescing_key, request_aggregation
from aggregation.models import AggregationRun, ItemResult
from aggregation.services import round_aggregate
from aggregation.tasks import aggregate_round
from coopsurvey import jobs as job_path
from elicitation.models import Rating, Round, Study
from tests.factories import make_round, rate_everything


@pytest.fixture
def open_round(panel_study: Study) -> Round:
    round_ = make_round(panel_study, status=Round.Status.OPEN)
    rate_everything(round_)
    return round_


def queued_messages(client: redis.Redis) -> list[dict[str, object]]:
    """The task messages waiting in Redis (the default Celery queue)."""
    return [json.loads(raw)["headers"] for raw in client.lrange("celery", 0, -1)]


def make_due(round_: Round) -> None:
    AggregationRun.objects.filter(round=round_, status="queued").update(not_before=timezone.now())


@pytest.mark.services
def test_many_requests_in_an_interval_record_one_run_that_waits_in_the_database(
    open_round, redis_client, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(50):
            request_aggregation(round_id=open_round.pk)
    assert queued_messages(redis_client) == [], "no delayed task is handed to the broker"
    run = AggregationRun.objects.get(round=open_round)
    assert (run.status, run.trigger, run.dispatched_at) == ("queued", "ratings", None)
    assert run.not_before is not None
    assert run.not_before >= before + timedelta(seconds=open_round.study.aggregation_interval_seconds)
    assert redis_client.exists(f"cs:1:{coalescing_key(open_round.pk)}")  # the key lives in Redis
    assert job_path.sweep()["aggregation"] == [], "not due yet"


@pytest.mark.services
def test_the_sweep_sends_the_run_when_it_is_due_without_an_eta(
    open_round, redis_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    make_due(open_round)
    run = AggregationRun.objects.get(round=open_round)
    assert job_path.sweep()["aggregation"] == [run.pk]
    messages = queued_messages(redis_client)
    assert [(m["task"], m["eta"]) for m in messages] == [("aggregation.aggregate_round", None)]
    assert messages[0]["timelimit"] == [990, 900]  # hard and soft limits travel with the message
    run.refresh_from_db()
    assert run.dispatched_at is not None
    assert run.task_id == messages[0]["id"]
    assert job_path.sweep()["aggregation"] == [], "sent once"


@pytest.mark.services
def test_a_new_run_is_recorded_only_once_the_waiting_one_has_started(
    open_round, panel_study, redis_client, django_capture_on_commit_callbacks
):
    Study.objects.filter(pk=panel_study.pk).update(aggregation_interval_seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    redis_client.delete(f"cs:1:{coalescing_key(open_round.pk)}")  # the interval passed
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    assert AggregationRun.objects.filter(round=open_round).count() == 1, "one run waits per round"
    AggregationRun.objects.filter(round=open_round).update(status="running")
    redis_client.delete(f"cs:1:{coalescing_key(open_round.pk)}")
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    assert AggregationRun.objects.filter(round=open_round).count() == 2


@pytest.mark.services
def test_each_round_is_coalesced_on_its_own(panel_study, redis_client, django_capture_on_commit_callbacks):
    first = make_round(panel_study, status=Round.Status.CLOSED)
    second = make_round(panel_study, status=Round.Status.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            request_aggregation(round_id=first.pk)
            request_aggregation(round_id=second.pk)
    assert (
        AggregationRun.objects.filter(round=first).count() == AggregationRun.objects.filter(round=second).count() == 1
    )


@pytest.mark.services
def test_the_job_releases_the_interval_when_it_starts(
    open_round, redis_client, django_capture_on_commit_callbacks, eager_celery
):
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    run = AggregationRun.objects.get(round=open_round)
    assert aggregate_round(run.pk) == "done"  # as a worker would run it
    assert not redis_client.exists(f"cs:1:{coalescing_key(open_round.pk)}")
    # A rating saved after the job began reading gets a job of its own.
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
    assert AggregationRun.objects.filter(round=open_round, status="queued").count() == 1


@pytest.mark.services
def test_immediate_requests_always_send_at_once(open_round, redis_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk)
        for _ in range(3):
            request_aggregation(round_id=open_round.pk, immediate=True)
    messages = queued_messages(redis_client)
    assert len(messages) == 3
    assert all(m["eta"] is None for m in messages)
    assert AggregationRun.objects.filter(round=open_round, trigger="close", dispatched_at__isnull=False).count() == 3


@pytest.mark.services
def test_nothing_is_sent_before_the_transaction_commits(open_round, redis_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request_aggregation(round_id=open_round.pk, immediate=True)
        assert queued_messages(redis_client) == []
        assert not AggregationRun.objects.exists()
    assert len(callbacks) == 1


def test_a_broker_failure_is_logged_and_left_queued_for_the_sweep(
    open_round, django_capture_on_commit_callbacks, monkeypatch, caplog, eager_celery
):
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    monkeypatch.setattr(aggregate_round, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk, immediate=True)  # does not raise into the caller
    run = AggregationRun.objects.get(round=open_round)
    assert (run.status, run.dispatched_at) == ("queued", None)
    assert "not sent: OperationalError" in run.error
    assert "stays queued for the sweep" in caplog.text
    assert jobs.stale_round_ids() == [], "the job sweep owns it: no second job"
    assert job_path.sweep()["aggregation"] == [], "still down: nothing sent"
    monkeypatch.undo()  # the broker is back
    assert job_path.sweep()["aggregation"] == [run.pk]
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == ("done", 1, "")
    assert ItemResult.objects.filter(run=run).exists()


def test_a_request_for_a_missing_round_does_nothing(db, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=987654)
    assert not AggregationRun.objects.exists()


def test_a_failing_computation_is_retried_with_back_off_then_fails(
    open_round, django_capture_on_commit_callbacks, monkeypatch, eager_celery
):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bad data")

    monkeypatch.setattr("aggregation.services._insert_rows", broken)
    with django_capture_on_commit_callbacks(execute=True):
        request_aggregation(round_id=open_round.pk, immediate=True)  # does not reach the caller
    run = AggregationRun.objects.get(round=open_round)
    assert (run.status, run.attempts) == ("queued", 1)
    assert "bad data" in run.error
    assert run.not_before is not None
    assert run.not_before > timezone.now() + timedelta(seconds=5), "the retry waits in the database"
    for attempt in (2, 3):
        AggregationRun.objects.filter(pk=run.pk).update(not_before=timezone.now())
        assert job_path.sweep()["aggregation"] == [run.pk]
        run.refresh_from_db()
        assert run.attempts == attempt
    assert run.status == "failed"
    assert "gave up after 3 attempts" in run.error
    assert job_path.sweep()["aggregation"] == []


def test_a_cache_outage_coalesces_in_the_database(
    open_round, django_capture_on_commit_callbacks, monkeypatch, caplog
) -> None:
    def cache_down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(jobs.cache, "add", cache_down)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            request_aggregation(round_id=open_round.pk)  # the rating is saved; nothing raises
    assert "coalesced in the database alone" in caplog.text
    assert AggregationRun.objects.filter(round=open_round, status="queued").count() == 1


def test_a_live_job_finding_the_round_closed_does_nothing(open_round, monkeypatch, eager_celery) -> None:
    live = AggregationRun.objects.create(round=open_round, trigger="ratings", requested_at=timezone.now())
    Round.objects.filter(pk=open_round.pk).update(status=Round.Status.CLOSED)
    monkeypatch.setattr("aggregation.services.read_inputs", pytest.fail)  # not even a read
    assert aggregate_round(live.pk) == "skipped"
    live.refresh_from_db()
    assert live.error == "the round is closed: its close job stores the final results"


def test_a_live_job_finding_the_current_run_up_to_date_does_nothing(open_round, monkeypatch, eager_celery) -> None:
    current = round_aggregate(round_id=open_round.pk)
    live = AggregationRun.objects.create(round=open_round, trigger="ratings", requested_at=timezone.now())
    with monkeypatch.context() as patched:
        patched.setattr("aggregation.services.read_inputs", pytest.fail)
        assert aggregate_round(live.pk) == "skipped"
    live.refresh_from_db()
    assert live.error == f"run {current.pk} already holds the results of these ratings"
    # A changed rating is new work.
    rating = Rating.objects.filter(round=open_round).first()
    assert rating is not None
    rating.value = 1 if rating.value != 1 else 2
    rating.save()
    again = AggregationRun.objects.create(round=open_round, trigger="ratings", requested_at=timezone.now())
    assert aggregate_round(again.pk) == "done"
