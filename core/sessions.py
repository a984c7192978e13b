"""Sessions read from the cache, written through to the database, and never broken by the cache.

Django's ``cached_db`` engine saves a statement on every request that only reads its session (an
expert's autosave: the session holds which link it was opened with, and the link itself is still checked
in the database on every request, so revoking it ends the session at once). This store keeps that, and
treats the cache as an optimisation only: when Redis is down every operation falls back to the database
(Django's own engine raises from a read that misses the cache, and from ``exists`` and ``delete``).

A cached copy lives at most ``SESSION_CACHE_SECONDS``: a session deleted while the cache could not be
reached (a logout during an outage) cannot come back for longer than that once the cache returns.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbStore
from django.contrib.sessions.backends.db import SessionStore as DbStore
from django.core.cache import BaseCache, caches

from core.db_sessions import SessionRowRead

logger = logging.getLogger(__name__)


class SessionStore(SessionRowRead, CachedDbStore):
    @property
    def _shared(self) -> BaseCache:
        return caches[settings.SESSION_CACHE_ALIAS]

    def _cache_seconds(self, expiry_age: int) -> int:
        return max(0, min(expiry_age, settings.SESSION_CACHE_SECONDS))

    def load(self) -> dict[str, Any]:
        try:
            data = self._shared.get(self.cache_key)
        except Exception:
            logger.warning("session cache unreachable; reading the session from the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key: str) -> bool:
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._shared:
                return True
        except Exception:
            logger.warning("session cache unreachable; checking the database", exc_info=True)
        return DbStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        DbStore.save(self, must_create)
        self._cache_set(self._session, self.get_expiry_age())  # type: ignore[attr-defined]

    def delete(self, session_key: str | None = None) -> None:
        DbStore.delete(self, session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._shared.delete(self.cache_key_prefix + session_key)
        except Exception:
            logger.warning(
                "session cache unreachable: a deleted session stays cached at most %ss",
                settings.SESSION_CACHE_SECONDS,
                exc_info=True,
            )

    def _cache_set(self, data: dict[str, Any], expiry_age: int) -> None:
        try:
            self._shared.set(self.cache_key, data, self._cache_seconds(expiry_age))
        except Exception:
            logger.warning("session cache unreachable; the session is in the database only", exc_info=True)
