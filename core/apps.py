from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses: errors, the audit log's writer, access to studies, rate limits, sign-in."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import (
            checks,  # noqa: F401 - registers the project's deployment checks
            signin,  # noqa: F401 - audits sign-in steps (allauth's signals)
        )
