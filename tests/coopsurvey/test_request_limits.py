"""Oversized bodies are refused at the door; guessing passwords is slowed by a rate limit."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from core.ratelimit import client_address, hit


@pytest.mark.django_db
def test_a_body_over_the_limit_is_refused_before_it_is_read(client, settings, monkeypatch):
    from core import middleware

    settings.MAX_REQUEST_BYTES = 2048
    reached = []
    monkeypatch.setattr(middleware.SecurityHeadersMiddleware, "__call__", lambda self, r: reached.append(r))
    # The declared length alone decides; the body itself is never touched.
    response = client.generic("POST", "/accounts/login/", b"", CONTENT_LENGTH="999999999")
    assert response.status_code == 413
    assert "2048" in response.content.decode()
    assert reached == []


@pytest.mark.django_db
def test_a_body_under_the_limit_passes(client, settings):
    settings.MAX_REQUEST_BYTES = 1_000_000
    response = client.post("/accounts/login/", {"username": "nobody", "password": "x" * 1000})
    assert response.status_code == 200  # the login form again, with its error


@pytest.mark.django_db
def test_a_malformed_content_length_is_a_bad_request(client):
    assert client.generic("POST", "/accounts/login/", b"", CONTENT_LENGTH="lots").status_code == 400


@pytest.mark.django_db
def test_login_attempts_beyond_the_limit_get_429_and_are_logged(settings, caplog, monkeypatch):
    from core import ratelimit

    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)  # one window, whenever the test runs
    client = Client()
    for _ in range(settings.LOGIN_RATE_LIMIT):
        assert client.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert "rate limit exceeded scope=login" in caplog.text
    assert "wrong" not in caplog.text
    # The refused attempts are counted in one row for the address, never with what was typed.
    from elicitation.models import AuditEvent, RefusedAttempts

    assert list(RefusedAttempts.objects.values_list("action", "client", "count")) == [
        ("account.login_failed", "127.0.0.1", settings.LOGIN_RATE_LIMIT)
    ]
    assert not AuditEvent.objects.filter(action="account.login_failed").exists()
    # Reading the login page is never limited.
    assert client.get("/accounts/login/").status_code == 200


def test_the_window_counts_per_key():
    assert not any(hit(scope="t", key="a", limit=3, window_seconds=60) for _ in range(3))
    assert hit(scope="t", key="a", limit=3, window_seconds=60)
    assert not hit(scope="t", key="b", limit=3, window_seconds=60)


def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.7", REMOTE_ADDR="127.0.0.1")
    settings.BEHIND_PROXY = False
    assert client_address(request) == "127.0.0.1"
    settings.BEHIND_PROXY = True
    assert client_address(request) == "10.0.0.7"
