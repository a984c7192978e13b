"""The stack is real: a task sent through Redis is executed by a separate `celery worker` process."""

import os
import time

import pytest

from coopsurvey.celery import app, ping


@pytest.mark.services
def test_a_task_sent_through_redis_is_executed_by_a_real_worker(celery_worker_process, redis_client):
    result = ping.delay()
    assert result.get(timeout=30) == "pong"
    assert celery_worker_process.running
    # The worker's main process logs the success just after the result is stored; allow it a moment.
    line = f"Task coopsurvey.ping[{result.id}] succeeded"
    deadline = time.monotonic() + 10
    while line not in celery_worker_process.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert line in celery_worker_process.log_path.read_text()


@pytest.mark.services
def test_the_fixture_stops_the_worker_it_started(celery_worker_process):
    pid = celery_worker_process.process.pid
    celery_worker_process.stop()
    assert not celery_worker_process.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not app.control.ping(destination=[celery_worker_process.hostname], timeout=0.5)
