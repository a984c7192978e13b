"""Hot-path statements that PostgreSQL parses and plans once per connection, not on every request.

An expert's autosave sends the same four statements on every tap (the session, the link check, the round
lock and the save itself). Through Django's default cursor, psycopg merges the values into the text
client-side, so each execution is a new statement to PostgreSQL: parsed and planned every time (the save's
planning alone was 1.7 ms of its 2.5 ms in PostgreSQL's log), and the save's text, too long for psycopg's
cache of converted queries, scanned in Python every time too.

``fetch_one`` (and ``fetch_all``) sends such a statement with server-side parameters (``$1``, ``$2``...
written once per SQL text) as a named prepared statement of the connection, through Django's cursor wrapper, so execute
wrappers, ``CaptureQueriesContext``, debug logging and error translation see it as any other statement.
The settings make the connection run prepared statements on their generic plan (``plan_cache_mode``):
PostgreSQL would otherwise re-plan the save for each tap's values, because a custom plan looks no dearer
than the generic one. On other databases it is Django's cursor as usual; with ``DB_PREPARED_STATEMENTS=0``
the statements are sent unprepared. Prepared statements live as long as the connection; a migration that
changes a table makes PostgreSQL re-plan them. ``wrapped_cursor`` is that wrapping for any psycopg cursor:
the aggregation's binary read (``aggregation.ratings_reader``) uses it too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connections

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


@dataclass(frozen=True)
class SentQuery:
    query: bytes  # what Django's query log reads (``last_executed_query``)


class PreparedCursor(psycopg.RawCursor):
    """psycopg's cursor for ``$n`` placeholders, preparing every statement it executes."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        result = super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)
        # psycopg keeps the text it sent only for statements it did not prepare; the query log wants it always.
        self._query = SentQuery(query.encode() if isinstance(query, str) else bytes(query))  # type: ignore[assignment]
        return result


@functools.lru_cache(maxsize=128)
def numbered(sql: str) -> tuple[str, tuple[str, ...] | int]:
    """``sql`` with ``$n`` placeholders, and the parameter names in their order (``%(name)s``, each name
    numbered once however often it appears) or the count of positional ``%s``. Mixing both is an error."""
    names: list[str] = []
    positional = 0

    def number(match: re.Match[str]) -> str:
        nonlocal positional
        text = match.group(0)
        if text == "%%":
            return "%"
        name = match.group(1)
        if name is None:
            positional += 1
            return f"${positional}"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    text = _PLACEHOLDER.sub(number, sql)
    if names and positional:
        raise ValueError("a statement takes either %s or %(name)s placeholders, not both")
    return text, tuple(names) if names else positional


def fetch_one(sql: str, params: Sequence[Any] | Mapping[str, Any], *, alias: str = "default") -> tuple[Any, ...] | None:
    """The first row of ``sql`` (``%s`` or ``%(name)s`` placeholders), prepared on PostgreSQL."""
    return _fetch(sql, params, alias=alias, many=False)


def fetch_all(sql: str, params: Sequence[Any] | Mapping[str, Any], *, alias: str = "default") -> list[tuple[Any, ...]]:
    """Every row of ``sql``, as :func:`fetch_one` sends it."""
    return _fetch(sql, params, alias=alias, many=True)


def _fetch(sql: str, params: Sequence[Any] | Mapping[str, Any], *, alias: str, many: bool) -> Any:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if many else cursor.fetchone()
    text, values = numbered_values(sql, params)
    with wrapped_cursor(PreparedCursor, alias=alias) as cursor:
        cursor.execute(text, values)
        return cursor.fetchall() if many else cursor.fetchone()


def numbered_values(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``sql`` with ``$n`` placeholders and ``params`` in their order (see :func:`numbered`)."""
    text, order = numbered(sql)
    if isinstance(order, tuple):
        if not isinstance(params, Mapping):
            raise TypeError("named placeholders take a mapping of parameters")
        return text, [params[name] for name in order]
    if isinstance(params, Mapping) or len(params) != order:
        raise TypeError(f"the statement takes {order} positional parameters")
    return text, list(params)


def wrapped_cursor(make: Callable[[Any], Any], *, alias: str = "default") -> Any:
    """A psycopg cursor that ``make`` builds on Django's connection, in Django's wrapper, as
    ``connection.cursor()`` gives its own: the health check, the connection, then execute wrappers, the query
    log, query counting and Django's error classes."""
    connection = connections[alias]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = make(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
