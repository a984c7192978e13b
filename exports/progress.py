"""Live progress of running export jobs, kept in the cache.

A job reads its rows inside a database transaction, so progress written to the job's row would stay
invisible until the table is done; the cache (Redis in production) shows it at once to every process.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache

from exports.models import ExportJob

TIMEOUT_SECONDS = 6 * 3600


def _key(job_id: int) -> str:
    return f"export-job-rows:{job_id}"


def record_progress(job_id: int, rows: int) -> None:
    cache.set(_key(job_id), rows, TIMEOUT_SECONDS)


def clear_progress(job_id: int) -> None:
    cache.delete(_key(job_id))


def with_live_progress(jobs: Iterable[ExportJob]) -> None:
    """Set ``rows_written`` of the running jobs from the cache, in one cache round trip."""
    running = {j.pk: j for j in jobs if j.status == ExportJob.Status.RUNNING}
    if not running:
        return
    found = cache.get_many([_key(pk) for pk in running])
    for pk, job in running.items():
        rows = found.get(_key(pk))
        if rows is not None:
            job.rows_written = min(int(rows), job.rows_total or int(rows))
