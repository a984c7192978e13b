"""The coordinator's rounds pages, under studies/<study>/rounds/."""

from django.urls import path

from elicitation.rounds.views import lifecycle, messages, moderation, pilot, planning, scheduling

R = "<uuid:study_uuid>/rounds/<uuid:round_uuid>/"

urlpatterns = [
    path("<uuid:study_uuid>/rounds/", lifecycle.round_list, name="round-list"),
    path("<uuid:study_uuid>/rounds/new/", lifecycle.round_create, name="round-create"),
    path(R, lifecycle.round_detail, name="round-detail"),
    path(R + "open/", lifecycle.round_open, name="round-open"),
    path(R + "deadline/", lifecycle.round_deadline, name="round-deadline"),
    path(R + "close/", lifecycle.round_close, name="round-close"),
    path(R + "invite/", lifecycle.round_invite, name="round-invite"),
    path(R + "message/", messages.round_messages, name="round-messages"),
    path(R + "preview/", messages.round_preview, name="round-preview"),
    path(R + "remind/", lifecycle.round_remind, name="round-remind"),
    path(R + "schedule/", scheduling.round_schedule, name="round-schedule"),
    path(R + "schedule/cancel/", scheduling.round_unschedule, name="round-unschedule"),
    path(R + "pilot/", pilot.pilot_data, name="round-pilot"),
    path(R + "pilot/<uuid:pilot_uuid>/delete/", pilot.pilot_delete, name="round-pilot-delete"),
    path(R + "plan/", planning.round_plan, name="round-plan"),
    path(R + "moderation/", moderation.moderation, name="round-moderation"),
    path(
        R + "moderation/<int:response_id>/hide/",
        moderation.moderation_change,
        {"action": "hide"},
        name="round-moderation-hide",
    ),
    path(
        R + "moderation/<int:response_id>/unhide/",
        moderation.moderation_change,
        {"action": "unhide"},
        name="round-moderation-unhide",
    ),
    path(
        R + "moderation/<int:response_id>/translate/",
        moderation.moderation_translate,
        name="round-moderation-translate",
    ),
    path("<uuid:study_uuid>/rounds/areas/<uuid:area_uuid>/reword/", planning.area_reword, name="round-area-reword"),
    path("<uuid:study_uuid>/rounds/areas/add/", planning.area_add, name="round-area-add"),
]
