"""A short write transaction in two round trips: BEGIN travels with its first statement, COMMIT with its last.

Through Django's ``transaction.atomic`` a transaction of two statements is four round trips to PostgreSQL:
psycopg sends ``BEGIN`` and waits for it before the first statement, and ``COMMIT`` after the last. On a
machine where each round trip wakes two processes, those two extra waits are a large part of a small
write's cost (docs/benchmarks.md, "Issue 18, session 10"). Here the connection stays in autocommit mode
and the transaction is sent in psycopg's pipeline mode: ``BEGIN`` and the first statement in one message
batch, then (after Python has looked at the first row) the last statement and ``COMMIT`` in another. The
server runs them in order as one transaction; the last call returns only once ``COMMIT`` has succeeded,
so what it wrote is durable before the caller answers anyone.

Use it only where ``transaction.atomic`` is not active (``available()``); inside an atomic block the
caller's transaction decides. Leaving the block without ``last_row`` (an early return or an exception)
rolls back, and so does any error PostgreSQL reports, so the connection is always left idle. Statements go
through Django's cursor wrapper, as ``core.prepared`` sends them: query log, counting and error classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import psycopg
from django.db import connections
from psycopg.pq import TransactionStatus

from core.prepared import PreparedCursor, numbered_values, wrapped_cursor


def available(alias: str = "default") -> bool:
    """PostgreSQL, in autocommit mode, outside any ``transaction.atomic``."""
    connection = connections[alias]
    return connection.vendor == "postgresql" and not connection.in_atomic_block and connection.get_autocommit()


class PipelinedTransaction:
    """``with PipelinedTransaction() as tx: row = tx.first_row(...); ...; row = tx.last_row(...)``."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self.begun = False
        self.committed = False

    def __enter__(self) -> PipelinedTransaction:
        if not available(self.alias):
            raise RuntimeError("a pipelined transaction needs PostgreSQL in autocommit mode, outside atomic blocks")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.begun and not self.committed:
            self._rollback()

    def first_row(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
        """BEGIN and ``sql`` (prepared, as ``core.prepared.fetch_one``) in one round trip: its first row."""
        if self.begun:
            raise RuntimeError("the transaction has begun already")
        self.begun = True
        return self._send(sql, params, before=b"BEGIN")

    def last_row(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
        """``sql`` and COMMIT in one round trip: its first row, once the transaction has committed."""
        if not self.begun or self.committed:
            raise RuntimeError("no transaction is open")
        row = self._send(sql, params, after=b"COMMIT")
        self.committed = True
        return row

    def _send(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any], *, before: bytes = b"", after: bytes = b""
    ) -> tuple[Any, ...] | None:
        connection = connections[self.alias]
        text, values = numbered_values(sql, params)
        with (
            wrapped_cursor(PreparedCursor, alias=self.alias) as statement,
            wrapped_cursor(psycopg.Cursor, alias=self.alias) as command,
        ):
            with connection.wrap_database_errors, connection.connection.pipeline():
                if before:
                    command.execute(before)
                statement.execute(text, values)
                if after:
                    command.execute(after)
            return statement.fetchone()

    def _rollback(self) -> None:
        connection = connections[self.alias]
        raw = connection.connection
        if raw is None or raw.closed or raw.info.transaction_status == TransactionStatus.IDLE:
            return
        with wrapped_cursor(psycopg.Cursor, alias=self.alias) as command:
            command.execute(b"ROLLBACK")
