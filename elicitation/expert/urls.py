"""The expert's pages under /e/: a personal link is exchanged for a session, then no token is in any URL.

Page names under /e/ must be listed in core.link_redaction.EXPERT_PAGES, or logs would hide them.
"""

from django.urls import path

from elicitation.expert.views import link_request, pages, preview, results_summary

urlpatterns = [
    path("e/", pages.start, name="expert-start"),
    path("e/consent/", pages.consent, name="expert-consent"),
    path("e/round/", pages.round_page, name="expert-round"),
    path("e/round/<uuid:round_uuid>/", pages.round_post, name="expert-round-post"),
    path("e/round/<uuid:round_uuid>/save/", pages.autosave, name="expert-autosave"),
    path("e/round/<uuid:round_uuid>/suggest/", pages.suggest, name="expert-suggest"),
    path("e/thanks/", pages.thanks, name="expert-thanks"),
    path("e/language/", pages.language, name="expert-language"),
    path("e/summary/", results_summary.expert_results_summary, name="expert-summary"),
    path("e/new-link/", link_request.link_request, name="expert-link-request"),  # before the token pattern
    path("e/<str:token>/", pages.link_open, name="expert-link"),
    # A coordinator trying the form as an expert: preview in any language, or a pilot run (issue 20).
    path("studies/<uuid:study_uuid>/rounds/<uuid:round_uuid>/try/", preview.round_try, name="round-try"),
    # The results summary e-mailed to the experts at the study's end: preview and send (issue 20).
    path(
        "studies/<uuid:study_uuid>/results-summary/",
        results_summary.study_results_summary,
        name="study-results-summary",
    ),
]
