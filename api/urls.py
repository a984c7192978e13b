"""The API's addresses: /api/ (version 1 resources, the OpenAPI schema and its documentation) and the
account pages under /account/ (personal API tokens), mounted by ``coopsurvey.urls``."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from api.views import actions, between, exports, me, results, reuse, studies, tokens, trials

router = SimpleRouter()
router.register("studies", studies.StudyViewSet, basename="study")
router.register("areas", studies.AreaViewSet, basename="area")
router.register("criteria", studies.CriterionViewSet, basename="criterion")
router.register("experts", studies.ExpertViewSet, basename="expert")
router.register("rounds", studies.RoundViewSet, basename="round")
router.register("participation", studies.ParticipationViewSet, basename="participation")
router.register("exports", exports.ExportJobViewSet, basename="export")

# Version 1 of the REST API: every step of a study, for its coordinators and its experts, and exports.
v1_patterns: list[URLPattern | URLResolver] = [
    # Study reuse (issue 20): before the router, whose study routes would not take "import".
    path("studies/import/", reuse.StudyImportView.as_view(), name="study-import"),
    path("studies/<uuid:uuid>/duplicate/", reuse.StudyDuplicateView.as_view(), name="study-duplicate"),
    path("studies/<uuid:uuid>/save-template/", reuse.StudySaveTemplateView.as_view(), name="study-save-template"),
    path("studies/<uuid:uuid>/definition/", reuse.StudyDefinitionView.as_view(), name="study-definition"),
    path("templates/", reuse.TemplateListView.as_view(), name="template-list"),
    path("templates/<uuid:uuid>/", reuse.TemplateDetailView.as_view(), name="template-detail"),
    path("templates/<uuid:uuid>/start/", reuse.TemplateStartView.as_view(), name="template-start"),
    # Scheduling and piloting (issue 20).
    path("rounds/<uuid:uuid>/schedule/", trials.RoundScheduleView.as_view(), name="round-schedule"),
    path("rounds/<uuid:uuid>/pilot-runs/", trials.RoundPilotListView.as_view(), name="round-pilot-runs"),
    path("pilot-runs/<uuid:uuid>/", trials.PilotRunDetailView.as_view(), name="pilot-run-detail"),
    # Between rounds (issue 20 item 10): before the router, as the study routes above.
    path("studies/<uuid:uuid>/add-area/", between.StudyAreaAddView.as_view(), name="study-add-area"),
    path("studies/<uuid:uuid>/suggestions/", between.StudySuggestionListView.as_view(), name="study-suggestions"),
    path("areas/<uuid:uuid>/reword/", between.AreaRewordView.as_view(), name="area-reword"),
    path("experts/<uuid:uuid>/erase/", between.ExpertEraseView.as_view(), name="expert-erase"),
    path("rounds/<uuid:uuid>/rationales/", between.RoundRationaleListView.as_view(), name="round-rationales"),
    path("rationales/<uuid:uuid>/hide/", between.RationaleHideView.as_view(), name="rationale-hide"),
    path("rationales/<uuid:uuid>/unhide/", between.RationaleUnhideView.as_view(), name="rationale-unhide"),
    path(
        "rationales/<uuid:uuid>/translation/",
        between.RationaleTranslationView.as_view(),
        name="rationale-translation",
    ),
    path("rounds/<uuid:uuid>/messages/", between.RoundMessagesView.as_view(), name="round-messages"),
    path("rounds/<uuid:uuid>/email-preview/", between.RoundEmailPreviewView.as_view(), name="round-email-preview"),
    path("rounds/<uuid:uuid>/deadline/", between.RoundDeadlineView.as_view(), name="round-deadline"),
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
    # Issue 20: every step of a study through the API, by public ids only.
    path("studies/<uuid:uuid>/rule/", actions.StudyRuleView.as_view(), name="study-rule"),
    path("rounds/<uuid:uuid>/plan-next/", actions.RoundPlanView.as_view(), name="round-plan-next"),
    path("rounds/<uuid:uuid>/invitations/", actions.RoundInvitationsView.as_view(), name="round-invitations"),
    path("rounds/<uuid:uuid>/reminders/", actions.RoundRemindersView.as_view(), name="round-reminders"),
    path(
        "studies/<uuid:uuid>/results-summary/",
        actions.StudyResultsSummaryView.as_view(),
        name="study-results-summary",
    ),
    path("email-jobs/<uuid:uuid>/", actions.EmailJobView.as_view(), name="email-job-detail"),
    path("tokens/", tokens.ApiTokenListView.as_view(), name="token-list"),
    path("tokens/<uuid:uuid>/revoke/", tokens.ApiTokenRevokeView.as_view(), name="token-revoke"),
    path("me/ratings/", me.MyRatingsView.as_view(), name="me-ratings"),
    path("me/consent/", me.MyConsentView.as_view(), name="me-consent"),
    path("me/submit/", me.MySubmitView.as_view(), name="me-submit"),
    path("me/reasons/", me.MyReasonsView.as_view(), name="me-reasons"),
    path("me/suggestions/", me.MySuggestionsView.as_view(), name="me-suggestions"),
    path("aggregates/", results.AggregateListView.as_view(), name="aggregate-list"),
    path("divides/", results.DivideListView.as_view(), name="divide-list"),
    path("verdicts/", results.AreaVerdictListView.as_view(), name="verdict-list"),
]

urlpatterns = [
    path("v1/", include((v1_patterns, "api-v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up code as a separate script, as the CSP requires.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

account_patterns = [
    path("tokens/", tokens.token_list, name="api-token-list"),
    path("tokens/<uuid:token_uuid>/revoke/", tokens.token_revoke, name="api-token-revoke"),
]
