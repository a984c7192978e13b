"""The expert's pages under /e/: a personal link is exchanged for a session, then no token is in any URL.

Page names under /e/ must be listed in core.link_redaction.EXPERT_PAGES, or logs would hide them.
"""

from django.urls import path

from elicitation.participation.views import expert, link_request

urlpatterns = [
    path("e/", expert.start, name="expert-start"),
    path("e/consent/", expert.consent, name="expert-consent"),
    path("e/round/", expert.round_page, name="expert-round"),
    path("e/round/<uuid:round_uuid>/", expert.round_post, name="expert-round-post"),
    path("e/round/<uuid:round_uuid>/save/", expert.autosave, name="expert-autosave"),
    path("e/round/<uuid:round_uuid>/suggest/", expert.suggest, name="expert-suggest"),
    path("e/thanks/", expert.thanks, name="expert-thanks"),
    path("e/language/", expert.language, name="expert-language"),
    path("e/new-link/", link_request.link_request, name="expert-link-request"),  # before the token pattern
    path("e/<str:token>/", expert.link_open, name="expert-link"),
]
