"""A write transaction in one round trip (``core.pipelined``): BEGIN, the statements and COMMIT sent together;
any error leaves nothing written and the connection idle and usable."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg.pq import TransactionStatus

from core import pipelined
from core.pipelined import transaction_rows
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


def test_the_statements_run_in_one_transaction_sent_at_once_and_commit(probe, monkeypatch):
    separate = _count_separate_round_trips(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        first, second = transaction_rows([(INSERT_NOW, [1, "one"]), (INSERT_NOW, [2, "two"])])
    assert first is not None
    assert second is not None
    assert first[1] == second[1], "one transaction"
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


def test_one_round_trip_for_all_of_it(probe, monkeypatch):
    """One Sync for the whole transaction, and the client waits for the server only after it has sent it."""
    from psycopg import waiting
    from psycopg._pipeline_base import BasePipeline

    events: list[str] = []
    original_wait, original_sync = waiting.wait, BasePipeline._enqueue_sync

    def wait(gen, *args, **kwargs):
        def watched():
            try:
                state = next(gen)
                while True:
                    if state == waiting.Wait.R:
                        events.append("wait for the server")
                    state = gen.send((yield state))
            except StopIteration as stop:
                return stop.value

        return original_wait(watched(), *args, **kwargs)

    def sync(self):
        events.append("sync")
        return original_sync(self)

    monkeypatch.setattr(waiting, "wait", wait)
    monkeypatch.setattr(BasePipeline, "_enqueue_sync", sync)
    rows = transaction_rows([(INSERT, [1, "one"]), (INSERT, [2, "two"]), ("SELECT count(*) FROM pipelined_probe", [])])
    monkeypatch.undo()
    assert rows == [(1,), (2,), (2,)]
    assert events.count("sync") == 1, events
    assert events.index("sync") == 0, f"the client waited for the server before it had sent everything: {events}"


def test_a_later_statement_sees_what_an_earlier_one_wrote(probe):
    rows = transaction_rows([(INSERT, [1, "one"]), ("SELECT count(*) FROM pipelined_probe WHERE %s", [True])])
    assert rows == [(1,), (1,)]


def test_a_statement_without_rows_gives_none(probe):
    assert transaction_rows([("INSERT INTO pipelined_probe VALUES (%s, %s)", [1, "one"])]) == [None]
    assert _seen_elsewhere() == [(1, "one")]


def test_a_failing_statement_commits_nothing_and_says_so_in_djangos_terms(probe):
    with pytest.raises(IntegrityError):
        transaction_rows([(INSERT, [1, "one"]), (INSERT, [1, "again"])])  # the same key
    assert _idle()
    assert _seen_elsewhere() == []
    with connection.cursor() as cursor:  # the connection is usable at once
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_failing_first_statement_leaves_the_connection_idle(probe):
    with pytest.raises(IntegrityError):
        transaction_rows([("INSERT INTO pipelined_probe VALUES (%s, NULL) RETURNING id", [1]), (INSERT, [2, "two"])])
    assert _idle()
    assert _seen_elsewhere() == []
    transaction_rows([(INSERT, [1, "one"])])  # and the next transaction runs as usual
    assert _seen_elsewhere() == [(1, "one")]


def test_it_is_refused_inside_an_atomic_block_where_the_callers_transaction_decides(probe):
    assert pipelined.available()
    with transaction.atomic():
        assert not pipelined.available()
        with pytest.raises(RuntimeError, match="outside atomic blocks"):
            transaction_rows([("SELECT %s", [1])])


def test_no_statement_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        transaction_rows([])
