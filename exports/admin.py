"""Export jobs in the operator's admin: find a failed or stuck job and queue it again (``export_job_retry``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyAdmin, operator, run_service
from exports.models import ExportJob
from exports.services import export_job_retry


@admin.register(ExportJob)
class ExportJobAdmin(ViewOnlyAdmin):
    list_display = ["id", "study", "format", "table", "status", "requested_by", "created_at", "finished_at"]
    list_filter = ["status", "format", "table", "study", "created_at"]
    list_select_related = ["study", "requested_by"]
    search_fields = ["study__title", "=uuid", "requested_by__username"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    def get_readonly_fields(self, request: HttpRequest, obj: ExportJob | None = None) -> list[str]:
        return [field.name for field in self.opts.fields]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Retry the selected failed or stuck jobs"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[ExportJob]) -> None:
        run_service(
            self,
            request,
            queryset.select_related("study"),
            lambda job: export_job_retry(job=job, user=operator(request)),
            done=gettext("%(count)d export jobs queued again."),
        )
