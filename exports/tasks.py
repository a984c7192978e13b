"""Celery tasks of the exports: thin, they take an id and call one service on the durable job path."""

from __future__ import annotations

from celery import shared_task

from coopsurvey import jobs
from exports.services import export_job_run


def _build(job_id: int) -> None:
    export_job_run(job_id=job_id)


@shared_task(name="exports.export_job_run", acks_late=True, reject_on_worker_lost=True)
def export_job_run_task(job_id: int) -> str:
    """Build an export job's file. Idempotent: running it again rebuilds the same file."""
    return jobs.run("export", job_id, _build)
