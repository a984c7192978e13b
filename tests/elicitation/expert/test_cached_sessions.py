"""Sessions read from Redis (``core.sessions``): an autosave reads no session row, yet a revoked link, a
logout and an outage of Redis behave as with sessions in the database alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aggregation.jobs import coalescing_key
from elicitation.models import InvitationToken, Rating
from tests.elicitation.expert.test_round_views import HTMX, field
from tests.reliability.private_services import PrivateRedis, private_redis  # noqa: F401 - fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def cached_sessions(private_redis: PrivateRedis) -> Iterator[PrivateRedis]:  # noqa: F811 - the fixture
    caches = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": private_redis.url}}
    with override_settings(CACHES=caches, SESSION_ENGINE="core.sessions", SESSION_CACHE_SECONDS=300):
        yield private_redis


def _consented(link: str) -> Client:
    client = Client()
    client.get(link)
    assert client.post("/e/consent/", {"consent": "yes"}).status_code == 302
    return client


def _save(client: Client, round_, item, value: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/e/round/{round_.uuid}/save/", {field(item): value}, **HTMX)
    return response.status_code, [query["sql"] for query in captured.captured_queries]


def test_an_autosave_reads_its_session_from_the_cache_not_the_database(cached_sessions, link_a, open_round):
    client = _consented(link_a)
    item = open_round.items.order_by("pk")[0]
    cache.set(coalescing_key(open_round.pk), 1, timeout=600)  # a job is already scheduled for this interval
    status, statements = _save(client, open_round, item, "4")
    assert status == 200
    if connection.vendor == "postgresql":  # link check, BEGIN, the lock, the save, COMMIT
        assert len(statements) <= 5, "\n".join(statements)
    assert not [sql for sql in statements if "django_session" in sql]
    assert [sql for sql in statements if "elicitation_invitationtoken" in sql]  # the link is checked every time


def test_a_revoked_link_ends_a_cached_session_on_the_very_next_save(cached_sessions, expert_a, link_a, open_round):
    client = _consented(link_a)
    item = open_round.items.order_by("pk")[0]
    assert _save(client, open_round, item, "4")[0] == 200
    InvitationToken.objects.filter(expert=expert_a).update(revoked_at=timezone.now())
    assert _save(client, open_round, item, "5")[0] == 403
    assert Rating.objects.get().value == 4


def test_with_redis_down_an_expert_keeps_saving(cached_sessions, link_a, open_round):
    client = _consented(link_a)
    item = open_round.items.order_by("pk")[0]
    cached_sessions.stop()
    status, statements = _save(client, open_round, item, "6")
    assert status == 200
    assert [sql for sql in statements if "django_session" in sql]  # read from the database instead
    assert Rating.objects.get().value == 6


def test_a_logged_out_session_cannot_be_used_again(cached_sessions, coordinator_a):
    client = Client()
    client.force_login(coordinator_a)
    assert client.get("/").status_code == 200
    cookie = client.cookies["sessionid"].value
    assert client.post("/accounts/logout/").status_code in (200, 302)
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/").status_code == 302  # to the login page
