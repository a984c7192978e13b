from django.apps import AppConfig


class ElicitationConfig(AppConfig):
    name = "elicitation"
    verbose_name = "Elicitation"

    def ready(self) -> None:
        from core.db_sessions import register_read_along
        from elicitation.expert.session import link_read_along

        register_read_along(link_read_along)  # an expert's link, checked in the same statement as the session
