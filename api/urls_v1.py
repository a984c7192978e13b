"""Version 1 of the REST API: read-only resources of the caller's studies, and exports."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api import views, views_actions, views_aggregates, views_exports, views_me

router = SimpleRouter()
router.register("studies", views.StudyViewSet, basename="study")
router.register("areas", views.AreaViewSet, basename="area")
router.register("criteria", views.CriterionViewSet, basename="criterion")
router.register("experts", views.ExpertViewSet, basename="expert")
router.register("rounds", views.RoundViewSet, basename="round")
router.register("participation", views.ParticipationViewSet, basename="participation")
router.register("exports", views_exports.ExportJobViewSet, basename="export")

app_name = "api-v1"
urlpatterns = [
    path("", include(router.urls)),
    path(
        "studies/<uuid:uuid>/tables/<slug:table>/",
        views_exports.StudyTableView.as_view(),
        name="study-table",
    ),
    # Write operations (issue 6): each calls the same service as the web page.
    path("rounds/<uuid:uuid>/open/", views_actions.RoundOpenView.as_view(), name="round-open"),
    path("rounds/<uuid:uuid>/close/", views_actions.RoundCloseView.as_view(), name="round-close"),
    path("studies/<uuid:uuid>/experts/import/", views_actions.ExpertsImportView.as_view(), name="study-experts-import"),
    path("me/ratings/", views_me.MyRatingsView.as_view(), name="me-ratings"),
    path("aggregates/", views_aggregates.AggregateListView.as_view(), name="aggregate-list"),
    path("divides/", views_aggregates.DivideListView.as_view(), name="divide-list"),
    path("verdicts/", views_aggregates.AreaVerdictListView.as_view(), name="verdict-list"),
]
