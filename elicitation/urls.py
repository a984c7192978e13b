"""Pages of the elicitation app, one URL module per area of work."""

from django.urls import include, path

from elicitation.setup.views import home

urlpatterns = [
    path("", home.study_list, name="study-list"),
    path("studies/", include("elicitation.setup.urls")),
    path("studies/", include("elicitation.rounds.urls")),
    path("", include("elicitation.expert.urls")),
]
