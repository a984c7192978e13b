"""One read transaction for streaming a large query through a server-side cursor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

CHUNK_ROWS = 5000


@contextmanager
def read_snapshot() -> Iterator[None]:
    """A transaction for server-side cursors: rows stream as the database produces them, from one snapshot.

    Outside a transaction Django would declare the cursor WITH HOLD, which makes PostgreSQL compute
    and store the whole result before the first row. PostgreSQL's JIT compiler is turned off: it
    spends seconds compiling a plan that only streams rows in index order.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield
