"""Celery tasks of the aggregation app: thin wrappers that take ids and call one service.

``aggregate_round`` is idempotent (a run's rows are written in one transaction together with its "done"
status, and a redelivered done run is left as it is), so it is acknowledged late and re-queued when a
worker dies mid-task. ``sweep_stale_rounds`` runs periodically (``CELERY_BEAT_SCHEDULE``) and re-queues
rounds whose results are missing or stale.
"""

from __future__ import annotations

from celery import shared_task

from aggregation import jobs, services
from aggregation.models import AggregationRun


@shared_task(name="aggregation.aggregate_round", acks_late=True, reject_on_worker_lost=True)
def aggregate_round(round_id: int, run_id: int | None = None) -> int:
    """Recompute the round's results; returns the id of the run (done or skipped).

    Jobs queued by ``aggregation.jobs`` name their run, which carries its trigger; a task sent by hand
    without one counts as a command (it is not a coalesced live job, so it runs after the close too).
    """
    jobs.release_coalescing(round_id)  # ratings arriving from now on need a new job
    run = services.round_aggregate(round_id=round_id, run_id=run_id, trigger=AggregationRun.Trigger.COMMAND)
    return run.pk


@shared_task(name="aggregation.sweep_stale_rounds", acks_late=True, reject_on_worker_lost=True)
def sweep_stale_rounds() -> list[int]:
    """Re-queue every round whose results are missing or stale; returns their ids."""
    return jobs.sweep()
