"""Read-only admin for aggregation runs: operators can see what ran, when, and why it failed."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from aggregation.models import AggregationRun
from elicitation.admin import AuditedModelAdmin


@admin.register(AggregationRun)
class AggregationRunAdmin(AuditedModelAdmin):
    list_display = ["id", "round", "status", "trigger", "requested_at", "finished_at", "rule_version", "code_version"]
    list_filter = ["status", "trigger"]
    list_select_related = ["round__study"]
    readonly_fields = [field.name for field in AggregationRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AggregationRun | None = None) -> bool:
        return False
