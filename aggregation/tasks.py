"""Celery tasks of the aggregation app: thin wrappers that take ids and call one service.

``aggregate_round`` runs one ``AggregationRun`` on the durable job path (``coopsurvey.jobs.run``): claimed
once, under a lease, retried a bounded number of times. It is idempotent (a run's rows are written in one
transaction together with its "done" status, and a redelivered finished run is left as it is).
``sweep_stale_rounds`` runs periodically (``CELERY_BEAT_SCHEDULE``) and queues rounds whose results are
missing or stale.
"""

from __future__ import annotations

from celery import shared_task

from aggregation import jobs as aggregation_jobs
from coopsurvey import jobs


@shared_task(name="aggregation.aggregate_round", acks_late=True, reject_on_worker_lost=True)
def aggregate_round(run_id: int) -> str:
    """Compute the run's round (or skip a live run with nothing new); returns the run's status."""
    return jobs.run("aggregation", run_id, aggregation_jobs.run_job)


@shared_task(name="aggregation.sweep_stale_rounds", acks_late=True, reject_on_worker_lost=True)
def sweep_stale_rounds() -> list[int]:
    """Queue a job for every round whose results are missing or stale; returns their ids."""
    return aggregation_jobs.sweep()
