"""Sessions in the database (the default engine), read with one statement written once.

Django's engine builds and compiles the same ORM query for every request that reads its session; an
expert's autosave reads it on every tap. This store reads the row with fixed SQL and keeps Django's
behaviour otherwise: an expired or unknown session is no session, and writes go through the ORM.
``core.sessions`` (the cached engine) reads the database the same way when the cache misses.

**Reading along.** A request that reads its session usually reads something the session names next (an
expert's autosave: the link the session was opened with, checked on every request). An app may register a
*read-along* (:func:`register_read_along`): given the session key, it may offer one more ``SELECT`` (at most
one row) that is then read in the same statement as the session's row (``LEFT JOIN LATERAL``), one round
trip instead of two. The store keeps what was read as ``read_along`` (:class:`ReadAlongRow`), with the
``key`` the read-along was asked for; the app uses the row only where that key is what the decoded session
itself says, and reads on its own otherwise. PostgreSQL only; elsewhere nothing is read along.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DbStore
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

from core.prepared import fetch_one
from core.raw_rows import row_shape


@dataclass(frozen=True)
class ReadAlong:
    """One more ``SELECT`` read with the session's row: ``sql`` has ``%(name)s`` placeholders (none named
    ``session_key`` or ``session_now``), gives ``width`` columns and at most one row."""

    key: Hashable  # what it was asked for: the app compares it with what the session says
    sql: str
    params: Mapping[str, Any]
    width: int


@dataclass(frozen=True)
class ReadAlongRow:
    """What a read-along gave: its ``key``, and its columns (all None when its SELECT found no row)."""

    key: Hashable
    row: Sequence[Any]


ReadAlongFor = Callable[[str], ReadAlong | None]
_read_alongs: list[ReadAlongFor] = []


def register_read_along(read_along: ReadAlongFor) -> None:
    """Let ``read_along(session_key)`` add a statement to the session's read (one at most per read)."""
    if read_along not in _read_alongs:
        _read_alongs.append(read_along)


class SessionRowRead:
    """``_get_session_from_db`` of Django's database engine without the ORM's query building."""

    session_key: str | None
    _session_key: str | None
    read_along: ReadAlongRow | None = None

    def _get_session_from_db(self) -> Session | None:
        self.read_along = None
        if self.session_key is None:
            return None
        alias = router.db_for_read(Session)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        along = _read_along_for(self.session_key) if connection.vendor == "postgresql" else None
        params = {**(along.params if along else {}), "session_key": self.session_key, "session_now": now}
        row = fetch_one(_session_sql(alias, along.sql if along else None), params, alias=alias)
        if row is None:
            self._session_key = None  # as Django's engine: an unknown or expired key is dropped
            return None
        shape = row_shape(Session, "s", alias)
        if along is not None:
            self.read_along = ReadAlongRow(key=along.key, row=tuple(row[shape.width : shape.width + along.width]))
        return shape.instance(row)


def _read_along_for(session_key: str) -> ReadAlong | None:
    for read_along in _read_alongs:
        along = read_along(session_key)
        if along is not None:
            return along
    return None


@functools.lru_cache(maxsize=16)
def _session_sql(alias: str, along_sql: str | None = None) -> str:
    quote = connections[alias].ops.quote_name
    shape = row_shape(Session, "s", alias)
    # Table and column names come from the model; the key and the time are parameters. A read-along's own
    # aliases are its own: a LATERAL subquery's names shadow the outer ones.
    selected, joined = (
        ("", "") if along_sql is None else (", along.*", f" LEFT JOIN LATERAL ({along_sql}) along ON true")
    )
    return " ".join(
        [
            f"SELECT {shape.select}{selected}",
            f"FROM {quote(Session._meta.db_table)} s{joined}",
            f"WHERE s.{quote('session_key')} = %(session_key)s AND s.{quote('expire_date')} > %(session_now)s",
        ]
    )


class SessionStore(SessionRowRead, DbStore):
    pass
