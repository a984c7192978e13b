"""A write transaction in two round trips (``core.pipelined``): BEGIN with the first statement, COMMIT with the
last; anything else leaves nothing written and the connection idle and usable."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg.pq import TransactionStatus

from core import pipelined
from core.pipelined import PipelinedTransaction
from tests.threads import read_committed

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode is psycopg's, on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

INSERT = "INSERT INTO pipelined_probe VALUES (%s, %s) RETURNING id"
INSERT_NOW = "INSERT INTO pipelined_probe VALUES (%s, %s) RETURNING id, txid_current()"


@pytest.fixture
def probe():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE pipelined_probe (id int PRIMARY KEY, word text NOT NULL)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE pipelined_probe")


def _seen_elsewhere() -> list[tuple[object, ...]]:
    return read_committed("SELECT id, word FROM pipelined_probe ORDER BY id")


def _idle() -> bool:
    return connection.connection.info.transaction_status == TransactionStatus.IDLE


def _count_separate_round_trips(monkeypatch) -> list[bytes]:
    """psycopg's own BEGIN and COMMIT each wait for their answer: record any."""
    sent: list[bytes] = []
    original = psycopg.Connection._exec_command

    def spy(self, command, *args, **kwargs):
        sent.append(bytes(command) if isinstance(command, bytes | bytearray) else str(command).encode())
        return original(self, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "_exec_command", spy)
    return sent


def test_both_statements_run_in_one_transaction_and_commit(probe, monkeypatch):
    separate = _count_separate_round_trips(monkeypatch)
    with CaptureQueriesContext(connection) as captured, PipelinedTransaction() as tx:
        first = tx.first_row(INSERT_NOW, [1, "one"])
        assert not _idle()
        assert _seen_elsewhere() == []  # not committed yet
        last = tx.last_row(INSERT_NOW, [2, "two"])
    assert first is not None
    assert last is not None
    assert first[1] == last[1], "one transaction"
    assert _idle()
    assert _seen_elsewhere() == [(1, "one"), (2, "two")]
    sent = [query["sql"] for query in captured.captured_queries]
    assert len(sent) == 4, sent
    assert sent[0] == "BEGIN"
    assert sent[-1] == "COMMIT"
    assert separate == [], "BEGIN and COMMIT travel with the statements, not in round trips of their own"
    with transaction.atomic(), connection.cursor() as cursor:  # the spy sees them where they are separate
        cursor.execute("INSERT INTO pipelined_probe VALUES (3, 'three')")
    assert separate == [b"BEGIN", b"COMMIT"]


def test_leaving_without_the_last_statement_rolls_back(probe):
    with PipelinedTransaction() as tx:
        assert tx.first_row(INSERT, [1, "one"]) == (1,)
    assert _idle()
    assert _seen_elsewhere() == []


def _check_fails_between_the_statements() -> None:
    with PipelinedTransaction() as tx:
        tx.first_row(INSERT, [1, "one"])
        raise LookupError("a check in Python failed")


def test_an_exception_between_the_statements_rolls_back(probe):
    with pytest.raises(LookupError):
        _check_fails_between_the_statements()
    assert _idle()
    assert _seen_elsewhere() == []


def test_a_failing_last_statement_commits_nothing_and_says_so_in_djangos_terms(probe):
    with PipelinedTransaction() as tx:
        tx.first_row(INSERT, [1, "one"])
        with pytest.raises(IntegrityError):
            tx.last_row(INSERT, [1, "again"])  # the same key
    assert _idle()
    assert _seen_elsewhere() == []
    with connection.cursor() as cursor:  # the connection is usable at once
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_failing_first_statement_leaves_the_connection_idle(probe):
    with PipelinedTransaction() as tx, pytest.raises(IntegrityError):
        tx.first_row("INSERT INTO pipelined_probe VALUES (%s, NULL) RETURNING id", [1])
    assert _idle()
    with PipelinedTransaction() as tx:  # and the next transaction runs as usual
        tx.first_row(INSERT, [1, "one"])
        tx.last_row("SELECT count(*) FROM pipelined_probe WHERE %s", [True])
    assert _seen_elsewhere() == [(1, "one")]


def test_it_is_refused_inside_an_atomic_block_where_the_callers_transaction_decides(probe):
    assert pipelined.available()
    with transaction.atomic():
        assert not pipelined.available()
        with pytest.raises(RuntimeError, match="outside atomic blocks"), PipelinedTransaction():
            pass


def test_the_statements_are_sent_in_their_order(probe):
    with PipelinedTransaction() as tx:
        with pytest.raises(RuntimeError, match="no transaction is open"):
            tx.last_row("SELECT %s", [1])
        tx.first_row("SELECT %s", [1])
        with pytest.raises(RuntimeError, match="begun already"):
            tx.first_row("SELECT %s", [1])
        tx.last_row("SELECT %s", [1])
    assert _idle()
