"""Real threads with their own database connections, for race tests on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def in_thread(target: Callable[[], object], results: dict[str, object], key: str) -> threading.Thread:
    """Start ``target`` in a thread; its result (or the exception it raised) lands in ``results[key]``."""

    def run() -> None:
        try:
            results[key] = target()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread raised
            results[key] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=key)
    thread.start()
    return thread


def read_committed(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` as another connection reads them: only what has committed."""

    def read() -> list[tuple[Any, ...]]:
        with connections["default"].cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    results: dict[str, object] = {}
    in_thread(read, results, "reader").join()
    found = results["reader"]
    if isinstance(found, Exception):
        raise found
    return found  # type: ignore[return-value]
