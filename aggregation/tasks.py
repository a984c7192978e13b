"""Celery tasks of the aggregation app: thin wrappers that take ids and call one service.

``aggregate_round`` is idempotent (it replaces the round's result rows in one transaction), so it is
acknowledged late and re-queued when a worker dies mid-task. ``sweep_stale_rounds`` runs periodically
(``CELERY_BEAT_SCHEDULE``) and re-queues rounds whose results are missing or stale.
"""

from __future__ import annotations

from celery import shared_task

from aggregation import jobs, services
from aggregation.models import AggregationRun


@shared_task(name="aggregation.aggregate_round", acks_late=True, reject_on_worker_lost=True)
def aggregate_round(round_id: int, run_id: int | None = None) -> int:
    """Recompute the round's results; returns the id of the (done) run."""
    jobs.release_coalescing(round_id)  # ratings arriving from now on need a new job
    run = services.round_aggregate(round_id=round_id, run_id=run_id, trigger=AggregationRun.Trigger.RATINGS)
    return run.pk


@shared_task(name="aggregation.sweep_stale_rounds", acks_late=True, reject_on_worker_lost=True)
def sweep_stale_rounds() -> list[int]:
    """Re-queue every round whose results are missing or stale; returns their ids."""
    return jobs.sweep()
