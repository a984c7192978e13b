"""PostgreSQL restarted while the app runs: requests during the outage fail cleanly, then it recovers.

The app runs under gunicorn (as in production) against a private PostgreSQL cluster, which the
test stops and starts. During the outage a write answers 503 and reports no success; afterwards
the same server process serves again without a restart, and nothing from the outage was stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
import pytest

from tests.reliability.private_services import free_port

pytestmark = [pytest.mark.services]
ROOT = Path(__file__).resolve().parents[2]
CREATE_ANN = "from django.contrib.auth.models import User; User.objects.create_user('ann', password='pw-ann-0123')"


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env |= {
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "test-only-secret-key-for-the-restart-test-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "60",
        "STATIC_FROM_SOURCE": "1",
    }
    return env


class Browser:
    """A tiny HTTP client with cookies and CSRF, enough to log in."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Referer": self.base + path}
        req = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310 - loopback http
        try:
            with self.opener.open(req, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def csrf(self) -> str:
        return next(str(c.value) for c in self.jar if c.name == "csrftoken")

    def log_in(self, username: str, password: str) -> int:
        self.request("/accounts/login/")
        return self.request(
            "/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf()}
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _sessions(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM django_session").fetchone()
        return int(row[0]) if row else 0


def test_the_app_fails_cleanly_while_postgres_is_down_and_recovers_without_restart(private_postgres, tmp_path):
    with psycopg.connect(private_postgres.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE coopsurvey_restart")
    url = private_postgres.url("coopsurvey_restart")
    env = _env(url)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run(
        [*manage, "shell", "-c", CREATE_ANN],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "coopsurvey.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--timeout", "60"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)

        assert Browser(base).log_in("ann", "pw-ann-0123") == 302
        before = _sessions(url)

        outage = Browser(base)
        assert outage.request("/accounts/login/") == 200  # the form needs no database
        private_postgres.stop()
        status = outage.request(
            "/accounts/login/", {"username": "ann", "password": "pw-ann-0123", "csrfmiddlewaretoken": outage.csrf()}
        )
        assert status == 503  # never 302: the login's session was not stored

        private_postgres.start()
        assert Browser(base).log_in("ann", "pw-ann-0123") == 302  # same server processes, no restart
        assert _sessions(url) == before + 1  # the outage's login left nothing behind
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
