"""API tokens in the operator's admin: find a leaked token and revoke it through ``api_token_revoke``."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create
from elicitation.models import AuditEvent
from tests.admin_support import client_for, superuser, viewer  # noqa: F401
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaked(db):
    owner = make_user("carol")
    token, secret = api_token_create(user=owner, name="ci runner")
    api_token_create(user=owner, name="laptop")
    return owner, token, secret


def api_status(secret: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get("/api/v1/studies/").status_code


def test_a_pasted_leaked_token_finds_its_row_and_the_hash_is_never_shown(leaked, viewer):  # noqa: F811
    _owner, token, secret = leaked
    response = client_for(viewer).get(reverse("admin:api_apitoken_changelist"), {"q": secret})
    assert list(response.context["cl"].result_list) == [token]
    page = client_for(viewer).get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    assert token.prefix in page
    assert token.token_hash not in page
    assert secret not in page


def test_revoking_a_token_stops_it_at_once_and_is_audited_with_the_operator_and_the_owner(leaked, superuser):  # noqa: F811
    owner, token, secret = leaked
    assert api_status(secret) == 200
    response = client_for(superuser).post(
        reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert api_status(secret) == 401
    assert ApiToken.objects.filter(user=owner, revoked_at__isnull=True).count() == 1  # the other token stays
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert (event.actor_user_id, event.target) == (superuser.pk, token.prefix)
    assert event.detail == {"name": "ci runner", "token": str(token.uuid), "owner": owner.pk}


def test_revoking_a_revoked_token_again_changes_and_audits_nothing(leaked, superuser):  # noqa: F811
    _owner, token, _secret = leaked
    for _ in range(2):
        client_for(superuser).post(
            reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
        )
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_an_owner_revoking_their_own_token_is_audited_as_before(leaked):
    owner, token, _secret = leaked
    client_for(owner).post(reverse("api-token-revoke", kwargs={"token_uuid": token.uuid}))
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.actor_user_id == owner.pk
    assert "owner" not in event.detail
