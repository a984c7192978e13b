"""Django's PostgreSQL backend, with a health check that costs no round trip on a quiet connection.

With ``CONN_HEALTH_CHECKS`` Django checks a persistent connection before a request first uses it, by
sending ``SELECT 1``: a round trip to PostgreSQL on every request that reads anything (an expert's autosave
made seven, this was one of them). A connection the server has ended is not silent, though: a server that
shuts down or terminates the session sends a FATAL message and closes the socket, and a backend that dies
leaves the socket closed. Either makes an idle connection's socket readable, where a healthy idle connection
has nothing to read. So the check asks the operating system first (``poll`` with no timeout): nothing to
read, the connection is usable, as far as ``SELECT 1`` could tell too; something to read, or a connection not
idle, and the check is Django's own ``SELECT 1``. A server that vanishes without a word (a network cut)
fails the request's first statement instead of hanging the check, and Django closes the connection after it.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.pgconn.status != pq.ConnStatus.OK:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE or not hasattr(select, "poll"):
            return bool(super().is_usable())
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        try:
            unasked = poller.poll(0)
        except OSError:
            return False
        # Something the server sent without being asked: usually that it is ending the session. Ask it.
        return bool(super().is_usable()) if unasked else True
