"""Redis (broker and cache) stopped while experts save and a round closes.

Ratings are still saved and acknowledged; the aggregation that could not be queued is left
pending; /healthz says the broker is down; when Redis is back the sweep queues the job and a real
worker completes it, with the same results as an undisturbed run.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from kombu import pools

from aggregation import jobs, services
from aggregation.models import AggregationRun
from coopsurvey.celery import app
from elicitation.models import Rating, Round
from elicitation.rounds.services.lifecycle import round_close
from tests.factories import make_round, save_answer
from tests.reliability.results import results_snapshot
from tests.services import WorkerProcess, _database_url_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _reset_connections() -> None:
    """Drop Celery's pooled connections so the next send connects afresh (to the new URL, or after a restart)."""
    pools.reset()  # kombu keeps pools per connection address; a closed one must not be handed out again
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


def _point_app_at(url: str):
    app.conf.update(broker_url=url, result_backend=url)
    _reset_connections()
    return override_settings(
        CELERY_BROKER_URL=url,
        CELERY_TASK_ALWAYS_EAGER=False,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}},
    )


def test_saves_and_the_close_survive_redis_going_down_and_the_sweep_catches_up(
    private_redis, study_a, client, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the PostgreSQL test database")
    saved_conf = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    app.conf.task_always_eager = False
    try:
        with _point_app_at(private_redis.url):
            round_ = make_round(study_a, status=Round.Status.OPEN)
            items = list(round_.items.all())[:3]  # a few items are enough; each save meets the dead broker
            experts = list(study_a.experts.all())

            private_redis.stop()
            acknowledged = 0
            for number, expert in enumerate(experts):
                for item in items:
                    save_answer(
                        expert=expert,
                        round_id=round_.pk,
                        area_id=item.area_id,
                        criterion_id=item.criterion_id,
                        value=1 + (number + item.pk) % 9,
                    )
                    acknowledged += 1
            round_close(round=round_, user=None)

            assert Rating.objects.filter(round=round_).count() == acknowledged == len(experts) * len(items)
            pending = AggregationRun.objects.filter(round=round_, status="queued", dispatched_at__isnull=True)
            assert pending.exists(), "the close's aggregation is left pending, not lost"
            health = client.get("/healthz")
            assert health.status_code == 503
            assert json.loads(health.content)["broker"]["ok"] is False
            assert jobs.stale_round_ids() == [round_.pk]
            client.force_login(study_a.coordinators.get())
            with override_settings(AGGREGATION_DISPATCH_GRACE_SECONDS=0):
                dashboard = client.get(f"/studies/{study_a.uuid}/dashboard/").content.decode()
            assert "The task queue is unreachable" in dashboard, "the dashboard says what is degraded"

            private_redis.start()
            _reset_connections()
            env = dict(os.environ, REDIS_URL=private_redis.url, CELERY_BROKER_URL=private_redis.url)
            env |= {"CELERY_TASK_ALWAYS_EAGER": "0", "DATABASE_URL": _database_url_for(connection.settings_dict)}
            worker = WorkerProcess(env, f"redis-down-{uuid.uuid4().hex[:6]}@localhost", tmp_path / "worker.log")
            worker.start()
            try:
                assert jobs.sweep() == [round_.pk]
                deadline = time.monotonic() + 60
                while not AggregationRun.objects.filter(round=round_, status="done").exists():
                    assert time.monotonic() < deadline, worker.log_path.read_text(errors="replace")[-2000:]
                    time.sleep(0.2)
            finally:
                worker.stop()
            assert jobs.stale_round_ids() == []
            from_worker = results_snapshot(round_.pk)
            services.round_aggregate(round_id=round_.pk)
            assert results_snapshot(round_.pk) == from_worker
    finally:
        app.conf.update(broker_url=saved_conf[0], result_backend=saved_conf[1], task_always_eager=saved_conf[2])
        _reset_connections()
