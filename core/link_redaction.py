"""Keep link secrets out of logs: ``/e/<token>/`` is written as ``/e/[link]/``, a password-reset
link ``/accounts/reset/<uid>/<token>/`` as ``/accounts/reset/<uid>/[link]/``.

A logging filter for Django's request and server loggers and the console handler (see
settings.LOGGING), the Celery worker's log handlers (coopsurvey.celery), the gunicorn access logger
(coopsurvey.gunicorn_logging) and the console email backend (core.mail) all use ``redact``.
Expert pages under ``/e/`` that are not tokens keep their names so logs stay useful.
"""

from __future__ import annotations

import logging
import re

EXPERT_PAGES = ("round", "consent", "thanks", "language", "new-link", "summary")
_TOKEN_PATH = re.compile(r"/e/(?!(?:{})(?:[/?#\s\"']|$))[^/?#\s\"']+".format("|".join(EXPERT_PAGES)))
# Django's password-reset links: /accounts/reset/<uidb64>/<token>/ (its own next step is "set-password").
_RESET_PATH = re.compile(r"(/reset/[^/?#\s\"']+/)(?!set-password(?:[/?#\s\"']|$))[^/?#\s\"']+")


def redact(text: str) -> str:
    """``text`` with every link secret replaced: personal-link tokens in ``/e/...`` paths, password-reset tokens."""
    return _RESET_PATH.sub(r"\1[link]", _TOKEN_PATH.sub("/e/[link]", text))


class RedactLinkTokens(logging.Filter):
    """Rewrites a record's message (and drops the request it carries) when it names a link token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
            if hasattr(record, "request"):
                record.request = None  # handlers such as mail_admins would print its path
        return True
