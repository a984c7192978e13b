"""Fixtures for the rounds tests: tasks run in-process unless a test starts the real worker."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_celery: None) -> None:
    """Every rounds test runs its tasks in-process (``eager_celery`` leaves a real worker's tests alone)."""
