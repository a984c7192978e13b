"""The coordinator's study setup: every page under /studies/<uuid>/, for the study's coordinators only."""

from django.urls import URLPattern, path

from elicitation.views import erasure, setup_items, setup_panel, setup_study, setup_translations

urlpatterns: list[URLPattern] = [
    path("new/", setup_study.study_create, name="study-create"),
    path("<uuid:study_uuid>/", setup_study.study_detail, name="study-detail"),
    path("<uuid:study_uuid>/settings/", setup_study.study_settings, name="study-settings"),
    path("<uuid:study_uuid>/coordinators/", setup_study.study_add_coordinator, name="study-add-coordinator"),
    path("<uuid:study_uuid>/rule/", setup_study.study_rule, name="study-rule"),
    path("<uuid:study_uuid>/items/", setup_items.items_list, name="study-items"),
    path("<uuid:study_uuid>/translations/", setup_translations.translations_status, name="study-translations"),
    path(
        "<uuid:study_uuid>/translations/confirm/",
        setup_translations.translation_confirm,
        name="study-translation-confirm",
    ),
    path("<uuid:study_uuid>/items/import/", setup_items.items_import, name="study-items-import"),
    path("<uuid:study_uuid>/areas/new/", setup_items.area_create, name="area-create"),
    path("<uuid:study_uuid>/areas/<uuid:area_uuid>/", setup_items.area_edit, name="area-edit"),
    path("<uuid:study_uuid>/areas/<uuid:area_uuid>/active/", setup_items.area_set_active, name="area-set-active"),
    path("<uuid:study_uuid>/criteria/new/", setup_items.criterion_create, name="criterion-create"),
    path("<uuid:study_uuid>/criteria/<uuid:criterion_uuid>/", setup_items.criterion_edit, name="criterion-edit"),
    path(
        "<uuid:study_uuid>/criteria/<uuid:criterion_uuid>/active/",
        setup_items.criterion_set_active,
        name="criterion-set-active",
    ),
    path("<uuid:study_uuid>/panel/", setup_panel.panel_list, name="study-panel"),
    path("<uuid:study_uuid>/panel/new/", setup_panel.expert_form, name="expert-create"),
    path("<uuid:study_uuid>/panel/import/", setup_panel.panel_import, name="study-panel-import"),
    path("<uuid:study_uuid>/panel/import/example.csv", setup_panel.panel_import_example, name="study-panel-example"),
    path("<uuid:study_uuid>/panel/<uuid:expert_uuid>/", setup_panel.expert_form, name="expert-edit"),
    path("<uuid:study_uuid>/panel/<uuid:expert_uuid>/active/", setup_panel.expert_set_active, name="expert-set-active"),
]

# Erasure of an expert's personal data on request (GDPR art. 17), with a confirmation step.
urlpatterns += [
    path("<uuid:study_uuid>/panel/<uuid:expert_uuid>/erase/", erasure.expert_erase_confirm, name="expert-erase"),
]
