"""Audit recipes for the sign-in routes of django-allauth (core/accounts.py), merged into
tests/access/test_audit_coverage.py's RECIPES: each a valid request that changes state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
from django.test import Client, override_settings
from django.urls import reverse

from coopsurvey.env import oidc_socialaccount_settings
from tests.core.totp import totp_code

PASSWORD = "pw-for-tests-123"
Act = Callable[[], Any]

NOT_A_STATE_CHANGE = {
    "account_logout": "ends the caller's own session, as logout",
    "account_reauthenticate": "notes in the caller's own session that the password was typed again",
    "mfa_reauthenticate": "notes in the caller's own session that a code was typed again",
    "openid_connect_login": "sends the browser to the provider; what it keeps is in the caller's session",
    "socialaccount_signup": (
        "without an institutional sign-in under way it only redirects; the account it can create "
        "(OIDC_SIGNUP) is audited by core.signin's adapter (tests/core/test_institution_signin.py)"
    ),
}


def _signed_in(w: Any) -> Client:
    """A coordinator signed in with the password (force_login records no authentication: allauth would ask again)."""
    client = Client()
    assert client.post(reverse("login"), {"username": w.coordinator.username, "password": PASSWORD}).status_code == 302
    return client


def _with_totp(w: Any) -> str:
    secret = generate_totp_secret()
    TOTP.activate(w.coordinator, secret)
    return secret


def _mfa_authenticate(w: Any) -> Act:
    secret = _with_totp(w)
    client = Client()
    client.post(reverse("login"), {"username": w.coordinator.username, "password": PASSWORD})
    return lambda: client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, time.time())})


def _mfa_activate(w: Any) -> Act:
    client = _signed_in(w)
    client.get(reverse("mfa_activate_totp"))

    def act() -> Any:
        return client.post(
            reverse("mfa_activate_totp"), {"code": totp_code(client.session[SECRET_SESSION_KEY], time.time())}
        )

    return act


def _mfa_deactivate(w: Any) -> Act:
    client = _signed_in(w)
    _with_totp(w)
    return lambda: client.post(reverse("mfa_deactivate_totp"), {})


def _mfa_recovery_codes(w: Any) -> Act:
    client = _signed_in(w)
    _with_totp(w)
    assert not Authenticator.objects.filter(user=w.coordinator, type=Authenticator.Type.RECOVERY_CODES).exists()
    return lambda: client.post(reverse("mfa_generate_recovery_codes"), {})


def _institution_unlink(w: Any) -> Act:
    client = _signed_in(w)
    account = SocialAccount.objects.create(user=w.coordinator, provider="uni", uid="u-1")
    entry = {
        "id": "uni",
        "name": "University",
        "client_id": "c",
        "secret": "s",
        "server_url": "https://login.uni.example",
        "link_by_email": True,
    }

    def act() -> Any:
        with override_settings(SOCIALACCOUNT_PROVIDERS=oidc_socialaccount_settings([entry])):
            return client.post(reverse("socialaccount_connections"), {"account": account.pk})

    return act


def _login(w: Any) -> Act:
    return lambda: Client().post(reverse("account_login"), {"username": w.coordinator.username, "password": PASSWORD})


RECIPES: dict[tuple[str, str], Callable[[Any], Act]] = {
    ("account_login", "POST"): _login,
    ("mfa_authenticate", "POST"): _mfa_authenticate,
    ("mfa_activate_totp", "POST"): _mfa_activate,
    ("mfa_deactivate_totp", "POST"): _mfa_deactivate,
    ("mfa_generate_recovery_codes", "POST"): _mfa_recovery_codes,
    ("socialaccount_connections", "POST"): _institution_unlink,
}
