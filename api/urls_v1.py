"""Version 1 of the REST API: read-only resources of the caller's studies, and exports."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api.views import actions, exports, me, results, studies

router = SimpleRouter()
router.register("studies", studies.StudyViewSet, basename="study")
router.register("areas", studies.AreaViewSet, basename="area")
router.register("criteria", studies.CriterionViewSet, basename="criterion")
router.register("experts", studies.ExpertViewSet, basename="expert")
router.register("rounds", studies.RoundViewSet, basename="round")
router.register("participation", studies.ParticipationViewSet, basename="participation")
router.register("exports", exports.ExportJobViewSet, basename="export")

app_name = "api-v1"
urlpatterns = [
    path("", include(router.urls)),
    path(
        "studies/<uuid:uuid>/tables/<slug:table>/",
        exports.StudyTableView.as_view(),
        name="study-table",
    ),
    # Write operations (issue 6): each calls the same service as the web page.
    path("rounds/<uuid:uuid>/open/", actions.RoundOpenView.as_view(), name="round-open"),
    path("rounds/<uuid:uuid>/close/", actions.RoundCloseView.as_view(), name="round-close"),
    path("studies/<uuid:uuid>/experts/import/", actions.ExpertsImportView.as_view(), name="study-experts-import"),
    path("me/ratings/", me.MyRatingsView.as_view(), name="me-ratings"),
    path("aggregates/", results.AggregateListView.as_view(), name="aggregate-list"),
    path("divides/", results.DivideListView.as_view(), name="divide-list"),
    path("verdicts/", results.AreaVerdictListView.as_view(), name="verdict-list"),
]
