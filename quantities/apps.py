from django.apps import AppConfig


class QuantitiesConfig(AppConfig):
    name = "quantities"
    verbose_name = "Quantity questions"
