"""Fixtures for the real services: Redis and a Celery worker process.

A test that needs one is marked ``services``; when the service is missing the test
skips, and CI (COOPSURVEY_REQUIRE_SERVICES=1) turns that skip into a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent


def _broker_url() -> str:
    from django.conf import settings

    return settings.CELERY_BROKER_URL


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    url = _broker_url()
    if not url.startswith("redis"):
        pytest.skip("REDIS_URL is not set")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {url}: {exc}")
    yield client
    client.close()


class WorkerProcess:
    """A `celery worker` subprocess on the test database, with helpers to stop and restart it."""

    def __init__(self, env: dict[str, str], hostname: str, log_path: Path) -> None:
        self.env = env
        self.hostname = hostname
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 60) -> None:
        from coopsurvey.celery import app

        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "coopsurvey", "worker",
                "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle",
                f"--hostname={self.hostname}",
            ],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early; see {self.log_path}")
            if app.control.ping(destination=[self.hostname], timeout=0.5):
                return
        self.stop()
        raise RuntimeError(f"celery worker did not answer a ping within {timeout} s; see {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker dies mid-task, as on a crashed machine."""
        self.stop(signal.SIGKILL)

    def pool_children(self) -> list[int]:
        """The process ids of the worker's pool children (prefork), read from /proc."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_pool_child(self) -> int:
        """SIGKILL the pool child running the task (concurrency 1: the only one); the main process lives on."""
        (child,) = self.pool_children()
        os.kill(child, signal.SIGKILL)
        return child

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@pytest.fixture
def celery_worker_process(redis_client: redis.Redis, transactional_db: None, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real worker that consumes from Redis and writes to this test's database.

    Uses ``transactional_db`` so what the test writes is committed and visible to
    the worker, and turns off eager mode for the test's duration.
    """
    from django.db import connection

    from coopsurvey.celery import app

    redis_client.flushdb()  # no task from an earlier run is waiting in the queue
    env = dict(os.environ)
    env["CELERY_TASK_ALWAYS_EAGER"] = "0"
    env["DATABASE_URL"] = _database_url_for(connection.settings_dict)
    env["PYTHONUNBUFFERED"] = "1"
    worker = WorkerProcess(env, f"test-{uuid.uuid4().hex[:8]}@localhost", tmp_path / "worker.log")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager = previous


def _database_url_for(settings_dict: dict[str, object]) -> str:
    engine = str(settings_dict["ENGINE"])
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name in {":memory:", ""} or "mode=memory" in name:
            pytest.skip("a worker process cannot share an in-memory SQLite test database; set DATABASE_URL")
        return f"sqlite:///{name}"
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{host}:{port}/{name}"
