"""Guessing personal links: random guesses all fail alike, are rate-limited and recorded.

Revoked, expired and other-study links fail exactly as unknown ones do (tests/elicitation/expert/
test_link_views.py); this test is about volume. 10,000 random secrets never find a link; over
HTTP, from many addresses, every guess is refused, each address is cut off after LINK_RATE_LIMIT
tries (in the browser's ``/e/<token>/`` and the API's ``Authorization: Invitation`` alike, one
budget for both), and every refusal is logged and counted without the guessed secret: one row
per address and hour with a count, not a row per guess.
"""

from __future__ import annotations

import logging
import secrets

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from core import ratelimit
from elicitation.models import AuditEvent, InvitationToken, RefusedAttempts, Round
from elicitation.models.panel import hash_token
from elicitation.setup.services.tokens import token_find, token_issue
from tests.factories import make_experts, make_round

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
    # One row per address for the window, counting its refused guesses; none in the append-only log.
    assert not AuditEvent.objects.filter(action="expert.link_refused").exists()
    rows = RefusedAttempts.objects.filter(action="expert.link_refused")
    assert sorted(rows.values_list("client", "count")) == [
        (f"198.51.100.{number}", settings.LINK_RATE_LIMIT) for number in range(addresses)
    ]
    assert caplog.text.count("personal link refused") == allowed
    assert caplog.text.count("rate limit exceeded scope=link") == guesses - allowed
    recorded = caplog.text + "".join(str(event.detail) + event.target for event in AuditEvent.objects.all())
    recorded += "".join(row.client + row.action for row in RefusedAttempts.objects.all())
    assert not [guess for guess in guessed if guess in recorded]


def test_eighty_random_invitation_headers_to_the_api_are_cut_off_like_links(study_a, caplog, monkeypatch):
    """The issue's measurement: 80 random ``Authorization: Invitation`` headers gave 80 × 401, no 429."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    statuses: dict[int, int] = {}
    guessed = []
    with caplog.at_level(logging.WARNING, logger="coopsurvey.security"):
        for _ in range(80):
            guess = secrets.token_urlsafe(32)
            guessed.append(guess)
            api = APIClient(REMOTE_ADDR="198.51.100.77")
            api.credentials(HTTP_AUTHORIZATION=f"Invitation {guess}")
            response = api.get("/api/v1/me/ratings/")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    assert statuses == {401: settings.LINK_RATE_LIMIT, 429: 80 - settings.LINK_RATE_LIMIT}
    assert response["Retry-After"] == "300"
    assert response.json()["detail"].startswith("Too many attempts. Please wait and try again.")
    assert list(RefusedAttempts.objects.values_list("action", "client", "count")) == [
        ("expert.invitation_refused", "198.51.100.77", settings.LINK_RATE_LIMIT)
    ]
    assert not AuditEvent.objects.exists()
    assert caplog.text.count("rate limit exceeded scope=link client=198.51.100.77") == 80 - settings.LINK_RATE_LIMIT
    assert not [guess for guess in guessed if guess in caplog.text]


def test_the_browser_and_the_api_share_one_budget_per_address(study_a, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    browser = Client(REMOTE_ADDR="198.51.100.78")
    for _ in range(settings.LINK_RATE_LIMIT):
        assert browser.get(f"/e/{secrets.token_urlsafe(32)}/").status_code == 404
    api = APIClient(REMOTE_ADDR="198.51.100.78")
    api.credentials(HTTP_AUTHORIZATION=f"Invitation {secrets.token_urlsafe(32)}")
    assert api.get("/api/v1/me/ratings/").status_code == 429


def test_an_experts_own_api_requests_with_a_valid_link_are_never_throttled(study_a, monkeypatch):
    """Only refusals count in the API: an expert's script may call it as often as it needs."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    make_round(study_a, status=Round.Status.OPEN)
    expert = study_a.experts.earliest("number")
    api = APIClient(REMOTE_ADDR="198.51.100.79")
    api.credentials(HTTP_AUTHORIZATION=f"Invitation {token_issue(expert=expert)}")
    statuses = {api.get("/api/v1/me/ratings/").status_code for _ in range(settings.LINK_RATE_LIMIT * 2)}
    assert statuses == {200}
    assert not RefusedAttempts.objects.exists()


def test_refused_guesses_in_a_new_window_start_a_new_row(study_a, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    for _ in range(3):
        assert Client(REMOTE_ADDR="198.51.100.80").get(f"/e/{secrets.token_urlsafe(32)}/").status_code == 404
    now[0] += 3600
    assert Client(REMOTE_ADDR="198.51.100.80").get(f"/e/{secrets.token_urlsafe(32)}/").status_code == 404
    rows = RefusedAttempts.objects.order_by("window_start")
    assert [row.count for row in rows] == [3, 1]
    assert (rows[1].window_start - rows[0].window_start).total_seconds() == 3600


def test_a_panel_of_sixty_behind_one_address_opens_its_links(study_a, monkeypatch):
    """The issue's case: 60 experts of one institution behind NAT, each opening their link twice."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    experts = make_experts(study_a, 60)
    links = [token_issue(expert=expert) for expert in experts]
    statuses: dict[int, int] = {}
    for link in links * 2:
        status = Client(REMOTE_ADDR="192.0.2.10").get(f"/e/{link}/").status_code
        statuses[status] = statuses.get(status, 0) + 1
    assert statuses == {302: 120}


def test_one_link_opened_over_and_over_is_limited_on_its_own(study_a, monkeypatch):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    link = token_issue(expert=study_a.experts.earliest("number"))
    statuses = [
        Client(REMOTE_ADDR=f"192.0.2.{n}").get(f"/e/{link}/").status_code
        for n in range(settings.LINK_OPENINGS_PER_LINK + 2)
    ]
    assert statuses == [302] * settings.LINK_OPENINGS_PER_LINK + [429, 429]
    other = token_issue(expert=study_a.experts.latest("number"))
    assert Client(REMOTE_ADDR="192.0.2.1").get(f"/e/{other}/").status_code == 302  # that link only


def test_guesses_from_a_panels_address_still_cut_it_off(study_a, monkeypatch):
    """Refused openings have the small budget: a guesser behind the NAT is stopped (with the panel)."""
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    link = token_issue(expert=study_a.experts.earliest("number"))
    client = Client(REMOTE_ADDR="192.0.2.20")
    assert client.get(f"/e/{link}/").status_code == 302
    refused = [client.get(f"/e/{secrets.token_urlsafe(32)}/").status_code for _ in range(settings.LINK_RATE_LIMIT)]
    assert refused == [404] * settings.LINK_RATE_LIMIT
    assert client.get(f"/e/{secrets.token_urlsafe(32)}/").status_code == 429
    assert client.get(f"/e/{link}/").status_code == 429


def test_an_address_has_a_ceiling_on_all_openings(study_a, monkeypatch, settings):
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)
    settings.LINK_OPENINGS_PER_ADDRESS = 5
    link = token_issue(expert=study_a.experts.earliest("number"))
    statuses = [Client(REMOTE_ADDR="192.0.2.30").get(f"/e/{link}/").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
