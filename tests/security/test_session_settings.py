"""Sessions: a bounded lifetime, cookies that scripts cannot read, and Secure cookies whenever HTTPS is on."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
TWO_WEEKS = 14 * 24 * 60 * 60
SHOWN = [
    "SESSION_COOKIE_AGE",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
]


def settings_in_a_fresh_process(**env: str) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if k not in {"HTTPS", "SESSION_COOKIE_AGE", "DEBUG", "SECRET_KEY"}}
    code = "from django.conf import settings; import json; "
    code += f"print(json.dumps({{n: getattr(settings, n) for n in {SHOWN!r}}}))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**base, "DEBUG": "0", "SECRET_KEY": "a-long-random-test-secret-" + "k3y" * 12, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_https_every_cookie_is_secure_and_hsts_is_on():
    shown = settings_in_a_fresh_process(HTTPS="1")
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert int(shown["SECURE_HSTS_SECONDS"]) >= 31_536_000  # type: ignore[call-overload]


def test_without_https_cookies_are_not_marked_secure_so_local_http_works():
    shown = settings_in_a_fresh_process(HTTPS="0")
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False


def test_sessions_expire_after_two_weeks_by_default_and_the_lifetime_is_configurable():
    assert settings_in_a_fresh_process()["SESSION_COOKIE_AGE"] == TWO_WEEKS
    assert settings_in_a_fresh_process(SESSION_COOKIE_AGE="3600")["SESSION_COOKIE_AGE"] == 3600
    shown = settings_in_a_fresh_process()
    assert shown["SESSION_COOKIE_HTTPONLY"] is True
    assert shown["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.django_db
def test_the_login_cookie_carries_the_lifetime_and_flags(client: Client):
    make_user("carol", password="a-good-password-123")
    with override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True):
        response = client.post(reverse("login"), {"username": "carol", "password": "a-good-password-123"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="core.db_sessions")
def test_an_expired_session_no_longer_logs_anyone_in(client: Client, coordinator_a):
    client.force_login(coordinator_a)
    assert client.get(reverse("study-list")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("study-list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_a_session_read_from_the_cache_expires_with_the_session(client: Client, coordinator_a):
    """core.sessions keeps a cached copy no longer than the session's own remaining life."""
    with override_settings(SESSION_ENGINE="core.sessions", SESSION_CACHE_SECONDS=300, SESSION_COOKIE_AGE=1):
        client.force_login(coordinator_a)
        assert client.get(reverse("study-list")).status_code == 200
        time.sleep(1.5)
        response = client.get(reverse("study-list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_logging_out_ends_the_session_on_the_server(client: Client, coordinator_a):
    client.force_login(coordinator_a)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
