"""The stack is real: a task sent through Redis is executed by a separate `celery worker` process."""

import os
import time

import pytest

from coopsurvey.celery import app, ping


@pytest.mark.services
def test_a_task_sent_through_redis_is_executed_by_a_real_worker(celery_worker_process, redis_client):
    result = ping.delay()
    # No result backend (jobs keep their state in their rows): the worker's log says what it did.
    line = f"Task coopsurvey.ping[{result.id}] succeeded"
    deadline = time.monotonic() + 30
    while line not in celery_worker_process.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"{line} in" in celery_worker_process.log_path.read_text()
    assert "'pong'" in celery_worker_process.log_path.read_text()
    assert celery_worker_process.running
    assert redis_client.keys("celery-task-meta-*") == [], "nothing stores task results"


@pytest.mark.services
def test_the_fixture_stops_the_worker_it_started(celery_worker_process):
    pid = celery_worker_process.process.pid
    celery_worker_process.stop()
    assert not celery_worker_process.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not app.control.ping(destination=[celery_worker_process.hostname], timeout=0.5)


@pytest.mark.services
def test_the_workers_own_log_redacts_link_secrets(celery_worker_process, redis_client):
    """A message the worker logs in full (an unknown task's body) carries a personal link and a reset link."""
    secret, reset = "S3cr3t-l1nk-t0ken-" + "x" * 24, "c4x2-0123456789abcdef0123456789abcdef"
    app.send_task("coopsurvey.no_such_task", kwargs={
        "link": f"https://coopsurvey.example.org/e/{secret}/",
        "reset": f"https://coopsurvey.example.org/accounts/reset/MQ/{reset}/",
    })  # fmt: skip
    deadline = time.monotonic() + 20
    while "coopsurvey.no_such_task" not in celery_worker_process.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the rest of the message
    log = celery_worker_process.log_path.read_text()
    assert "Received unregistered task of type 'coopsurvey.no_such_task'" in log
    assert "/e/[link]/" in log
    assert "/accounts/reset/MQ/[link]/" in log
    assert secret not in log
    assert reset not in log
