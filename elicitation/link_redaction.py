"""Keep personal link tokens out of logs: ``/e/<token>/`` is written as ``/e/[link]/``.

A logging filter for Django's request and server loggers (see settings.LOGGING) and the gunicorn
access logger (coopsurvey.gunicorn_logging) both use ``redact``. Expert pages under ``/e/`` that are
not tokens keep their names so logs stay useful.
"""

from __future__ import annotations

import logging
import re

EXPERT_PAGES = ("round", "consent", "thanks", "language", "new-link")
_TOKEN_PATH = re.compile(r"/e/(?!(?:{})(?:[/?#\s\"']|$))[^/?#\s\"']+".format("|".join(EXPERT_PAGES)))


def redact(text: str) -> str:
    """``text`` with every link token in an ``/e/...`` path replaced."""
    return _TOKEN_PATH.sub("/e/[link]", text)


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
