"""Redis (broker and cache) stopped while experts save and a round closes.

Ratings are still saved and acknowledged; the aggregations that could not be sent stay queued in
the database (the live one coalesced without Redis); /healthz says the broker is down; when Redis
is back the job sweep sends them and a real worker completes them (the live one skipped: the round
closed), with the same results as an undisturbed run.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from aggregation import jobs, services
from aggregation.models import AggregationRun
from coopsurvey import jobs as job_path
from elicitation.models import Rating, Round
from elicitation.rounds.services.lifecycle import round_close
from tests.factories import make_round, save_answer
from tests.reliability.queue_faults import app_pointed_at, reset_connections, wait_for, worker_on
from tests.reliability.results import results_snapshot

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_saves_and_the_close_survive_redis_going_down_and_the_sweep_catches_up(
    private_redis, study_a, client, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the PostgreSQL test database")
    with app_pointed_at(private_redis.url):
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
        close = AggregationRun.objects.get(round=round_, trigger="close")
        assert (close.status, close.dispatched_at) == ("queued", None), "the close's aggregation is kept, not lost"
        assert AggregationRun.objects.filter(round=round_, trigger="ratings").count() == 1, "coalesced without Redis"
        health = client.get("/healthz")
        assert health.status_code == 503
        assert json.loads(health.content)["broker"]["ok"] is False
        assert jobs.stale_round_ids() == [], "the queued job is the job sweep's: no second one"
        client.force_login(study_a.coordinators.get())
        with override_settings(AGGREGATION_DISPATCH_GRACE_SECONDS=0):
            dashboard = client.get(f"/studies/{study_a.uuid}/dashboard/").content.decode()
        assert "The task queue is unreachable" in dashboard, "the dashboard says what is degraded"

        private_redis.start()
        reset_connections()
        worker = worker_on(private_redis.url, tmp_path)
        worker.start()
        try:
            AggregationRun.objects.filter(round=round_, trigger="ratings").update(not_before=timezone.now())
            assert sorted(job_path.sweep()["aggregation"]) == sorted(
                AggregationRun.objects.filter(round=round_).values_list("pk", flat=True)
            )
            finished = AggregationRun.objects.filter(round=round_, status__in=["done", "skipped"])
            wait_for(
                lambda: finished.count() == 2, timeout=90, what="both runs (the live one is skipped: round closed)"
            )
        finally:
            worker.stop()
        assert AggregationRun.objects.get(round=round_, trigger="ratings").status == "skipped"
        assert AggregationRun.objects.get(round=round_, trigger="close").status == "done"
        assert jobs.stale_round_ids() == []
        from_worker = results_snapshot(round_.pk)
        services.round_aggregate(round_id=round_.pk)
        assert results_snapshot(round_.pk) == from_worker
