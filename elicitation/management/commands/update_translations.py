"""Refresh the Chinese message catalogues from the code, keeping every existing translation.

A thin wrapper over Django's ``makemessages`` (which needs GNU gettext's ``xgettext``) with the
project's own choices: the locales we ship, both domains (templates/Python and JavaScript), and
the folders that hold no user-facing strings left out, so the catalogue lists exactly what a
person can read. The test suite runs the same extraction to prove every string is translated.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

LOCALES = ["zh_Hans"]
IGNORED = ["tests/*", "bench/*", "docs/*", "scripts/*", "static/vendor/*", "staticfiles/*", "locale"]


def extract_messages(*, locales: list[str] | None = None, verbosity: int = 0) -> None:
    """Write locale/<lang>/LC_MESSAGES/django.po and djangojs.po for every shipped locale."""
    common: dict[str, Any] = {
        "locale": locales or LOCALES,
        "ignore_patterns": IGNORED,
        "no_obsolete": True,
        "verbosity": verbosity,
    }
    call_command("makemessages", domain="django", extensions=["html", "txt", "py"], **common)
    call_command("makemessages", domain="djangojs", extensions=["js"], **common)


class Command(BaseCommand):
    help = "Refresh locale/*/LC_MESSAGES/*.po from the code (needs GNU gettext), keeping translations."

    def handle(self, *args: Any, **options: Any) -> None:
        extract_messages(verbosity=options["verbosity"])
        self.stdout.write("Catalogues refreshed; translate the empty msgstr entries, then run compilemessages.")
