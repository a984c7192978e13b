"""TOTP two-factor for coordinators (allauth.mfa behind the site's log-in page): enrolment, log-in with
a code or a recovery code, refusals counted, the secret encrypted at rest, and SIGNIN_REQUIRE_2FA."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from core import ratelimit
from elicitation.models import AuditEvent, RefusedAttempts
from tests.core.totp import totp_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"
START = 1_800_000_000.0


class Clock:
    """allauth's TOTP and the rate limits read time.time(); the test moves it by whole 30 s steps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import allauth.mfa.totp.internal.auth as totp_auth

        self.now = START
        monkeypatch.setattr(totp_auth.time, "time", lambda: self.now)
        monkeypatch.setattr(ratelimit.time, "time", lambda: self.now)

    def step(self) -> None:
        self.now += 30


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def log_in(client: Client, username: str, **extra: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": PASSWORD, **extra})


def enrol(client: Client, clock: Clock) -> tuple[str, list[str]]:
    """Set up TOTP as a signed-in coordinator would: scan, type the code; returns the secret and recovery codes."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()  # the QR code inline: nothing fetched
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret, clock.now)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    clock.step()
    return secret, list(codes)


def signed_in_user(client: Client) -> Any:
    return client.get(reverse("study-list")).wsgi_request.user


def test_enrolment_stores_an_encrypted_secret_and_audits_it(clock):
    user = make_user("alice")
    client = Client()
    assert log_in(client, "alice").status_code == 302
    secret, codes = enrol(client, clock)
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert secret not in str(totp.data)  # Fernet-encrypted at rest
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert len(codes) == 10
    assert set(AuditEvent.objects.filter(actor_user=user).values_list("action", flat=True)) >= {
        "account.logged_in",
        "account.mfa_added",
    }


def test_a_wrong_code_at_enrolment_is_refused_and_nothing_is_stored(clock):
    user = make_user("alice")
    client = Client()
    log_in(client, "alice")
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=user).exists()


def test_the_password_alone_no_longer_signs_in_a_coordinator_with_totp(clock):
    user = make_user("alice")
    setup = Client()
    log_in(setup, "alice")
    secret, _codes = enrol(setup, clock)

    client = Client(REMOTE_ADDR="198.51.100.7")
    response = log_in(client, "alice", next="/accounts/2fa/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in_user(client).is_authenticated  # the session is not theirs yet

    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"]
    assert RefusedAttempts.objects.get(action="account.mfa_failed").client == "198.51.100.7"
    assert not signed_in_user(client).is_authenticated

    before = AuditEvent.objects.filter(action="account.logged_in").count()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, clock.now)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"  # where the log-in was going
    assert signed_in_user(client) == user
    event = AuditEvent.objects.filter(action="account.logged_in").latest("id")
    assert AuditEvent.objects.filter(action="account.logged_in").count() == before + 1
    assert event.actor_user == user
    assert event.detail["methods"] == ["password", "mfa"]


def test_a_code_is_accepted_once(clock):
    make_user("alice")
    setup = Client()
    log_in(setup, "alice")
    secret, _codes = enrol(setup, clock)
    code = totp_code(secret, clock.now)
    first = Client()
    log_in(first, "alice")
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    second = Client()
    log_in(second, "alice")
    assert second.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200  # replayed: refused
    assert not signed_in_user(second).is_authenticated


def test_a_recovery_code_signs_in_once(clock):
    user = make_user("alice")
    setup = Client()
    log_in(setup, "alice")
    _secret, codes = enrol(setup, clock)

    client = Client()
    log_in(client, "alice")
    assert client.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 302
    assert signed_in_user(client) == user

    again = Client()
    log_in(again, "alice")
    assert again.post(reverse("mfa_authenticate"), {"code": codes[0]}).status_code == 200
    assert not signed_in_user(again).is_authenticated
    assert again.post(reverse("mfa_authenticate"), {"code": codes[1]}).status_code == 302


def test_the_admin_door_asks_for_the_code_too(clock):
    make_user("root", is_staff=True, is_superuser=True)
    setup = Client()
    log_in(setup, "root")
    secret, _codes = enrol(setup, clock)
    client = Client()
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # still the admin's log-in
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, clock.now)})
    assert response["Location"] == reverse("admin:index")
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(action="admin.logged_in").exists()


def test_the_code_form_shares_the_log_in_budget_per_client(clock, settings):
    make_user("alice")
    setup = Client()
    log_in(setup, "alice")
    secret, _codes = enrol(setup, clock)
    client = Client(REMOTE_ADDR="198.51.100.8")
    log_in(client, "alice")  # one of the budget
    for number in range(settings.LOGIN_RATE_LIMIT - 1):
        assert client.post(reverse("mfa_authenticate"), {"code": f"{number:06d}"}).status_code == 200
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, clock.now)})
    assert response.status_code == 429  # even the right code, past the budget
    assert not signed_in_user(client).is_authenticated


def test_without_a_pending_log_in_the_code_page_sends_to_the_log_in():
    response = Client().get(reverse("mfa_authenticate"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def required(settings):
    settings.SIGNIN_REQUIRE_2FA = True


def test_required_two_factor_sends_a_coordinator_without_it_to_set_it_up(required, clock):
    user = make_user("alice")
    client = Client()
    log_in(client, "alice")
    response = client.get(reverse("study-list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get("/api/v1/studies/").status_code == 403  # the API through this session as well
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    enrol(client, clock)
    assert client.get(reverse("study-list")).status_code == 200
    assert client.get("/api/v1/studies/").status_code == 200
    # The required factor cannot be removed.
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    client.post(reverse("mfa_deactivate_totp"), {})
    assert Authenticator.objects.filter(pk=totp.pk).exists()


def test_required_two_factor_leaves_api_tokens_and_the_sign_in_pages_alone(required):
    make_user("alice")
    client = Client()
    log_in(client, "alice")
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("set_language")).status_code in (302, 405)
    assert Client().get(reverse("login")).status_code == 200


def test_without_the_setting_a_coordinator_may_remove_totp(clock):
    user = make_user("alice")
    client = Client()
    log_in(client, "alice")
    enrol(client, clock)
    assert client.post(reverse("mfa_deactivate_totp"), {}).status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(action="account.mfa_removed", actor_user=user).exists()


@pytest.fixture
def no_passwords(settings):
    settings.SIGNIN_PASSWORDS = False


def test_with_passwords_off_the_password_form_refuses_and_the_password_pages_are_gone(no_passwords):
    make_user("alice")
    client = Client()
    response = log_in(client, "alice")
    assert response.status_code == 400
    assert "sign in through your institution" in response.content.decode()
    assert not signed_in_user(client).is_authenticated
    assert 'name="password"' not in client.get(reverse("login")).content.decode()
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(name)).status_code == 404
    assert Client().post("/admin/login/", {"username": "alice", "password": PASSWORD}).status_code == 400


def test_an_operator_resets_a_lost_second_factor_with_an_audited_command(clock):
    from django.core.management import CommandError, call_command

    user = make_user("alice")
    client = Client()
    log_in(client, "alice")
    enrol(client, clock)
    with pytest.raises(CommandError, match="--reason"):
        call_command("two_factor_reset", "alice")
    call_command("two_factor_reset", "alice", reason="ticket 42")
    assert not Authenticator.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="account.mfa_reset_by_operator")
    assert (event.target, event.detail["reason"]) == ("alice", "ticket 42")
    with pytest.raises(CommandError, match="no second factor"):
        call_command("two_factor_reset", "alice", reason="again")
    assert log_in(Client(), "alice")["Location"] == reverse("study-list")
