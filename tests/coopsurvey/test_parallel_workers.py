"""The suite runs in parallel processes: each must have Redis databases of its own."""

from __future__ import annotations

import os

import pytest

from tests.testenv import redis_url_for_worker


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/1", "gw0", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/1", "gw1", "redis://127.0.0.1:6379/9"),
        ("redis://127.0.0.1:6379/9", "gw1", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379", "gw1", "redis://127.0.0.1:6379/8"),
        ("redis://127.0.0.1:6379/", "gw1", "redis://127.0.0.1:6379/8"),
        ("rediss://u:p@host:6380/2?ssl_cert_reqs=none", "gw1", "rediss://u:p@host:6380/10?ssl_cert_reqs=none"),
        ("redis://127.0.0.1:6379/1", "", "redis://127.0.0.1:6379/1"),
        ("locmem://", "gw1", "locmem://"),
    ],
)
def test_each_worker_has_its_own_redis_database(url: str, worker: str, expected: str) -> None:
    assert redis_url_for_worker(url, worker) == expected


@pytest.mark.django_db
def test_this_process_uses_the_databases_of_its_worker() -> None:
    from django.conf import settings
    from django.db import connection

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        pytest.skip("not running under pytest-xdist")
    if connection.vendor == "postgresql":
        assert connection.settings_dict["NAME"].endswith(f"_{worker}")
    caller = os.environ.get("COOPSURVEY_CALLER_REDIS_URL")
    if caller:
        assert redis_url_for_worker(caller, worker) == settings.CELERY_BROKER_URL
        assert settings.CACHES["default"]["LOCATION"] == redis_url_for_worker(caller, worker)
