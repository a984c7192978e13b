from django.apps import AppConfig


class QuantitiesConfig(AppConfig):
    name = "quantities"
    verbose_name = "Quantity questions"

    def ready(self) -> None:
        # The quantity questions travel with a study's definition (copies, templates, study.json); the
        # definition stands below this app's services, so the app hands it its part.
        from elicitation.setup.definition import register_definition_part
        from quantities.setup.definition import QUANTITY_PART

        register_definition_part(QUANTITY_PART)
