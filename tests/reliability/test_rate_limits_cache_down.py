"""Rate limits fail open when the cache (Redis) is down: a warning is logged, requests are served.

The issue's measurement: with Redis down, opening an expert's link answered 500. The limits
guard load and log noise (the secrets are 256-bit, passwords are checked by the database), so an
outage of the cache must cost the throttle, not the experts' access.
"""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from elicitation.models import Round
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_with_redis_down_links_open_logins_answer_and_a_warning_is_logged(private_redis, study_a, caplog):
    make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.earliest("number")
    redis_cache = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": private_redis.url}}
    with override_settings(CACHES=redis_cache):
        client = Client(REMOTE_ADDR="198.51.100.30")
        for _ in range(settings.LINK_RATE_LIMIT):
            client.get("/e/unknown-link-0000000000000000000000000000000/")
        assert client.get("/e/unknown-link-0000000000000000000000000000000/").status_code == 429  # the limit holds
        private_redis.stop()
        with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
            opened = Client(REMOTE_ADDR="198.51.100.31").get(f"/e/{token_issue(expert=expert)}/")
            guess = Client(REMOTE_ADDR="198.51.100.31").get("/e/unknown-link-0000000000000000000000000000000/")
            login = Client(REMOTE_ADDR="198.51.100.31").post("/accounts/login/", {"username": "a", "password": "b"})
            api = APIClient(REMOTE_ADDR="198.51.100.31")
            api.credentials(HTTP_AUTHORIZATION="Invitation unknown-link-0000000000000000000000000000000")
            refused = api.get("/api/v1/me/ratings/")
    assert opened.status_code == 302
    assert guess.status_code == 404
    assert login.status_code == 200
    assert refused.status_code == 401
    assert "rate limit not enforced, the cache is unreachable scope=link" in caplog.text
    assert "rate limit not enforced, the cache is unreachable scope=login" in caplog.text
