"""Studies in the operator's admin: find a study, its size, team and templates; all change in the app."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ViewOnlyAdmin
from elicitation.models import Expert, Round, SavedTemplate, Study, StudyMember


@admin.register(Study)
class StudyAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "anonymity", "mode", "min_group_size", "expert_count", "round_count", "created_at"]
    list_filter = ["anonymity", "mode", "created_at"]
    search_fields = ["title", "=uuid"]
    date_hierarchy = "created_at"
    readonly_fields = ["uuid", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Study]:
        # Counted in the list's one query, each by its own subquery: a join of experts x rounds would multiply rows.
        return super().get_queryset(request).annotate(expert_total=_count(Expert), round_total=_count(Round))

    @admin.display(description=_("experts"), ordering="expert_total")
    def expert_count(self, study: Study) -> int:
        return study.expert_total  # type: ignore[attr-defined]

    @admin.display(description=_("rounds"), ordering="round_total")
    def round_count(self, study: Study) -> int:
        return study.round_total  # type: ignore[attr-defined]


def _count(model: type[Expert] | type[Round]) -> Coalesce:
    rows = model.objects.filter(study=OuterRef("pk")).order_by().values("study").annotate(total=Count("pk"))
    return Coalesce(Subquery(rows.values("total"), output_field=IntegerField()), 0)


@admin.register(StudyMember)
class StudyMemberAdmin(ViewOnlyAdmin):
    """Who holds which role on which study; roles change on the study's team page (audited, one coordinator kept)."""

    list_display = ["study", "user", "role", "added_at"]
    list_filter = ["role", "added_at"]
    list_select_related = ["study", "user"]
    search_fields = ["study__title", "user__username", "=uuid"]
    date_hierarchy = "added_at"
    readonly_fields = ["uuid", "added_at"]


@admin.register(SavedTemplate)
class SavedTemplateAdmin(ViewOnlyAdmin):
    """Coordinators' saved templates: a definition only (never a panel or answers); kept and deleted by their owner."""

    list_display = ["title", "owner", "source_title", "created_at"]
    list_filter = ["created_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "source_title", "owner__username", "=uuid"]
    date_hierarchy = "created_at"
    readonly_fields = ["uuid", "created_at"]
