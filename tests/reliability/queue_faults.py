"""Pointing this process and a real worker at a private Redis that a fault test stops and restarts."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection
from django.test import override_settings
from kombu import pools

from coopsurvey.celery import app
from tests.services import WorkerProcess, _database_url_for


def reset_connections() -> None:
    """Drop Celery's pooled connections so the next send connects afresh (to the new URL, or after a restart)."""
    pools.reset()  # kombu keeps pools per connection address; a closed one must not be handed out again
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def app_pointed_at(url: str) -> Iterator[None]:
    """This process sends to (and caches in) the Redis at ``url``, with tasks going to a real worker."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.update(broker_url=url, task_always_eager=False)
    reset_connections()
    caches = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": url}}
    try:
        with override_settings(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False, CACHES=caches):
            yield
    finally:
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])
        reset_connections()


def worker_on(url: str, log_dir: Path, **extra: str) -> WorkerProcess:
    """A worker (not started) consuming from the Redis at ``url`` and writing to this test's database."""
    env = dict(os.environ, REDIS_URL=url, CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER="0")
    env |= {"DATABASE_URL": _database_url_for(connection.settings_dict), "PYTHONUNBUFFERED": "1", **extra}
    name = f"faults-{uuid.uuid4().hex[:6]}"
    return WorkerProcess(env, f"{name}@localhost", log_dir / f"{name}.log")


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
