"""Sign-in through an institution's OpenID Connect provider (allauth.socialaccount), against a provider
served in-process on 127.0.0.1 (tests/core/fake_oidc.py): linking rules, account creation only when
allowed, two-factor still asked, refusals counted, the log-in page and its form targets."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from coopsurvey.env import oidc_socialaccount_settings
from elicitation.models import AuditEvent, RefusedAttempts
from tests.core.fake_oidc import CODE, FakeProvider
from tests.core.test_two_factor import Clock, enrol, log_in, signed_in_user
from tests.core.totp import totp_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    with FakeProvider() as fake:
        settings.OIDC_PROVIDERS = [fake.settings_entry()]
        settings.SOCIALACCOUNT_PROVIDERS = oidc_socialaccount_settings(settings.OIDC_PROVIDERS)
        fake.claims = {"sub": "u-1001", "email": "alice@uni.example", "email_verified": True, "name": "Alice A"}
        yield fake


def start(client: Client, provider: FakeProvider, **data: str) -> dict[str, str]:
    """Press "Sign in with …": the browser is sent to the provider; returns the authorization request."""
    response = client.post(reverse("openid_connect_login", kwargs={"provider_id": "uni"}), {"process": "login", **data})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{provider.url}/authorize?")
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert query["code_challenge_method"] == "S256"
    provider.challenges.append(query["code_challenge"])
    return query


def come_back(client: Client, request: dict[str, str], **params: str) -> Any:
    """The provider sends the browser back with a code."""
    path = urlsplit(request["redirect_uri"]).path
    assert path == reverse("openid_connect_callback", kwargs={"provider_id": "uni"})
    return client.get(path, {"code": CODE, "state": request["state"], **params})


def test_an_existing_coordinator_with_the_verified_address_is_linked_and_signed_in(provider):
    alice = make_user("alice", email="Alice@Uni.example")  # the same address, whatever its case
    client = Client()
    response = come_back(client, start(client, provider, next="/accounts/2fa/"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert signed_in_user(client) == alice
    account = SocialAccount.objects.get(user=alice)
    assert (account.provider, account.uid) == ("uni", "u-1001")
    actions = list(AuditEvent.objects.filter(actor_user=alice).values_list("action", flat=True))
    assert "account.oidc_linked" in actions
    assert AuditEvent.objects.get(action="account.logged_in", actor_user=alice).detail["methods"] == ["socialaccount"]
    # allauth's rule: an address the site never verified could have been typed by someone else, so
    # the linked account's password stops working; the institution is its way in from now on.
    alice.refresh_from_db()
    assert not alice.has_usable_password()
    # The token request carried the client's secret and the PKCE verifier (checked by the provider).
    assert provider.token_requests[-1]["grant_type"] == ["authorization_code"]


def test_the_next_sign_in_follows_the_link_even_if_the_address_changed(provider):
    alice = make_user("alice", email="alice@uni.example")
    client = Client()
    come_back(client, start(client, provider))
    provider.claims = {**provider.claims, "email": "a.alice@uni.example"}
    again = Client()
    assert come_back(again, start(again, provider)).status_code == 302
    assert signed_in_user(again) == alice
    assert SocialAccount.objects.count() == 1


def test_an_unverified_address_links_nothing_and_creates_no_account(provider):
    make_user("alice", email="Alice@uni.example")
    provider.claims = {**provider.claims, "email_verified": False}
    client = Client()
    response = come_back(client, start(client, provider))
    assert response.status_code == 200  # the page saying sign-up is closed
    assert not signed_in_user(client).is_authenticated
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1


def test_an_unknown_person_gets_no_account_unless_the_site_allows_it(provider, settings):
    client = Client()
    come_back(client, start(client, provider))
    assert not signed_in_user(client).is_authenticated
    assert not User.objects.exists()

    settings.OIDC_SIGNUP = True
    client = Client()
    assert come_back(client, start(client, provider)).status_code == 302
    user = signed_in_user(client)
    assert user.is_authenticated
    assert user.email == "alice@uni.example"
    assert not user.is_staff
    assert AuditEvent.objects.filter(action="account.created_by_oidc", actor_user=user).exists()


def test_a_coordinator_with_totp_is_asked_for_the_code_after_the_institution(provider, monkeypatch):
    clock = Clock(monkeypatch)
    alice = make_user("alice", email="alice@uni.example")
    setup = Client()
    log_in(setup, "alice")
    secret, _codes = enrol(setup, clock)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email="alice@uni.example", verified=True, primary=True)
    client = Client()
    response = come_back(client, start(client, provider))
    assert response["Location"] == reverse("mfa_authenticate")
    assert not signed_in_user(client).is_authenticated
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, clock.now)})
    assert response.status_code == 302
    assert signed_in_user(client) == alice
    alice.refresh_from_db()
    assert alice.has_usable_password()  # the address was verified on the site: nothing to fear, nothing wiped


def test_a_forged_return_signs_in_no_one_and_is_counted(provider):
    make_user("alice", email="alice@uni.example")
    client = Client(REMOTE_ADDR="198.51.100.30")
    request = start(client, provider)
    response = come_back(client, {**request, "state": "not-the-state"})
    assert response.status_code == 200  # allauth's error page
    assert not signed_in_user(client).is_authenticated
    assert RefusedAttempts.objects.get(action="account.oidc_failed").client == "198.51.100.30"
    assert not provider.token_requests  # the code was never exchanged


def test_a_provider_error_signs_in_no_one(provider):
    client = Client()
    request = start(client, provider)
    path = urlsplit(request["redirect_uri"]).path
    response = client.get(path, {"error": "access_denied", "state": request["state"]})
    assert response.status_code in (200, 302)
    assert not signed_in_user(client).is_authenticated


def test_the_log_in_page_offers_the_institution_and_lets_its_form_go_there(provider):
    response = Client().get(reverse("login"))
    html = response.content.decode()
    assert "Sign in with University of Testing" in html
    assert reverse("openid_connect_login", kwargs={"provider_id": "uni"}) in html
    assert f"form-action 'self' {provider.url}" in response["Content-Security-Policy"]


def test_an_unknown_provider_is_not_found(provider):
    assert Client().post(reverse("openid_connect_login", kwargs={"provider_id": "elsewhere"})).status_code == 404


def test_without_providers_the_log_in_page_is_the_password_form(settings):
    settings.OIDC_PROVIDERS = []
    response = Client().get(reverse("login"))
    html = response.content.decode()
    assert "Sign in with" not in html
    assert 'name="password"' in html
    assert "form-action 'self';" in response["Content-Security-Policy"]


def test_a_coordinator_unlinks_the_institution_and_it_is_audited(provider):
    alice = make_user("alice", email="alice@uni.example")
    client = Client()
    come_back(client, start(client, provider))
    alice.set_password("a-new-long-pass-9")  # a way back in, or allauth refuses the last link's removal
    alice.save()
    client.force_login(alice)
    account = SocialAccount.objects.get(user=alice)
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.exists()
    assert AuditEvent.objects.filter(action="account.oidc_unlinked", actor_user=alice).exists()


def test_two_accounts_with_the_address_in_different_cases_link_neither(provider):
    make_user("alice", email="Alice@uni.example")
    make_user("alice2", email="ALICE@uni.example")
    client = Client()
    come_back(client, start(client, provider))
    assert not signed_in_user(client).is_authenticated
    assert not SocialAccount.objects.exists()
