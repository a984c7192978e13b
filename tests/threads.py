"""Real threads with their own database connections, for race tests on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
