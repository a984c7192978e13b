"""The reads an expert's every request makes, made cheaper without changing what they answer: the session
row (``core.db_sessions``) and the Redis cache's client (``core.redis_cache``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoDbStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db_sessions import SessionStore
from core.redis_cache import RedisCache
from tests.reliability.private_services import PrivateRedis, private_redis  # noqa: F401 - fixture


@pytest.mark.django_db
def test_a_session_reads_back_as_djangos_engine_reads_it():
    stored = DjangoDbStore()
    stored.update({"coopsurvey_expert": {"expert": 3, "token": 7}, "language": "zh-hans"})
    stored.save()
    ours = SessionStore(stored.session_key)
    with CaptureQueriesContext(connection) as captured:
        assert dict(ours.items()) == dict(DjangoDbStore(stored.session_key).items())
    assert len(captured.captured_queries) == 2  # one each
    assert ours.session_key == stored.session_key
    row = ours._get_session_from_db()
    assert row is not None
    assert row.expire_date == Session.objects.get(pk=stored.session_key).expire_date


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["expired", "unknown"])
def test_an_expired_or_unknown_session_is_no_session(case: str):
    stored = DjangoDbStore()
    stored["k"] = "v"
    stored.save()
    key = stored.session_key if case == "expired" else "x" * 32
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    ours = SessionStore(key)
    assert dict(ours.items()) == {}
    assert ours.session_key is None  # as Django's engine: a new key is made if anything is stored


@pytest.mark.services
def test_the_redis_cache_makes_its_client_once_and_behaves_as_djangos(private_redis: PrivateRedis):  # noqa: F811
    settings_caches = {"default": {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": private_redis.url}}
    with override_settings(CACHES=settings_caches):
        cache = caches.create_connection("default")
        assert isinstance(cache, RedisCache)
        client = cache._cache.get_client(write=True)
        assert cache._cache.get_client(write=True) is client
        assert cache._cache.get_client() is client  # one server: reads and writes share the pool
        assert cache.add("coalescing", 1, timeout=30)
        assert not cache.add("coalescing", 1, timeout=30)  # SET NX: the second of an interval is refused
        cache.set("session", {"a": [1, 2]}, timeout=30)
        assert cache.get("session") == {"a": [1, 2]}
        cache.delete("coalescing")
        assert cache.add("coalescing", 1, timeout=30)
        private_redis.stop()
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever redis-py raises; callers catch it
            cache.get("session")
        private_redis.start()
        assert cache.get("session") is None  # a restarted, empty server: the shared client reconnects
