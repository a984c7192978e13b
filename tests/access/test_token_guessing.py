"""Guessing personal links: random guesses all fail alike, are rate-limited and recorded.

Revoked, expired and other-study links fail exactly as unknown ones do (tests/elicitation/expert/
test_link_views.py); this test is about volume. 10,000 random secrets never find a link; over
HTTP, from many addresses, every guess is refused, each address is cut off after LINK_RATE_LIMIT
tries, and every refusal is logged and audited without the guessed secret.
"""

from __future__ import annotations

import logging
import secrets

import pytest
from django.conf import settings
from django.test import Client

from coopsurvey import ratelimit
from elicitation.models import AuditEvent, InvitationToken
from elicitation.models.panel import hash_token
from elicitation.services.tokens import token_find, token_issue

pytestmark = pytest.mark.django_db


def test_ten_thousand_random_secrets_never_find_a_link(study_a):
    issued = [token_issue(expert=expert) for expert in study_a.experts.all()]  # real links to hit
    guesses = [secrets.token_urlsafe(32) for _ in range(10_000)]
    # One query for all: the hashes token_find would look up (it hashes, then filters usable links).
    assert not InvitationToken.objects.filter(token_hash__in=[hash_token(g) for g in guesses]).exists()
    assert all(token_find(secret=secret) is not None for secret in issued)  # the lookup itself works
    assert all(token_find(secret=guess) is None for guess in guesses[:200])


def test_guesses_over_http_are_refused_alike_rate_limited_and_recorded(study_a, caplog, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)  # one rate-limit window
    guesses, addresses = 1_000, 10
    client = Client()
    statuses: dict[int, int] = {}
    guessed = []
    bodies = set()
    with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
        for number in range(guesses):
            guess = secrets.token_urlsafe(32)
            guessed.append(guess)
            response = client.get(f"/e/{guess}/", REMOTE_ADDR=f"198.51.100.{number % addresses}")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 404:
                bodies.add(response.content)
    allowed = addresses * settings.LINK_RATE_LIMIT
    assert statuses == {404: allowed, 429: guesses - allowed}
    assert len(bodies) == 1  # every refusal is the same page, whatever was guessed
    assert "sessionid" not in client.cookies
    refused = AuditEvent.objects.filter(action="expert.link_refused")
    assert refused.count() == allowed
    assert refused.values("target").distinct().count() == addresses
    assert caplog.text.count("personal link refused") == allowed
    assert caplog.text.count("rate limit exceeded scope=link") == guesses - allowed
    recorded = caplog.text + "".join(str(event.detail) + event.target for event in AuditEvent.objects.all())
    assert not [guess for guess in guessed if guess in recorded]
