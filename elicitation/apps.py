from django.apps import AppConfig


class ElicitationConfig(AppConfig):
    name = "elicitation"
    verbose_name = "Elicitation"

    def ready(self) -> None:
        from coopsurvey import checks  # noqa: F401 - registers the project's deployment checks
