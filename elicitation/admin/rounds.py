"""Rounds and answers in the operator's admin. Answers are shown, never changed: history stays history.

In a strict-anonymity study nothing here joins a person to their answers: a rating or revision shows
no pseudonym, no link to the expert and no time (a time could be matched with the audit log's
"answers saved" events, which name the expert), as the study's exports drop the same columns.
Lists are ordered by item and value, never by expert, for the same reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from aggregation.admin import rerun_rounds
from core.admin import ViewOnlyAdmin
from elicitation.models import AnswerRevision, PilotResponse, Rating, Round, Study

HIDDEN = _("hidden (strict anonymity)")


@admin.register(Round)
class RoundAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "number", "status", "opened_at", "deadline", "closed_at", "runs"]
    list_filter = ["status", "study"]
    list_select_related = ["study"]
    search_fields = ["study__title", "=uuid"]
    date_hierarchy = "created_at"
    readonly_fields = ["uuid", "created_at"]
    actions = ["rerun"]

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    @admin.action(description=_("Re-run the aggregation of the selected rounds"), permissions=["rerun"])
    def rerun(self, request: HttpRequest, queryset: QuerySet[Round]) -> None:
        rerun_rounds(self, request, queryset.select_related("study"))

    @admin.display(description=_("aggregation runs"))
    def runs(self, round_: Round) -> SafeString:
        url = reverse("admin:aggregation_aggregationrun_changelist") + "?" + urlencode({"round__id__exact": round_.pk})
        return format_html('<a href="{}">{}</a>', url, _("runs"))


def _is_strict(study: Study) -> bool:
    return study.anonymity == Study.Anonymity.STRICT


class AnswerAdmin(ViewOnlyAdmin):
    """What ratings and their revisions share: who answered, shown only where the study allows it."""

    list_select_related = ["round__study", "area", "criterion", "expert"]
    list_filter = ["round__study", "round__number"]
    search_fields = ["round__study__title", "area__code", "criterion__code"]  # never the expert: see the module
    shown_fields: tuple[str, ...] = ()  # on an answer's page
    person_fields: tuple[str, ...] = ()  # of those, the ones a strict-anonymity study hides

    @admin.display(description=_("study"), ordering="round__study__title")
    def study(self, answer: Rating | AnswerRevision) -> str:
        return str(answer.round.study)

    @admin.display(description=_("round"), ordering="round__number")
    def round_number(self, answer: Rating | AnswerRevision) -> int:
        return answer.round.number

    @admin.display(description=_("expert"))
    def answered_by(self, answer: Rating | AnswerRevision) -> str:
        """The pseudonym as text, never a link to the expert (whose page names them to superusers)."""
        return str(HIDDEN) if _is_strict(answer.round.study) else answer.expert.pseudonym

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is not None and _is_strict(obj.round.study):
            return [name for name in self.shown_fields if name not in self.person_fields]
        return list(self.shown_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj)


@admin.register(Rating)
class RatingAdmin(AnswerAdmin):
    list_display = ["id", "study", "round_number", "area", "criterion", "value", "cannot_judge", "answered_by"]
    list_filter = [*AnswerAdmin.list_filter, "cannot_judge"]
    ordering = ["round", "area", "criterion", "value", "id"]
    shown_fields: tuple[str, ...] = ("study", "round_number", "area", "criterion", "value", "cannot_judge")
    shown_fields += ("answered_by", "created_at", "updated_at")
    person_fields = ("created_at", "updated_at")


@admin.register(AnswerRevision)
class AnswerRevisionAdmin(AnswerAdmin):
    list_display = ["id", "study", "round_number", "area", "criterion", "field", "old_value", "new_value", "source"]
    list_display += ["answered_by"]
    list_filter = [*AnswerAdmin.list_filter, "field", "source"]
    ordering = ["round", "area", "criterion", "field", "id"]
    shown_fields: tuple[str, ...] = ("study", "round_number", "area", "criterion", "field", "old_value", "new_value")
    shown_fields += ("source",)
    shown_fields += ("answered_by", "created_at")
    person_fields = ("created_at",)


@admin.register(PilotResponse)
class PilotResponseAdmin(ViewOnlyAdmin):
    """Answers kept while piloting a round's form: never ratings, never in results; the coordinators delete them."""

    list_display = ["__str__", "language", "tester_label", "created_at"]
    list_filter = ["language", "created_at"]
    list_select_related = ["round__study"]
    search_fields = ["round__study__title", "tester_label", "=uuid"]
    date_hierarchy = "created_at"
    readonly_fields = ["uuid", "created_at"]
