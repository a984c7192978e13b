"""Studies in the operator's admin: find a study, see its settings and size; it is changed in the app."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from elicitation.admin.base import ViewOnlyAdmin
from elicitation.models import Study


@admin.register(Study)
class StudyAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "anonymity", "mode", "min_group_size", "expert_count", "round_count", "created_at"]
    list_filter = ["anonymity", "mode", "created_at"]
    search_fields = ["title", "=uuid"]
    date_hierarchy = "created_at"
    readonly_fields = ["uuid", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Study]:
        # Counted in the list's one query; distinct because the two joins multiply each other's rows.
        return (
            super()
            .get_queryset(request)
            .annotate(
                expert_total=Count("experts", distinct=True),
                round_total=Count("rounds", distinct=True),
            )
        )

    @admin.display(description="experts", ordering="expert_total")
    def expert_count(self, study: Study) -> int:
        return study.expert_total  # type: ignore[attr-defined]

    @admin.display(description="rounds", ordering="round_total")
    def round_count(self, study: Study) -> int:
        return study.round_total  # type: ignore[attr-defined]
