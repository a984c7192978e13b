"""A Celery worker killed with SIGKILL in the middle of an aggregation: the job runs again, same results.

The test holds the round's results lock (the PostgreSQL advisory lock that serialises aggregation
jobs) from its own connection, so the job stops after reading and computing, just before writing:
the middle of the job, every time, without any test hook in the code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psycopg
import pytest
from django.db import connection

from aggregation import jobs, services
from aggregation.models import AggregationRun
from elicitation.models import Round
from tests.factories import make_round, rate_everything
from tests.reliability.results import results_snapshot
from tests.services import WorkerProcess, _database_url_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _run_status(run_id: int) -> str:
    return AggregationRun.objects.filter(pk=run_id).values_list("status", flat=True).get()


def _pool_children(worker: WorkerProcess) -> list[int]:
    assert worker.process is not None
    out = subprocess.run(["ps", "--ppid", str(worker.process.pid), "-o", "pid="], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def _closed_round_with_ratings(study):
    round_ = make_round(study, status=Round.Status.CLOSED)
    rate_everything(round_, [7, 8, 2, 9, 5, None, 6, 7, 3])
    return round_


class ResultsLock:
    """The aggregation's per-round advisory lock, held from a separate connection."""

    def __init__(self, round_id: int) -> None:
        self.round_id = round_id
        self.conn = psycopg.connect(_database_url_for(connection.settings_dict), autocommit=True)

    def __enter__(self) -> ResultsLock:
        self.conn.execute("SELECT pg_advisory_lock(%s, %s)", [services._ADVISORY_NAMESPACE, self.round_id])
        return self

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.execute("SELECT pg_advisory_unlock_all()")
            self.conn.close()

    def __exit__(self, *exc: object) -> None:
        self.release()


def test_a_pool_process_killed_mid_job_is_retried_and_the_results_equal_an_undisturbed_run(
    celery_worker_process, study_a
):
    if connection.vendor != "postgresql":
        pytest.skip("the results lock is PostgreSQL's advisory lock")
    round_ = _closed_round_with_ratings(study_a)
    services.round_aggregate(round_id=round_.pk)
    undisturbed = results_snapshot(round_.pk)

    with ResultsLock(round_.pk) as lock:
        run = jobs.send(round_.pk, trigger=AggregationRun.Trigger.CLOSE)
        assert run is not None
        _wait_for(lambda: _run_status(run.pk) == "running", timeout=60, what="the job to start")
        time.sleep(0.5)  # it has read and computed, and now waits for the lock to write
        children = _pool_children(celery_worker_process)
        assert children, "the worker has no pool process"
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        # The worker notices its child died, rejects the task back to the queue, and a new child takes it.
        _wait_for(
            lambda: "WorkerLostError" in celery_worker_process.log_path.read_text(errors="replace"),
            timeout=30,
            what="the worker to report the lost process",
        )
        lock.release()
        _wait_for(lambda: _run_status(run.pk) == "done", timeout=60, what="the retried job to finish")

    assert results_snapshot(round_.pk) == undisturbed


def test_a_whole_worker_killed_mid_job_leaves_the_task_for_the_next_worker(celery_worker_process, study_a, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the results lock is PostgreSQL's advisory lock")
    round_ = _closed_round_with_ratings(study_a)
    services.round_aggregate(round_id=round_.pk)
    undisturbed = results_snapshot(round_.pk)

    with ResultsLock(round_.pk) as lock:
        run = jobs.send(round_.pk, trigger=AggregationRun.Trigger.CLOSE)
        assert run is not None
        _wait_for(lambda: _run_status(run.pk) == "running", timeout=60, what="the job to start")
        celery_worker_process.kill()  # the whole machine gone: no goodbye, no requeue by the worker
        lock.release()

    # A new worker, with a short visibility timeout, finds the unacknowledged task and runs it again.
    env = dict(celery_worker_process.env, CELERY_VISIBILITY_TIMEOUT="3")
    successor = WorkerProcess(env, celery_worker_process.hostname + "-2", tmp_path / "worker2.log")
    successor.start()
    try:
        _wait_for(lambda: _run_status(run.pk) == "done", timeout=90, what="the next worker to redo the job")
    finally:
        successor.stop()
    assert results_snapshot(round_.pk) == undisturbed
