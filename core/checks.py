"""Deployment checks of our own (``manage.py check --deploy``), beside Django's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from core.mail import CONSOLE_BACKEND

LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@register(Tags.security, deploy=True)
def emails_are_sent(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """In production an email that is not sent is an expert who never gets their link."""
    if settings.DEBUG:
        return []
    if settings.EMAIL_BACKEND == CONSOLE_BACKEND:
        return [
            Warning(
                "Emails are printed to the console, not sent (EMAIL_URL unset or console://, EMAIL_CONSOLE_ALLOWED=1): "
                "experts receive no invitations, reminders or new links.",
                hint="Set EMAIL_URL=smtp://user:password@host:587?tls=1 (or smtps://) and drop EMAIL_CONSOLE_ALLOWED.",
                id="coopsurvey.W001",
            )
        ]
    if settings.EMAIL_BACKEND == LOCMEM_BACKEND:
        return [
            Warning(
                "Emails are kept in memory and never sent (EMAIL_URL=locmem://).",
                hint="Set EMAIL_URL=smtp://user:password@host:587?tls=1 (or smtps://).",
                id="coopsurvey.W002",
            )
        ]
    return []
