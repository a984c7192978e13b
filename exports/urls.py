"""Export pages of a study, under /studies/<uuid>/exports/."""

from django.urls import path

from exports import views

urlpatterns = [
    path("<uuid:study_uuid>/exports/", views.export_page, name="export-page"),
    path("<uuid:study_uuid>/exports/download/", views.export_download, name="export-download"),
    path("<uuid:study_uuid>/exports/jobs/", views.export_job_new, name="export-job-new"),
    path("<uuid:study_uuid>/exports/jobs/<uuid:job_uuid>/", views.export_job_download, name="export-job-download"),
    path("<uuid:study_uuid>/exports/jobs/<uuid:job_uuid>/status/", views.export_job_status, name="export-job-status"),
]
