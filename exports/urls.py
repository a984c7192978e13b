"""Export pages of a study, under /studies/<uuid>/exports/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
