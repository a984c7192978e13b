"""Celery tasks of the exports: thin, they take an id and call one service."""

from __future__ import annotations

from celery import shared_task

from exports.services import export_job_run


@shared_task(name="exports.export_job_run", acks_late=True)
def export_job_run_task(job_id: int) -> str:
    """Build an export job's file. Idempotent: running it again rebuilds the same file."""
    return export_job_run(job_id=job_id).status
