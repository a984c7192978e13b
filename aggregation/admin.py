"""Aggregation runs and their result rows in the operator's admin: what ran, when, why it failed; re-run a round.

Runs and result rows are records of what was computed: view-only. The one write is the re-run action,
which asks :func:`aggregation.jobs.round_aggregation_rerun` for a fresh job (audited, queued after commit).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aggregation.jobs import round_aggregation_rerun
from aggregation.models import AggregationRun, AreaVerdict, CriterionAgreement, CrossBloc, ItemResult
from core.admin import ViewOnlyAdmin, operator, run_service
from elicitation.models import Round


@admin.register(AggregationRun)
class AggregationRunAdmin(ViewOnlyAdmin):
    # A few fields every version of the run has; the change page shows them all (readonly_fields below).
    list_display = ["id", "round", "status", "trigger", "requested_at", "finished_at"]
    list_filter = ["status", "trigger", "round__study", "requested_at"]
    list_select_related = ["round__study"]
    search_fields = ["round__study__title", "error", "=task_id"]
    date_hierarchy = "requested_at"
    actions = ["rerun"]

    def get_readonly_fields(self, request: HttpRequest, obj: AggregationRun | None = None) -> list[str]:
        return [field.name for field in self.opts.fields]

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Re-run the aggregation of the selected runs' rounds"), permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[AggregationRun]) -> None:
        rerun_rounds(self, request, Round.objects.filter(pk__in=queryset.values("round_id")).select_related("study"))


def rerun_rounds(model_admin: admin.ModelAdmin, request: HttpRequest, rounds: QuerySet[Round]) -> None:
    run_service(
        model_admin,
        request,
        rounds,
        lambda round_: round_aggregation_rerun(round=round_, user=operator(request)),
        done=gettext("Aggregation of %(count)d rounds queued."),
    )


class ResultRowAdmin(ViewOnlyAdmin):
    """Stored results, as the dashboard, API and exports read them."""

    list_filter = ["round__study", "round__number"]
    list_select_related = ["round__study", "run"]
    search_fields = ["round__study__title"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in self.opts.fields]


@admin.register(ItemResult)
class ItemResultAdmin(ResultRowAdmin):
    list_display = ["id", "round", "area", "criterion", "group", "n", "suppressed", "median", "iqr", "consensus"]
    list_filter = [*ResultRowAdmin.list_filter, "suppressed", "consensus"]
    list_select_related = [*ResultRowAdmin.list_select_related, "area", "criterion"]
    search_fields = [*ResultRowAdmin.search_fields, "area__code", "criterion__code", "group"]


@admin.register(CriterionAgreement)
class CriterionAgreementAdmin(ResultRowAdmin):
    list_display = ["id", "round", "criterion", "n_areas", "kendall_w", "alpha_ordinal"]
    list_select_related = [*ResultRowAdmin.list_select_related, "criterion"]
    search_fields = [*ResultRowAdmin.search_fields, "criterion__code"]


@admin.register(CrossBloc)
class CrossBlocAdmin(ResultRowAdmin):
    list_display = ["id", "round", "area", "criterion", "verdict"]
    list_filter = [*ResultRowAdmin.list_filter, "verdict"]
    list_select_related = [*ResultRowAdmin.list_select_related, "area", "criterion"]
    search_fields = [*ResultRowAdmin.search_fields, "area__code", "criterion__code"]


@admin.register(AreaVerdict)
class AreaVerdictAdmin(ResultRowAdmin):
    list_display = ["id", "round", "area", "verdict"]
    list_filter = [*ResultRowAdmin.list_filter, "verdict"]
    list_select_related = [*ResultRowAdmin.list_select_related, "area"]
    search_fields = [*ResultRowAdmin.search_fields, "area__code"]
