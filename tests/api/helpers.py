"""Clients for the API tests: a coordinator with a personal token, or anonymous."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api.services import api_token_create


def token_client(user: User) -> APIClient:
    _, secret = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client
