"""The coordinator's study setup: every page under /studies/<uuid>/, for the study's coordinators only
(the dashboards and exports, which analysts and observers share, have their own URLs: docs/roles.md)."""

from django.urls import URLPattern, path

from elicitation.setup.views import erasure, items, panel, reuse, study, team, translations, webhooks

urlpatterns: list[URLPattern] = [
    path("new/", study.study_create, name="study-create"),
    path("import/", reuse.study_import, name="study-import"),
    path("templates/", reuse.template_list, name="template-list"),
    path("templates/<uuid:template_uuid>/start/", reuse.template_start, name="template-start"),
    path("templates/<uuid:template_uuid>/delete/", reuse.template_delete, name="template-delete"),
    path("<uuid:study_uuid>/", study.study_detail, name="study-detail"),
    path("<uuid:study_uuid>/settings/", study.study_settings, name="study-settings"),
    path("<uuid:study_uuid>/team/", team.study_team, name="study-team"),
    path("<uuid:study_uuid>/team/<uuid:member_uuid>/role/", team.study_member_role, name="study-member-role"),
    path("<uuid:study_uuid>/team/<uuid:member_uuid>/remove/", team.study_member_remove, name="study-member-remove"),
    path("<uuid:study_uuid>/rule/", study.study_rule, name="study-rule"),
    path("<uuid:study_uuid>/webhooks/", webhooks.webhook_list, name="study-webhooks"),
    path(
        "<uuid:study_uuid>/webhooks/<uuid:endpoint_uuid>/", webhooks.webhook_deliveries, name="study-webhook-deliveries"
    ),
    path(
        "<uuid:study_uuid>/webhooks/<uuid:endpoint_uuid>/active/",
        webhooks.webhook_set_active,
        name="study-webhook-active",
    ),
    path(
        "<uuid:study_uuid>/webhooks/<uuid:endpoint_uuid>/delete/", webhooks.webhook_delete, name="study-webhook-delete"
    ),
    path(
        "<uuid:study_uuid>/webhooks/<uuid:endpoint_uuid>/deliveries/<uuid:delivery_uuid>/redeliver/",
        webhooks.webhook_redeliver,
        name="study-webhook-redeliver",
    ),
    path("<uuid:study_uuid>/reuse/", reuse.study_reuse, name="study-reuse"),
    path("<uuid:study_uuid>/reuse/duplicate/", reuse.study_duplicate, name="study-duplicate"),
    path("<uuid:study_uuid>/reuse/template/", reuse.study_save_template, name="study-save-template"),
    path("<uuid:study_uuid>/study.json", reuse.study_definition_download, name="study-definition"),
    path("<uuid:study_uuid>/items/", items.items_list, name="study-items"),
    path("<uuid:study_uuid>/translations/", translations.translations_status, name="study-translations"),
    path(
        "<uuid:study_uuid>/translations/confirm/",
        translations.translation_confirm,
        name="study-translation-confirm",
    ),
    path("<uuid:study_uuid>/items/import/", items.items_import, name="study-items-import"),
    path("<uuid:study_uuid>/areas/new/", items.area_create, name="area-create"),
    path("<uuid:study_uuid>/areas/<uuid:area_uuid>/", items.area_edit, name="area-edit"),
    path("<uuid:study_uuid>/areas/<uuid:area_uuid>/active/", items.area_set_active, name="area-set-active"),
    path("<uuid:study_uuid>/criteria/new/", items.criterion_create, name="criterion-create"),
    path("<uuid:study_uuid>/criteria/<uuid:criterion_uuid>/", items.criterion_edit, name="criterion-edit"),
    path(
        "<uuid:study_uuid>/criteria/<uuid:criterion_uuid>/active/",
        items.criterion_set_active,
        name="criterion-set-active",
    ),
    path("<uuid:study_uuid>/panel/", panel.panel_list, name="study-panel"),
    path("<uuid:study_uuid>/panel/new/", panel.expert_form, name="expert-create"),
    path("<uuid:study_uuid>/panel/import/", panel.panel_import, name="study-panel-import"),
    path("<uuid:study_uuid>/panel/import/example.csv", panel.panel_import_example, name="study-panel-example"),
    path("<uuid:study_uuid>/panel/<uuid:expert_uuid>/", panel.expert_form, name="expert-edit"),
    path("<uuid:study_uuid>/panel/<uuid:expert_uuid>/active/", panel.expert_set_active, name="expert-set-active"),
]

# Erasure of an expert's personal data on request (GDPR art. 17), with a confirmation step.
urlpatterns += [
    path("<uuid:study_uuid>/panel/<uuid:expert_uuid>/erase/", erasure.expert_erase_confirm, name="expert-erase"),
]
