"""Password reset and the admin's log-in: limited per client, audited, and (reset) silent per address.

The issue's measurements: 25 password-reset requests sent 25 emails; ``/admin/login/`` was neither
limited nor audited.
"""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from core import ratelimit
from elicitation.models import AuditEvent, RefusedAttempts
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)


def test_twenty_five_reset_requests_for_one_address_send_only_the_per_address_limit(caplog):
    make_user("alice", email="alice@example.org")
    statuses = []
    with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
        for number in range(25):  # from many clients: the per-address limit still holds
            client = Client(REMOTE_ADDR=f"198.51.100.{number}")
            statuses.append(client.post("/accounts/password_reset/", {"email": "ALICE@example.org"}).status_code)
    assert statuses == [302] * 25  # the same answer every time: the limit says nothing about the address
    assert len(mail.outbox) == settings.PASSWORD_RESET_PER_ADDRESS
    requested = AuditEvent.objects.filter(action="account.password_reset_requested")
    assert requested.count() == 25
    assert requested.filter(detail__limited=True).count() == 25 - settings.PASSWORD_RESET_PER_ADDRESS


def test_reset_requests_from_one_client_beyond_its_limit_get_429(caplog):
    client = Client(REMOTE_ADDR="198.51.100.99")
    for number in range(settings.PASSWORD_RESET_RATE_LIMIT):
        response = client.post("/accounts/password_reset/", {"email": f"nobody{number}@example.org"})
        assert response.status_code == 302
    with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
        response = client.post("/accounts/password_reset/", {"email": "another@example.org"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "rate limit exceeded scope=password_reset client=198.51.100.99" in caplog.text
    assert AuditEvent.objects.filter(action="account.password_reset_requested").count() == (
        settings.PASSWORD_RESET_RATE_LIMIT
    )
    assert client.get("/accounts/password_reset/").status_code == 200  # reading the form is never limited


def test_the_admin_login_is_audited_on_success_and_failure():
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="198.51.100.20")
    failed = client.post("/admin/login/", {"username": "root", "password": "wrong"})
    assert failed.status_code == 200
    assert b"Please enter the correct username and password for a staff account" in failed.content
    assert list(RefusedAttempts.objects.values_list("action", "client", "count")) == [
        ("admin.login_failed", "198.51.100.20", 1)
    ]
    response = client.post("/admin/login/?next=/admin/auth/user/", {"username": "root", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/admin/auth/user/")
    event = AuditEvent.objects.get(action="admin.logged_in")
    assert (event.actor_user_id, event.target) == (root.pk, "198.51.100.20")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/")["Location"] == "/admin/"  # already in: on to the index


def test_a_coordinator_who_is_not_staff_cannot_log_in_to_the_admin():
    make_user("alice")
    response = Client().post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session
    assert RefusedAttempts.objects.get().action == "admin.login_failed"
    assert not AuditEvent.objects.filter(action="admin.logged_in").exists()


def test_the_admin_and_the_site_log_in_share_one_limit_per_client(caplog):
    make_user("root", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="198.51.100.21")
    for number in range(settings.LOGIN_RATE_LIMIT):
        door = "/admin/login/" if number % 2 else "/accounts/login/"
        assert client.post(door, {"username": "root", "password": "wrong"}).status_code == 200
    with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
        response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 429  # even with the right password: the limit comes first
    assert response["Retry-After"] == "300"
    assert "rate limit exceeded scope=login client=198.51.100.21" in caplog.text
    assert "wrong" not in caplog.text
    counted = dict(RefusedAttempts.objects.values_list("action", "count"))
    assert counted == {"account.login_failed": 5, "admin.login_failed": 5}


def test_a_change_made_in_the_admin_is_in_the_audit_log():
    root = make_user("root", is_staff=True, is_superuser=True)
    alice = make_user("alice")
    client = Client()
    client.force_login(root)
    response = client.post(f"/admin/auth/user/{alice.pk}/password/", {
        "password1": "a-new-long-pass-9", "password2": "a-new-long-pass-9", "usable_password": "true",
    })  # fmt: skip
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.changed")
    assert (event.actor_user_id, event.target) == (root.pk, f"auth.User {alice.pk}")
    assert "a-new-long-pass-9" not in str(event.detail)
