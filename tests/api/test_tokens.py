"""Personal API tokens: created on the account page, shown once, stored hashed, revocable, audited."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiToken, hash_api_token
from api.services import api_token_create, api_token_revoke
from elicitation.models import AuditEvent
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'value="(cs_[A-Za-z0-9]{8}_[A-Za-z0-9_-]+)"')


def test_the_page_requires_login(client: Client) -> None:
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_creates_a_token_shown_once_and_stores_only_its_hash(coordinator_a: User) -> None:
    client = client_for(coordinator_a)
    response = client.post("/account/tokens/", {"name": "notebook"})
    assert response.status_code == 201  # shown in the answer to the POST itself
    match = TOKEN_RE.search(response.content.decode())
    assert match is not None
    secret = match.group(1)
    token = ApiToken.objects.get(user=coordinator_a)
    assert token.name == "notebook"
    assert token.token_hash == hash_api_token(secret)
    assert secret.startswith(token.prefix)
    assert response.headers["Cache-Control"] == "no-store"
    # Nothing in the row holds the secret itself.
    assert all(secret not in str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields)
    # Nor in the session (it used to wait there, in django_session, until the next page view).
    stored = [(row.session_data, str(row.get_decoded())) for row in Session.objects.all()]
    assert stored
    assert not [row for row in stored if secret in "".join(row)]
    # The next view of the page no longer shows it.
    again = client.get("/account/tokens/")
    assert secret not in again.content.decode()
    assert token.prefix in again.content.decode()
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.actor_user == coordinator_a
    assert event.target == token.prefix
    assert secret not in str(event.detail)


def test_a_blank_name_is_refused_with_a_field_error(coordinator_a: User) -> None:
    response = client_for(coordinator_a).post("/account/tokens/", {"name": "  "})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_token_authenticates_with_bearer_and_token_keywords(coordinator_a: User) -> None:
    _, secret = api_token_create(user=coordinator_a, name="ci")
    for keyword in ("Bearer", "Token", "bearer"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
        assert client.get("/api/v1/studies/").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_a_revoked_token_fails(coordinator_a: User) -> None:
    token, secret = api_token_create(user=coordinator_a, name="old")
    response = client_for(coordinator_a).post(f"/account/tokens/{token.uuid}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    refused = client.get("/api/v1/studies/")
    assert refused.status_code == 401
    assert refused.json()["detail"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert AuditEvent.objects.filter(action="api_token.revoke", actor_user=coordinator_a).count() == 1


def test_another_users_token_cannot_be_revoked(coordinator_a: User, coordinator_b: User) -> None:
    token, _ = api_token_create(user=coordinator_a, name="mine")
    response = client_for(coordinator_b).post(f"/account/tokens/{token.uuid}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_twice_audits_once(coordinator_a: User) -> None:
    token, _ = api_token_create(user=coordinator_a, name="twice")
    api_token_revoke(user=coordinator_a, token_uuid=token.uuid)
    api_token_revoke(user=coordinator_a, token_uuid=token.uuid)
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer nonsense", "Token cs_unknown"])
def test_bad_headers_answer_401(coordinator_a: User, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/studies/").status_code == 401


def test_a_token_of_a_deactivated_user_fails(coordinator_a: User) -> None:
    _, secret = api_token_create(user=coordinator_a, name="gone")
    coordinator_a.is_active = False
    coordinator_a.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/studies/").status_code == 401


def test_session_authentication_works_too(coordinator_a: User) -> None:
    client = APIClient()
    client.force_login(coordinator_a)
    assert client.get("/api/v1/studies/").status_code == 200


def test_anonymous_requests_answer_401(client: Client) -> None:
    assert client.get("/api/v1/studies/").status_code == 401


def test_the_page_query_count_does_not_grow_with_the_number_of_tokens(coordinator_a: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(coordinator_a)
    api_token_create(user=coordinator_a, name="first")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/account/tokens/").status_code == 200
        return len(queries)

    before = count()
    for number in range(5):
        token, _ = api_token_create(user=coordinator_a, name=f"t{number}")
        api_token_revoke(user=coordinator_a, token_uuid=token.uuid)
    assert count() == before
