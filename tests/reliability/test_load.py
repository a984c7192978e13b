"""Under load: 50 experts save through the real pages while the coordinator closes the round.

The same driver as ``bench/load.py`` (gunicorn with two workers, a real Celery worker, PostgreSQL and
Redis), sized for CI and asserting only correctness, never timing: no 5xx and no request left without
an answer; every acknowledged save stored, with its append-only history, and counted in the close's
aggregates; every refusal a 409 saying the round closed, writing nothing; no duplicate rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections

from bench import load_setup
from bench.load import LoadConfig, LoadResult, check_run, run_load, summary
from tests.services import _database_url_for

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXPERTS = 50
# Short pauses, so that 50 experts rate their 24 items and submit in a few seconds and then keep
# revising until the close: saves are in flight when the round closes.
CONFIG = LoadConfig(experts=EXPERTS, duration=18, think=0.2, close_at=10, ramp=3, ceiling_seconds=0)


def _in_own_thread(coroutine: Coroutine[Any, Any, LoadResult]) -> LoadResult:
    """Run the driver's event loop in a thread of its own: a browser test's loop may be running in this one."""

    def run() -> LoadResult:
        try:
            return asyncio.run(coroutine)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_fifty_experts_save_and_submit_while_the_round_closes(celery_worker_process, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the app's processes need the PostgreSQL test database")
    study = load_setup.study_for_load(experts=EXPERTS)
    database_url = _database_url_for(connection.settings_dict)
    env = load_setup.server_env(database_url=database_url, redis_url=settings.CELERY_BROKER_URL)
    with load_setup.gunicorn(env, workers=2, logdir=tmp_path) as (port, server):
        result = _in_own_thread(run_load(port=port, study=study, config=CONFIG, server_pid=server.pid))
    connection.close()  # read what the server committed, not an older snapshot

    problems = check_run(study, result, aggregation_timeout=120)

    assert problems == [], "\n".join(problems[:30])
    saves = summary(result)["save (autosave + form save)"]
    assert saves["accepted"] > 0
    assert saves["refused_4xx"] > 0  # experts still at work when the round closed were refused
