"""A short write transaction in one round trip: BEGIN, its statements and COMMIT sent together.

Through Django's ``transaction.atomic`` a transaction of two statements is four round trips to PostgreSQL:
psycopg sends ``BEGIN`` and waits for it before the first statement, and ``COMMIT`` after the last. On a
machine where each round trip wakes two processes, those waits are a large part of a small write's cost
(docs/benchmarks.md, "Issue 18"). Here the connection stays in autocommit mode and the transaction is sent
in psycopg's pipeline mode, in one message batch: the server runs the statements in order as one
transaction, each with a snapshot taken when it starts (read committed), so a statement sees the rows the
ones before it locked as they are once locked. ``transaction_rows`` returns only once ``COMMIT`` has
succeeded, so what the statements wrote is durable before the caller answers anyone.

Nothing runs in Python between the statements, so a statement that must not write in some case (a closed
round, say) carries that condition itself; the caller reads why from the rows afterwards. Any error
PostgreSQL reports rolls the whole transaction back and leaves the connection idle. Statements go through
Django's cursor wrapper, as ``core.prepared`` sends them: query log, counting and error classes.

Use it only where ``transaction.atomic`` is not active (``available()``); inside an atomic block the
caller's transaction decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import psycopg
from django.db import connections
from psycopg.pq import ExecStatus, TransactionStatus

from core.prepared import PreparedCursor, numbered_values, wrapped_cursor

Statement = tuple[str, Sequence[Any] | Mapping[str, Any]]


def available(alias: str = "default") -> bool:
    """PostgreSQL, in autocommit mode, outside any ``transaction.atomic``."""
    connection = connections[alias]
    return connection.vendor == "postgresql" and not connection.in_atomic_block and connection.get_autocommit()


def transaction_rows(statements: Sequence[Statement], alias: str = "default") -> list[tuple[Any, ...] | None]:
    """BEGIN, ``statements`` (each prepared, as ``core.prepared.fetch_one``) and COMMIT in one round trip:
    the first row of each statement (None where it has none), once the transaction has committed."""
    if not statements:
        raise ValueError("a transaction needs at least one statement")
    if not available(alias):
        raise RuntimeError("a pipelined transaction needs PostgreSQL in autocommit mode, outside atomic blocks")
    connection = connections[alias]
    numbered = [numbered_values(sql, params) for sql, params in statements]
    committed = False
    try:
        with ExitStack() as cursors:
            command = cursors.enter_context(wrapped_cursor(psycopg.Cursor, alias=alias))
            sent = [cursors.enter_context(wrapped_cursor(PreparedCursor, alias=alias)) for _ in numbered]
            with connection.wrap_database_errors, connection.connection.pipeline():
                command.execute(b"BEGIN")
                for cursor, (text, values) in zip(sent, numbered, strict=True):
                    cursor.execute(text, values)
                command.execute(b"COMMIT")
            committed = True
            # Whether a statement gave rows, from its result's status: ``description`` would build its columns.
            return [cursor.fetchone() if _has_rows(cursor) else None for cursor in sent]
    finally:
        if not committed:
            _rollback(alias)


def _has_rows(cursor: Any) -> bool:
    result = cursor.pgresult
    return result is not None and result.status == ExecStatus.TUPLES_OK


def _rollback(alias: str) -> None:
    raw = connections[alias].connection
    if raw is None or raw.closed or raw.info.transaction_status == TransactionStatus.IDLE:
        return
    with wrapped_cursor(psycopg.Cursor, alias=alias) as command:
        command.execute(b"ROLLBACK")
