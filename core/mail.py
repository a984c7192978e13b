"""Emails printed to the console (``EMAIL_URL=console://``) without the secrets of the links they carry.

An invitation, reminder or new-link email holds the expert's personal link, a password-reset
email the reset link: printed whole, a worker's log would hold every secret. With DEBUG on (a
developer's machine, ``make demo``) the email is printed as it is, so its link can be followed;
otherwise the links are redacted as in every other log (core.link_redaction).
With DEBUG off the console backend is refused at start-up unless ``EMAIL_CONSOLE_ALLOWED=1``
(coopsurvey/settings.py), and ``check --deploy`` warns while it is on (core/checks.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail.backends.console import EmailBackend

from core.link_redaction import redact

CONSOLE_BACKEND = "core.mail.ConsoleEmailBackend"


class ConsoleEmailBackend(EmailBackend):
    def write_message(self, message: Any) -> None:
        msg = message.message()
        charset = msg.get_charset().get_output_charset() if msg.get_charset() else "utf-8"
        text = msg.as_bytes().decode(charset)
        self.stream.write(f"{text if settings.DEBUG else redact(text)}\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")
