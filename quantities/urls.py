"""Quantity questions: the coordinator's setup under /studies/<study>/quantities/, the expert's save under /e/."""

from django.urls import path

from quantities.exchange import views as exchange_views
from quantities.expert import views as expert_views
from quantities.results import views as results_views
from quantities.setup import views as setup_views

Q = "studies/<uuid:study_uuid>/quantities/"

urlpatterns = [
    path(Q, setup_views.question_list, name="quantity-list"),
    path(Q + "format/", setup_views.format_edit, name="quantity-format"),
    path(Q + "new/", setup_views.question_create, name="quantity-create"),
    path(Q + "import/", exchange_views.case_import_page, name="quantity-import"),
    path(Q + "export/<int:round_number>.<str:kind>", exchange_views.case_export_file, name="quantity-export"),
    path(Q + "results/<int:round_number>/", results_views.results_page, name="quantity-results"),
    path(
        Q + "results/<int:round_number>/<str:quantity_table>.csv",
        results_views.results_download,
        name="quantity-results-csv",
    ),
    path(Q + "<uuid:question_uuid>/", setup_views.question_edit, name="quantity-edit"),
    path(Q + "<uuid:question_uuid>/truth/", setup_views.realization_set, name="quantity-realization"),
    path(
        "e/round/<uuid:round_uuid>/quantity/<uuid:question_uuid>/",
        expert_views.answer_save,
        name="expert-quantity-save",
    ),
    path(
        "e/round/<uuid:round_uuid>/quantity/<uuid:question_uuid>/dissent/",
        expert_views.dissent_save,
        name="expert-quantity-dissent",
    ),
]
