"""Version 1 of the REST API: read-only resources of the caller's studies, and export jobs."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api import views

router = SimpleRouter()
router.register("studies", views.StudyViewSet, basename="study")
router.register("areas", views.AreaViewSet, basename="area")
router.register("criteria", views.CriterionViewSet, basename="criterion")
router.register("experts", views.ExpertViewSet, basename="expert")
router.register("rounds", views.RoundViewSet, basename="round")
router.register("participation", views.ParticipationViewSet, basename="participation")

app_name = "api-v1"
urlpatterns = [path("", include(router.urls))]
