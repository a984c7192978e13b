"""The coordinator's rounds pages, under studies/<study>/rounds/."""

from django.urls import path

from elicitation.views import rounds, rounds_moderation, rounds_planning

R = "<uuid:study_uuid>/rounds/<uuid:round_uuid>/"

urlpatterns = [
    path("<uuid:study_uuid>/rounds/", rounds.round_list, name="round-list"),
    path("<uuid:study_uuid>/rounds/new/", rounds.round_create, name="round-create"),
    path(R, rounds.round_detail, name="round-detail"),
    path(R + "open/", rounds.round_open, name="round-open"),
    path(R + "deadline/", rounds.round_deadline, name="round-deadline"),
    path(R + "close/", rounds.round_close, name="round-close"),
    path(R + "invite/", rounds.round_invite, name="round-invite"),
    path(R + "remind/", rounds.round_remind, name="round-remind"),
    path(R + "plan/", rounds_planning.round_plan, name="round-plan"),
    path(R + "moderation/", rounds_moderation.moderation, name="round-moderation"),
    path(
        R + "moderation/<int:response_id>/hide/",
        rounds_moderation.moderation_change,
        {"action": "hide"},
        name="round-moderation-hide",
    ),
    path(
        R + "moderation/<int:response_id>/unhide/",
        rounds_moderation.moderation_change,
        {"action": "unhide"},
        name="round-moderation-unhide",
    ),
    path(
        R + "moderation/<int:response_id>/translate/",
        rounds_moderation.moderation_translate,
        name="round-moderation-translate",
    ),
    path(
        "<uuid:study_uuid>/rounds/areas/<uuid:area_uuid>/reword/", rounds_planning.area_reword, name="round-area-reword"
    ),
    path("<uuid:study_uuid>/rounds/areas/add/", rounds_planning.area_add, name="round-area-add"),
]
