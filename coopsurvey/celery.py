"""The Celery application, configured from Django settings (CELERY_* names)."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coopsurvey.settings")

app = Celery("coopsurvey")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="coopsurvey.ping")
def ping() -> str:
    """A trivial task: used by tests and operators to see a worker execute work."""
    return "pong"


@app.task(name="coopsurvey.sweep_jobs", acks_late=True)
def sweep_jobs() -> dict[str, list[int]]:
    """Beat: send every due job, and queue again those whose worker died (``coopsurvey.jobs.sweep``)."""
    from coopsurvey import jobs

    return jobs.sweep()


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_link_secrets(logger: logging.Logger, **kwargs: Any) -> None:
    """The worker replaces Django's log handlers with its own: give those the link-secret filter too.

    Everything the worker writes goes through them, its stdout included (Celery redirects it
    into the log), so no personal link or reset token reaches the worker's log in clear.
    """
    from core.link_redaction import RedactLinkTokens

    for handler in logger.handlers:
        if not any(isinstance(existing, RedactLinkTokens) for existing in handler.filters):
            handler.addFilter(RedactLinkTokens())
