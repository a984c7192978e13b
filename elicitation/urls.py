from django.urls import path

from elicitation.views import home

urlpatterns = [
    path("", home.study_list, name="study-list"),
]
