"""Sessions in the database (the default engine), read with one statement written once.

Django's engine builds and compiles the same ORM query for every request that reads its session; an
expert's autosave reads it on every tap. This store reads the row with fixed SQL and keeps Django's
behaviour otherwise: an expired or unknown session is no session, and writes go through the ORM.
``core.sessions`` (the cached engine) reads the database the same way when the cache misses.
"""

from __future__ import annotations

import functools

from django.contrib.sessions.backends.db import SessionStore as DbStore
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from core.prepared import fetch_one
from core.raw_rows import row_shape


class SessionRowRead:
    """``_get_session_from_db`` of Django's database engine without the ORM's query building."""

    session_key: str | None
    _session_key: str | None

    def _get_session_from_db(self) -> Session | None:
        if self.session_key is None:
            return None
        alias = router.db_for_read(Session)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        row = fetch_one(_session_sql(alias), [self.session_key, now], alias=alias)
        if row is None:
            self._session_key = None  # as Django's engine: an unknown or expired key is dropped
            return None
        return row_shape(Session, "s", alias).instance(row)


@functools.cache
def _session_sql(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    shape = row_shape(Session, "s", alias)
    # Table and column names come from the model; the key and the time are parameters.
    return " ".join(
        [
            f"SELECT {shape.select}",
            f"FROM {quote(Session._meta.db_table)} s",
            f"WHERE s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s",
        ]
    )


class SessionStore(SessionRowRead, DbStore):
    pass
