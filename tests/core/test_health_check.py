"""The database health check (``core.postgresql``): no round trip on a quiet connection, and a connection the
server has ended is still found unusable, so the request gets a new one instead of an error."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend is PostgreSQL's"),
]


@pytest.fixture
def own_connection():
    """A connection of the project's backend beside the test's own, closed at the end."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_the_project_runs_its_own_backend():
    assert type(connections["default"]).__module__ == "core.postgresql.base"


def test_a_quiet_connection_is_usable_without_a_statement(own_connection, monkeypatch):
    def no_statements(*args, **kwargs):
        raise AssertionError("the health check sent a statement")

    monkeypatch.setattr(own_connection.connection, "cursor", no_statements)
    assert own_connection.is_usable()


def test_a_terminated_session_is_found_and_replaced(own_connection):
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the server's message arrives at once; wait for it anyway
        if not own_connection.is_usable():
            break
        time.sleep(0.05)
    assert not own_connection.is_usable()
    # as at the start of a request: the check fails, the connection is closed, the next query reconnects
    own_connection.health_check_enabled, own_connection.health_check_done = True, False
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_in_a_transaction_is_asked(own_connection):
    """Not idle (a transaction left open): the socket says nothing about it, so SELECT 1 decides."""
    own_connection.connection.execute("BEGIN")
    sent = []
    cursor = own_connection.connection.cursor

    def counted(*args, **kwargs):
        sent.append(1)
        return cursor(*args, **kwargs)

    own_connection.connection.cursor = counted
    assert own_connection.is_usable()
    assert sent == [1]
    own_connection.connection.execute("ROLLBACK")


def test_a_closed_connection_is_not_usable(own_connection):
    own_connection.connection.close()
    assert not own_connection.is_usable()
