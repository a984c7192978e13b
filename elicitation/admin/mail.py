"""Email jobs in the operator's admin: find an invitation, reminder or new link that failed or is stuck,
and queue it again (``email_job_retry``).

The expert is shown by pseudonym; their address is personal data and stays on the expert's page, for
superusers only (``elicitation.admin.panel``).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyAdmin, operator, run_service
from elicitation.models import EmailJob
from elicitation.rounds.services.email_jobs import email_job_retry


@admin.register(EmailJob)
class EmailJobAdmin(ViewOnlyAdmin):
    list_display = ["id", "kind", "expert", "study", "round", "status", "sent", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "kind", "sent", "expert__study", "created_at"]
    list_select_related = ["expert__study", "round"]
    search_fields = ["expert__study__title", "=id"]
    date_hierarchy = "created_at"
    actions = ["retry"]

    def get_readonly_fields(self, request: HttpRequest, obj: EmailJob | None = None) -> list[str]:
        return [field.name for field in self.opts.fields]

    @admin.display(description=_("study"), ordering="expert__study__title")
    def study(self, job: EmailJob) -> str:
        return str(job.expert.study)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Retry the selected failed or stuck email jobs"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[EmailJob]) -> None:
        run_service(
            self,
            request,
            queryset.select_related("expert__study"),
            lambda job: email_job_retry(job=job, user=operator(request)),
            done=gettext("%(count)d email jobs queued again."),
        )
